import * as Comlink from 'comlink';
import { InvalidArgumentError, WeirError, type WeirErrorCode } from '../../errors/index.js';
import { subtaskKey, type SubtaskId } from '../../graph/execution-plan.js';
import type { WorkerPlatform } from '../../platform/worker-platform.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import type { Clock } from '../clock.js';
import type { SerializedError, TaskCommand, TaskReport } from '../control-messages.js';
import type { RunnerCallbacks, WorkerApi, WorkerDeployRequest } from '../worker/worker-protocol.js';
import type { DeployRequest, SubtaskMetrics, TaskExecutor } from './task-executor.js';
import { poolOf, spawnWorker, type LeasedWorker, type WorkerPool } from './worker-pool.js';

export interface WorkerExecutorOptions {
  readonly platform: WorkerPlatform;
  readonly jobModuleUrl: string;
  readonly fingerprint: string;
  readonly defaultParallelism: number;
  readonly storage: CheckpointStorage;
  readonly clock: Clock;
  readonly network: WorkerDeployRequest['network'];
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  /** Warm workers to take instead of starting new ones, given back when the job ends cleanly. */
  readonly pool?: WorkerPool | undefined;
}

interface RunningWorker {
  readonly index: number;
  readonly leased: LeasedWorker;
  readonly api: Comlink.Remote<WorkerApi>;
  metrics: SubtaskMetrics[];
  lastAnswerAt: number;
}

/** A pooled worker that has not stopped its tasks this long after its job ended is terminated instead of kept. */
const STOP_TIMEOUT_MS = 1000;

const KNOWN_CODES = new Set<string>([
  'INVALID_ARGUMENT', 'INVALID_GRAPH', 'USER_FUNCTION_FAILED', 'TASK_FAILED', 'WORKER_LOST', 'INJECTED_FAILURE', 'CORRUPT_DATA', 'STATE_MISMATCH',
  'STORAGE_FENCED', 'CHECKPOINT_STORAGE_FAILED', 'COMMIT_DEFERRED',
]);

/** Rebuilds an error that crossed a structured clone, keeping its code. */
export function errorFromWire(error: SerializedError): WeirError {
  const code = (KNOWN_CODES.has(error.code ?? '') ? error.code : 'TASK_FAILED') as WeirErrorCode;
  const domain = code === 'INVALID_GRAPH' || code === 'USER_FUNCTION_FAILED' || code === 'INVALID_ARGUMENT' ? 'user' : 'internal';
  return new WeirError(code, error.message, { domain, retryable: code !== 'INVALID_GRAPH' && code !== 'INVALID_ARGUMENT', details: { stack: error.stack } });
}

/**
 * Runs the subtasks in workers, one worker per slot (worker i hosts subtask i of every
 * vertex), with a MessagePort between every pair of workers for the data plane and comlink
 * for the control plane. Every attempt gets fresh workers: a restart never reuses a worker
 * whose state might be half-written. With a pool, a job's workers may be warm ones another job
 * gave back (stopped cleanly, nothing left of it); an attempt that fails over terminates its own.
 */
export class WorkerExecutor implements TaskExecutor {
  private workers: RunningWorker[] = [];
  private current: DeployRequest | undefined;
  private heartbeat: unknown;
  /** Rejects a deploy in progress when its workers are terminated (a cancel, a newer deploy). */
  private abortDeploy: ((error: unknown) => void) | undefined;

  constructor(private readonly options: WorkerExecutorOptions) {}

