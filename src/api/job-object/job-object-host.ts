// What one job object does with its Durable Object: runs the job in-process on the object's own
// storage, keeps it going with the alarm, and resumes it in a new instance (after an eviction,
// a deploy, a crash or `ctx.abort()`) on the first request or alarm. A new instance is a new
// runner: run() claims the next epoch and restores the latest completed checkpoint, exactly as
// a failover does, so a reset is a failure like any other.
import { WeirError } from '../../errors/index.js';
import { listStoredCheckpoints } from '../../runtime/coordinator/checkpoint-metadata.js';
import { isTerminal, type JobStatus } from '../../runtime/coordinator/job-status.js';
import { durableObjectStorageFor } from '../../state/backends/durable-object-storage.js';
import type { DurableObjectStorageLike } from '../../state/backends/durable-object-storage.js';
import type { JobHandle } from '../job-handle.js';
import type { JobDefinition } from '../job.js';
import type { RunOptions } from '../run-options.js';
import type { StorageOption } from '../../platform/resolve-storage.js';
import type { RuntimePlatform } from '../../platform/runtime-platform.js';
import type { ResolvedJobObjectOptions } from './job-object-options.js';
import type { ShardCoordinator } from './shard-coordinator.js';

/** What a job object uses of its `ctx` (DurableObjectState). */
export interface DurableObjectStateLike {
  readonly id: { readonly name?: string; toString(): string };
  /** Resets the object: the next request or alarm reaches a new instance. */
  abort?(reason?: string): void;
  readonly storage: DurableObjectStorageLike & {
    getAlarm(): Promise<number | null>;
    setAlarm(scheduledTime: number): Promise<void>;
  };
}

/** The runtime functions a job object runs the job with (the workerd build's). */
export interface JobObjectRuntime {
  readonly platform: RuntimePlatform;
  run(job: JobDefinition, options: RunOptions & { storage: StorageOption }): Promise<JobHandle>;
  readTable<T>(jobName: string, table: string, options: { storage: StorageOption }): Promise<T[]>;
}

export interface JobObjectStatus {
  readonly job: string;
  readonly status: JobStatus | 'starting';
  /** Restarts of this instance's run (a reset of the object starts a new run). */
  readonly restarts: number;
  readonly latestCheckpoint: { readonly id: number; readonly completedAt: number } | null;
  /** The checkpoint this instance's run last restored (null: it started over, or has not started). */
  readonly restoredFrom: number | null;
  /** Checkpoints this instance's run passed over as unreadable (a damaged chunk), with why: as the 'restore' events said. */
  readonly skipped: readonly { readonly checkpointId: number; readonly reason: string }[];
  readonly error?: { readonly code: string; readonly message: string };
}

export class JobObjectHost {
  #handle: JobHandle | undefined;
  #starting: Promise<void> | undefined;
  /** Why the job could not start, or why it failed for good (the restart strategy gave up). */
  #failure: unknown;
  #restarts = 0;
  #restoredFrom: number | null = null;
  readonly #skipped: { checkpointId: number; reason: string }[] = [];

  constructor(
    readonly definition: JobDefinition,
    readonly options: ResolvedJobObjectOptions,
    readonly runtime: JobObjectRuntime,
    readonly ctx: DurableObjectStateLike,
    /** Set when the job's subtasks run in shard objects (parallelism > 1). */
    readonly coordinator?: ShardCoordinator,
  ) {}

  get storage(): StorageOption {
    return { durableObject: this.ctx.storage };
  }

  get handle(): JobHandle | undefined {
    return this.#handle;
  }

  /** Starts the job once per instance; a start that failed is reported by status(), not retried. */
  async ensureRunning(): Promise<void> {
    if (this.#handle !== undefined || this.#failure !== undefined) return;
    this.#starting ??= this.#start();
    await this.#starting;
  }

  async #start(): Promise<void> {
    try {
      await this.#checkLayout();
      const handle = this.coordinator !== undefined
        ? await this.coordinator.run(this.definition, this.options.run)
        : await this.runtime.run(this.definition, { ...this.options.run, storage: this.storage });
      handle.on('restart', () => void this.#restarts++);
      handle.on('restore', (e) => {
        this.#restoredFrom = e.checkpointId ?? null;
        this.#skipped.push(...e.skipped);
      });
      handle.done.catch((error: unknown) => void (this.#failure = error));
      this.#handle = handle;
    } catch (error) {
      this.#failure = error;
    }
  }

  /**
   * A job object with parallelism 1 keeps its state in its own storage, one with more in its
   * shard objects': a checkpoint of the one layout cannot be restored in the other, so a deploy
   * that moves between them is refused, saying so, rather than finding the state missing.
   */
  async #checkLayout(): Promise<void> {
    if (this.options.run.resume === 'none') return;
    const metadata = (await listStoredCheckpoints(durableObjectStorageFor(this.ctx.storage, 'ctx.storage'), this.definition.name)).readable.at(-1);
    if (metadata === undefined) return;
    const stored = Math.max(1, ...Object.values(metadata.operators).map((o) => o.parallelism));
    const shards = this.coordinator === undefined ? 1 : this.coordinator.shards;
    if ((stored > 1) === (shards > 1)) return;
    throw new WeirError('STATE_MISMATCH', `job object '${this.definition.name}': checkpoint ${metadata.checkpointId} was taken with parallelism ${stored}, this deploy runs parallelism ${shards}; ` +
      'a job object cannot move between parallelism 1 (state in the object) and more (state in its shard objects). Deploy it with its former parallelism, or with resume: \'none\' to start over', {
      domain: 'user', retryable: false, details: { checkpointId: metadata.checkpointId, stored, shards },
    });
  }

  /** Whether the job still needs the alarm: starting, running or restarting. */
  get live(): boolean {
    if (this.#failure !== undefined) return false;
    return this.#handle === undefined || !isTerminal(this.#handle.status());
  }

  /** The alarm handler: resumes the job if this is a new instance, then arms the next alarm however that went. */
  async alarm(): Promise<void> {
    try {
      await this.ensureRunning();
    } finally {
      if (this.live) await this.ctx.storage.setAlarm(Date.now() + this.options.alarmIntervalMs);
    }
  }

  /**
   * Re-arms an alarm that is missing or stuck in the past (an alarm time that never fired:
   * cloudflare-docs#18324, workerd#3138), so a live job always has its next wake-up.
   */
  async watchdog(): Promise<void> {
    if (!this.live) return;
    const at = await this.ctx.storage.getAlarm();
    const now = Date.now();
    if (at === null || at < now - this.options.alarmIntervalMs) await this.ctx.storage.setAlarm(now + this.options.alarmIntervalMs);
  }

  status(): JobObjectStatus {
    const handle = this.#handle;
    const latest = handle?.checkpoints().filter((c) => c.status === 'completed').at(-1);
    const failure = this.#failure as { code?: unknown; message?: unknown } | undefined;
    return {
      job: this.definition.name,
      status: failure !== undefined ? 'failed' : handle?.status() ?? 'starting',
      restarts: this.#restarts,
      latestCheckpoint: latest === undefined ? null : { id: latest.id, completedAt: latest.triggerTimestamp + (latest.durationMs ?? 0) },
      restoredFrom: this.#restoredFrom,
      skipped: [...this.#skipped],
      ...(failure !== undefined ? { error: { code: typeof failure.code === 'string' ? failure.code : 'TASK_FAILED', message: String(failure.message ?? failure) } } : {}),
    };
  }
}
