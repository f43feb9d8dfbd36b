import * as Comlink from 'comlink';
import type { SerializedError } from '../../errors/serialized-error.js';
import type { SpawnedWorker, WorkerPlatform } from '../../platform/worker-platform.js';
import type { WorkerApi } from '../worker/worker-protocol.js';

/**
 * Warm workers kept between jobs, as Flink keeps its task managers: `run(job, { workers: pool })`
 * takes idle workers from the pool instead of starting new ones, and gives them back once the job
 * ended. A fresh worker pays for loading Weir's code and for the engine compiling its hot paths
 * again (a keyed job's first seconds); a pooled one has done both.
 */
export interface WorkerPool {
  /** Workers the pool started and has not terminated: running a job's tasks, or idle. */
  readonly size: number;
  /** Workers waiting for the next job. */
  readonly idle: number;
  /** Terminates the idle workers now and every other one when its job ends; later runs with the pool start their own. */
  close(): Promise<void>;
}

/** A worker as an executor holds it: its control plane, and word of its death while it runs a job. */
export interface LeasedWorker {
  readonly spawned: SpawnedWorker;
  readonly api: Comlink.Remote<WorkerApi>;
  /** Set by the executor that holds the worker: told once if the worker dies. */
  onFailure: ((error: SerializedError) => void) | undefined;
  /** The worker died or was terminated: it is never given back. */
  lost: boolean;
}

/** Starts a worker that belongs to no pool (terminated with its attempt). */
export function spawnWorker(platform: WorkerPlatform): LeasedWorker {
  const spawned = platform.spawn();
  const leased: LeasedWorker = { spawned, api: Comlink.wrap<WorkerApi>(spawned.endpoint), onFailure: undefined, lost: false };
  spawned.onFailure((error) => {
    leased.lost = true;
    leased.onFailure?.(error);
  });
  return leased;
}

class Pool implements WorkerPool {
  private readonly free: LeasedWorker[] = [];
  private leased = 0;
  private closed = false;

  get size(): number {
    return this.free.length + this.leased;
  }

  get idle(): number {
    return this.free.length;
  }

  /** An idle worker, or a new one started by `platform` (a pool spans runs, which may each bring their own `createWorker`). */
  take(platform: WorkerPlatform): LeasedWorker {
    this.leased++;
    const w = this.free.pop() ?? spawnWorker(platform);
    w.spawned.ref?.();
    return w;
  }

  /**
   * A job ended cleanly with `w` (finished, cancelled, fenced): once `stopped` says its tasks
   * stopped and its channels closed, it waits for the next job; a worker that did not stop (a
   * user function that never returns) is terminated. Must never take back a worker of an attempt that
   * failed over (`discard`): nothing of a failed attempt may reach the next one.
   */
  async giveBack(w: LeasedWorker, stopped: Promise<boolean>): Promise<void> {
    w.onFailure = undefined;
    if (this.closed || w.lost) return this.discard(w);
    if (!(await stopped)) return this.discard(w);
    this.leased--;
    if (this.closed || w.lost) return void w.spawned.terminate();
    // Idle workers must not keep a Node process alive (a worker with a listener does).
    w.spawned.unref?.();
    this.free.push(w);
  }

  discard(w: LeasedWorker): void {
    this.leased--;
    w.onFailure = undefined;
    w.lost = true;
    w.spawned.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.free.splice(0)) {
      w.lost = true;
      w.spawned.terminate();
    }
  }
}

/** A pool of warm workers to pass to `run(job, { workers })`; empty until a run starts its workers. */
export function createWorkerPool(): WorkerPool {
  return new Pool();
}

/** The pool's own side, for the executor; undefined for anything not made by createWorkerPool. */
export function poolOf(value: unknown): { take(platform: WorkerPlatform): LeasedWorker; giveBack(w: LeasedWorker, stopped: Promise<boolean>): Promise<void>; discard(w: LeasedWorker): void } | undefined {
  return value instanceof Pool ? value : undefined;
}