  async deploy(request: DeployRequest): Promise<void> {
    this.terminateAll();
    this.current = request;
    const { platform, clock } = this.options;
    const count = Math.max(...request.plan.vertices.map((v) => v.parallelism));
    const peers: Record<number, MessagePort>[] = Array.from({ length: count }, () => ({}));
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        const { port1, port2 } = platform.createChannel();
        peers[i]![j] = port1;
        peers[j]![i] = port2;
      }
    }
    // A worker that dies, or is terminated, while deploying must not leave the deploy hanging.
    const aborted = new Promise<never>((_, reject) => {
      this.abortDeploy = reject;
    });
    aborted.catch(() => {});
    const pool = poolOf(this.options.pool);
    this.workers = Array.from({ length: count }, (_, index) => {
      const leased = pool !== undefined ? pool.take(platform) : spawnWorker(platform);
      leased.onFailure = (error) => {
        this.abortDeploy?.(errorFromWire({ ...error, code: error.code ?? 'WORKER_LOST' }));
        this.workerLost(request, index, error);
      };
      return { index, leased, api: leased.api, metrics: [], lastAnswerAt: clock.now() };
    });
    const callbacks: RunnerCallbacks = Comlink.proxy({
      report: (report: TaskReport) => request.report(report.kind === 'failed' && report.cause === undefined ? { ...report, cause: errorFromWire(report.error) } : report),
      workerFailed: (index: number, error: SerializedError) => this.workerLost(request, index, error),
      storage: this.options.storage,
    });
    const restoreOf = (index: number) => [...request.restore].filter(([key]) => Number(key.split('.')[1]) === index);
    const results = await Promise.all(
      this.workers.map((w) => {
        const deploy: WorkerDeployRequest = {
          jobModuleUrl: this.options.jobModuleUrl, fingerprint: this.options.fingerprint, defaultParallelism: this.options.defaultParallelism,
          workerIndex: w.index, workerCount: count, epoch: request.epoch, attempt: request.attempt, mode: request.mode, ...(request.checkpointOptions !== undefined ? { checkpointOptions: request.checkpointOptions } : {}), restore: restoreOf(w.index),
          network: this.options.network, peers: peers[w.index]!, commitFence: request.commitFence, storage: this.options.storage.workerDescriptor,
        };
        return Promise.race([w.api.deploy(Comlink.transfer(deploy, Object.values(peers[w.index]!)), callbacks), aborted]).then(
          () => undefined,
          (error: unknown) => error ?? new WeirError('TASK_FAILED', 'deploy failed', { domain: 'internal', retryable: true }),
        );
      }),
    );
    this.abortDeploy = undefined;
    const failure = results.find((r) => r !== undefined);
    if (failure instanceof WeirError) {
      this.terminateAll();
      throw failure;
    }
    if (failure !== undefined) {
      this.terminateAll();
      const e = failure as { message?: string; name?: string };
      // comlink rethrows a worker's error as a plain Error; the worker runtime keeps the code in the message prefix.
      throw errorFromWire({ name: e.name ?? 'Error', message: e.message ?? String(failure), code: /^([A-Z_]+): /.exec(e.message ?? '')?.[1] });
    }
    this.startHeartbeats(request);
  }

  private workerLost(request: DeployRequest, index: number, error: SerializedError): void {
    if (this.current !== request) return;
    const cause = errorFromWire({ ...error, code: error.code ?? 'WORKER_LOST' });
    request.report({ kind: 'failed', attempt: request.attempt, subtask: { vertexId: 0, subtaskIndex: index }, error: { ...error, code: cause.code }, cause });
  }

  private startHeartbeats(request: DeployRequest): void {
    const { clock, heartbeatIntervalMs, heartbeatTimeoutMs } = this.options;
    // Every worker has just answered its deploy: silence counts from here, not from the spawn,
    // so a worker slow to start (a slow device, a loaded machine) is not taken for dead.
    const deployedAt = clock.now();
    for (const w of this.workers) w.lastAnswerAt = deployedAt;
    const tick = () => {
      if (this.current !== request) return;
      const now = clock.now();
      for (const w of this.workers) {
        if (now - w.lastAnswerAt > heartbeatTimeoutMs) {
          this.workerLost(request, w.index, { name: 'WorkerError', code: 'WORKER_LOST', message: `worker ${w.index} missed its heartbeats for ${now - w.lastAnswerAt} ms` });
          return;
        }
        w.api.heartbeat().then((metrics) => {
          w.metrics = metrics;
          w.lastAnswerAt = clock.now();
        }, () => {});
      }
      this.heartbeat = clock.setTimeout(tick, heartbeatIntervalMs);
    };
    this.heartbeat = clock.setTimeout(tick, heartbeatIntervalMs);
  }

  send(subtask: SubtaskId, command: TaskCommand): Promise<void> {
    const worker = this.workers[subtask.subtaskIndex];
    if (worker === undefined) return Promise.reject(new WeirError('TASK_FAILED', `no worker for subtask ${subtaskKey(subtask)}`, { domain: 'internal', retryable: true }));
    return worker.api.command(subtask, command);
  }

  async cancelAll(): Promise<void> {
    this.terminateAll();
  }

  kill(worker = 0): void {
    const request = this.current;
    if (request === undefined) return;
    const target = this.workers[worker];
    if (target === undefined) throw new InvalidArgumentError('injectFailure(options).worker', `the job runs ${this.workers.length} worker(s), numbered from 0; there is no worker ${worker}`);
    target.leased.lost = true;
    target.leased.spawned.terminate();
    this.workerLost(request, worker, { name: 'WorkerError', code: 'INJECTED_FAILURE', message: `injectFailure(): worker ${worker} was terminated` });
  }

  metrics(): SubtaskMetrics[] {
    return this.workers.flatMap((w) => w.metrics);
  }

  /** The job ended (finished, cancelled, failed): pooled workers go back to their pool, others are terminated. */
  async dispose(): Promise<void> {
    const pool = poolOf(this.options.pool);
    if (pool === undefined) return this.terminateAll();
    const workers = this.workers;
    this.workers = [];
    this.terminateAll();
    await Promise.all(workers.map((w) => pool.giveBack(w.leased, this.stopWithin(w, STOP_TIMEOUT_MS))));
  }

  /** Whether the worker answered `stop()` in time (its event loop turns: no user function holds it). */
  private stopWithin(w: RunningWorker, ms: number): Promise<boolean> {
    const { clock } = this.options;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => resolve(false), ms);
      w.api.stop().then(
        () => {
          clock.clearTimeout(timer);
          resolve(true);
        },
        () => {
          clock.clearTimeout(timer);
          resolve(false);
        },
      );
    });
  }

  /** Terminates the attempt's workers (a failover, a new deploy): none goes back to a pool. */
  private terminateAll(): void {
    this.abortDeploy?.(new WeirError('TASK_FAILED', 'the workers were stopped while they were being deployed', { domain: 'internal', retryable: true }));
    this.abortDeploy = undefined;
    this.current = undefined;
    if (this.heartbeat !== undefined) this.options.clock.clearTimeout(this.heartbeat);
    const pool = poolOf(this.options.pool);
    for (const w of this.workers) {
      if (pool !== undefined) pool.discard(w.leased);
      else {
        w.api[Comlink.releaseProxy]();
        w.leased.spawned.terminate();
      }
    }
    this.workers = [];
  }
}
