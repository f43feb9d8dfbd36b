import { hasErrorCode, WeirError } from '../../errors/index.js';
import type { SubtaskId } from '../../graph/execution-plan.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { Clock } from '../clock.js';
import type { TaskReport } from '../control-messages.js';
import { CheckpointFailureManager, type CheckpointFailureCode } from './checkpoint-failure-manager.js';
import { handleKeysOf, type CheckpointMetadata } from './checkpoint-metadata.js';
import { loadedStoredRecords, loadStoredRecords } from './stored-records-loader.js';
import { statsOf, type CheckpointStats } from './checkpoint-stats.js';
import type { TakenSavepoint } from './chunk-pins.js';
import { CompletedCheckpointStore } from './completed-checkpoint-store.js';
import { EventTimeTrigger } from './event-time-trigger.js';
import { SharedStateRegistry } from './shared-state-registry.js';
import { createPendingCheckpoint, metadataWriteOutcome, onAck, toMetadata, type PendingCheckpoint } from './pending-checkpoint.js';

export interface CheckpointConfig {
  /** Periodic trigger interval; undefined: only manual and final checkpoints. */
  readonly intervalMs: number | undefined;
  readonly timeoutMs: number;
  readonly minPauseMs: number;
  /** Consecutive failed checkpoints tolerated before the job fails. */
  readonly tolerableFailures: number;
  /** Completed checkpoints kept; older ones are subsumed and their data deleted. */
  readonly retained: number;
  /** Unaligned checkpoints (FLIP-76): 0 = unaligned from the first barrier; n > 0 = aligned for n ms after the trigger, then unaligned. Absent: aligned. */
  readonly unaligned?: { readonly alignedTimeoutMs: number };
  /** A checkpoint each time the sources' combined watermark crosses a multiple of this (instead of intervalMs). */
  readonly eventTimeIntervalMs?: number;
}

/** How the coordinator reaches the tasks; the JobMaster decides which tasks get what. */
export interface CoordinatorGateway {
  subtasks(): readonly SubtaskId[];
  /** `savepoint`: every task snapshots in full (no chunk of an earlier checkpoint reused). */
  trigger(checkpointId: number, timestamp: number, savepoint: boolean): void;
  abort(checkpointId: number): void;
  /** Resolves once every task handled the completion (sinks committed). */
  complete(checkpointId: number): Promise<void>;
}

export interface CoordinatorDeps {
  readonly jobName: string;
  readonly epoch: number;
  readonly maxParallelism: number;
  readonly operatorParallelism: ReadonlyMap<string, number>;
  readonly config: CheckpointConfig;
  readonly clock: Clock;
  readonly storage: CheckpointStorage;
  readonly gateway: CoordinatorGateway;
  readonly onStats: (stats: CheckpointStats) => void;
  /** Too many checkpoints failed in a row: the job must fail. */
  readonly onTooManyFailures: (error: WeirError) => void;
  readonly firstCheckpointId: number;
  /** The subtask keys of the source subtasks (event-time checkpoints wait for all of them). */
  readonly sources?: readonly string[];
  /** The completed checkpoints in storage, oldest first; the last is the one restored. */
  readonly retained: readonly CheckpointMetadata[];
  /** The runner's epoch condition: every metadata write and every delete is conditional on it. */
  readonly fence?: MetadataCondition;
  /** Another runner took the job over: this one must stop. */
  readonly onFenced?: (error: WeirError) => void;
}

interface Waiter {
  resolve(stats: CheckpointStats, metadata: CheckpointMetadata): void;
  reject(error: unknown): void;
}

/**
 * Triggers checkpoints, collects acks, and completes a checkpoint with one atomic metadata
 * write, the commit point; then tells the tasks, subsumes older checkpoints and deletes their
 * data. Decisions on acks are pure (pending-checkpoint.ts); this class does the I/O and timers.
 */
export class CheckpointCoordinator {
  private nextId: number;
  private pending: (PendingCheckpoint & { waiters: Waiter[]; timeout: unknown; savepoint: boolean; completing?: Promise<void> }) | undefined;
  private readonly completed: CompletedCheckpointStore;
  private readonly sharedState: SharedStateRegistry;
  private readonly failures: CheckpointFailureManager;
  private readonly history: CheckpointStats[] = [];
  private lastCompletedAt = -Infinity;
  private periodic: unknown;
  private running = false;
  /** Set once the final checkpoint is asked for: no periodic checkpoint may follow it. */
  private finalRequested = false;
  private queued: { final: boolean; savepoint: boolean; waiters: Waiter[]; eventTimePosition?: number }[] = [];
  private eventTime: EventTimeTrigger | undefined;
  /** The subsumption a completion started: the stored checkpoints are the retained ones once it settled. */
  private subsuming: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CoordinatorDeps) {
    this.nextId = deps.firstCheckpointId;
    this.completed = new CompletedCheckpointStore(deps.retained);
    this.sharedState = new SharedStateRegistry(this.completed, deps.storage, deps.fence, (error) => this.onDeleteFailed(error));
    this.failures = new CheckpointFailureManager(deps.config.tolerableFailures);
  }

  get latestCompleted(): CheckpointMetadata | undefined {
    return this.completed.latest;
  }

  /** Every completed checkpoint kept, oldest first. */
  get retainedCheckpoints(): readonly CheckpointMetadata[] {
    return this.completed.all;
  }

  /** The id the next checkpoint takes: no id is ever taken twice. */
  get nextCheckpointId(): number {
    return this.nextId;
  }

  /**
   * Forgets checkpoints proven unreadable and deletes their metadata, so neither this runner
   * nor a later one tries them again (their chunks go with the next restore's sweep). Rejects
   * with STORAGE_FENCED when another runner owns the job.
   */
  async discard(checkpointIds: readonly number[]): Promise<void> {
    if (checkpointIds.length === 0) return;
    this.completed.remove(new Set(checkpointIds));
    await this.deps.storage.deleteMetadata(checkpointIds.map((id) => storageLayout.checkpointMetadataKey(this.deps.jobName, id)), this.deps.fence);
  }

  stats(): CheckpointStats[] {
    const all = this.pending ? [...this.history, statsOf(this.pending, 'in-progress', this.deps.clock.now())] : [...this.history];
    return all;
  }

  hasAcked(checkpointId: number, key: string): boolean {
    return this.pending?.checkpointId === checkpointId && this.pending.acks.has(key);
  }

  get pendingCheckpointId(): number | undefined {
    return this.pending?.checkpointId;
  }

  /** Whether the pending checkpoint is a savepoint (a task that triggers directly must snapshot in full). */
  get pendingIsSavepoint(): boolean {
    return this.pending?.savepoint === true;
  }

  /** Starts periodic triggering (after a deploy). */
  start(): void {
    this.running = true;
    this.finalRequested = false;
    this.failures.reset();
    const { eventTimeIntervalMs } = this.deps.config;
    // Every attempt's sources report anew; positions up to the restored checkpoint's are covered.
    if (eventTimeIntervalMs !== undefined) this.eventTime = new EventTimeTrigger(eventTimeIntervalMs, this.deps.sources ?? [], this.latestCompleted?.eventTimePosition);
    this.schedulePeriodic(this.deps.config.intervalMs);
    this.triggerQueued(); // a manual or final checkpoint asked for while stopped
  }

  /**
   * Stops triggering and aborts what is pending (a failover or cancel). Resolves once an
   * in-flight metadata write settled, so the caller sees the true latest checkpoint.
   */
  async stop(reason: string): Promise<void> {
    this.running = false;
    const { clock } = this.deps;
    if (this.periodic !== undefined) clock.clearTimeout(this.periodic);
    this.periodic = undefined;
    const pending = this.pending;
    if (pending?.completing !== undefined) await pending.completing.catch(() => {});
    else if (pending !== undefined) this.abortPending(reason, 'CHECKPOINT_ABORTED', false);
    for (const q of this.queued.splice(0)) for (const w of q.waiters) w.reject(new WeirError('CHECKPOINT_ABORTED', `checkpoint not taken: ${reason}`, { domain: 'internal', retryable: true }));
  }

  /** A manual or final checkpoint: taken as soon as no other one is in flight. */
  triggerCheckpoint(final = false): Promise<CheckpointStats> {
    if (final) this.stopPeriodic();
    return this.enqueue(final, false).then(({ stats }) => stats);
  }

  /** No periodic checkpoint from now on (the final one, or a stop's savepoint, is the last). */
  private stopPeriodic(): void {
    this.finalRequested = true;
    if (this.periodic !== undefined) this.deps.clock.clearTimeout(this.periodic);
    this.periodic = undefined;
  }

  /**
   * A savepoint: a checkpoint in which every task snapshots in full. Resolves once every task
   * handled its completion (sinks committed), with its chunks pinned until `release()`.
   * `last`: no periodic checkpoint follows it (stop-with-savepoint).
   */
  triggerSavepoint(last: boolean): Promise<TakenSavepoint> {
    if (last) this.stopPeriodic();
    return this.enqueue(false, true).then(({ stats, metadata }) => {
      let released = false;
      return { stats, metadata, release: () => void (released || ((released = true), this.sharedState.pins.unpin(handleKeysOf(metadata)))) };
    });
  }

  private enqueue(final: boolean, savepoint: boolean): Promise<{ stats: CheckpointStats; metadata: CheckpointMetadata }> {
    return new Promise((resolve, reject) => {
      this.queued.push({ final, savepoint, waiters: [{ resolve: (stats, metadata) => resolve({ stats, metadata }), reject }] });
      this.triggerQueued();
    });
  }

  /** A source subtask stopped at an event-time position; or (position undefined) a subtask finished. */
  onEventTime(subtask: string, position?: number): void {
    const at = position === undefined ? this.eventTime?.onSourceFinished(subtask) : this.eventTime?.onSourceReached(subtask, position);
    if (at === undefined || this.finalRequested) return;
    this.queued.push({ final: false, savepoint: false, waiters: [], eventTimePosition: at });
    this.triggerQueued();
  }

  private schedulePeriodic(delayMs: number | undefined): void {
    const { clock } = this.deps;
    if (!this.running || this.finalRequested || delayMs === undefined) return;
    if (this.periodic !== undefined) clock.clearTimeout(this.periodic);
    this.periodic = clock.setTimeout(() => {
      this.periodic = undefined;
      this.periodicTrigger();
    }, delayMs);
  }

  private periodicTrigger(): void {
    const { config, clock } = this.deps;
    if (!this.running) return;
    const earliest = this.lastCompletedAt + config.minPauseMs;
    if (this.finalRequested) return;
    if (this.pending !== undefined || this.queued.length > 0) {
      this.schedulePeriodic(config.intervalMs);
    } else if (clock.now() < earliest) {
      this.schedulePeriodic(earliest - clock.now());
    } else {
      this.startCheckpoint(false, false, []);
      this.schedulePeriodic(config.intervalMs);
    }
  }

  private triggerQueued(): void {
    if (!this.running || this.pending !== undefined) return;
    const next = this.queued.shift();
    if (next !== undefined) this.startCheckpoint(next.final, next.savepoint, next.waiters, next.eventTimePosition);
  }

  private startCheckpoint(final: boolean, savepoint: boolean, waiters: Waiter[], eventTimePosition?: number): void {
    const { clock, gateway, config } = this.deps;
    const checkpointId = this.nextId++;
    const now = clock.now();
    const timeout = clock.setTimeout(() => {
      if (this.pending?.checkpointId === checkpointId && this.pending.completing === undefined) {
        this.abortPending(`checkpoint ${checkpointId} expired after ${config.timeoutMs} ms`, 'CHECKPOINT_TIMEOUT', true);
      }
    }, config.timeoutMs);
    this.pending = { ...createPendingCheckpoint(checkpointId, now, gateway.subtasks(), final, eventTimePosition), waiters, timeout, savepoint };
    gateway.trigger(checkpointId, now, savepoint);
  }

  onAck(report: Extract<TaskReport, { kind: 'ack' }>): void {
    const decision = onAck(this.pending, report);
    if (decision.kind === 'ignore') {
      // A late ack of an aborted checkpoint: nothing will ever point to its chunks.
      if (decision.reason === 'unknown-checkpoint' && !this.completed.has(report.checkpointId)) {
        void this.sharedState.deleteUnreferenced(report.handles.map((h) => h.key));
      }
      return;
    }
    const pending = this.pending!;
    this.pending = { ...decision.checkpoint, waiters: pending.waiters, timeout: pending.timeout, savepoint: pending.savepoint };
    if (decision.kind === 'complete') this.pending.completing = this.complete(this.pending);
  }

  onDecline(report: Extract<TaskReport, { kind: 'decline' }>): void {
    if (this.pending?.checkpointId !== report.checkpointId || this.pending.completing !== undefined) return;
    this.abortPending(`checkpoint ${report.checkpointId} declined: ${report.reason}`, report.storageFailure ? 'CHECKPOINT_STORAGE_FAILED' : 'CHECKPOINT_DECLINED', true);
  }

  /** Must treat the metadata write as the commit point: only after it resolved are the tasks told. */
  private async complete(pending: PendingCheckpoint & { waiters: Waiter[]; timeout: unknown; savepoint: boolean }): Promise<void> {
    const { clock, storage, gateway } = this.deps;
    clock.clearTimeout(pending.timeout);
    const fail = (reason: string, code: 'CHECKPOINT_STORAGE_FAILED' | 'CHECKPOINT_DECLINED', deleteChunks: boolean) => {
      this.pending = { ...pending, completing: undefined };
      this.abortPending(`checkpoint ${pending.checkpointId}: ${reason}`, code, true, deleteChunks);
    };
    let metadata: CheckpointMetadata;
    let record: { key: string; bytes: Uint8Array };
    try {
      metadata = toMetadata(pending, this.deps, clock.now());
      // Loaded at the job's start (attempt record): no tick here then, the commit's timing unchanged.
      record = (loadedStoredRecords() ?? (await loadStoredRecords())).encodeMetadata(metadata);
    } catch (error) {
      fail(`its metadata could not be built: ${error instanceof Error ? error.message : String(error)}`, 'CHECKPOINT_DECLINED', true);
      return;
    }
    try {
      await storage.putMetadata([record], this.deps.fence);
    } catch (error) {
      if (hasErrorCode(error, 'STORAGE_FENCED')) {
        this.pending = undefined;
        this.running = false;
        for (const w of pending.waiters) w.reject(error);
        this.deps.onFenced?.(error);
        return;
      }
      const outcome = metadataWriteOutcome(record.bytes, await storage.getMetadata(record.key).catch(() => 'unreadable' as const));
      if (outcome !== 'landed') {
        fail(`writing its metadata failed: ${error instanceof Error ? error.message : String(error)}`, 'CHECKPOINT_STORAGE_FAILED', outcome === 'absent');
        return;
      }
    }
    this.pending = undefined;
    if (pending.savepoint) this.sharedState.pins.pin(handleKeysOf(metadata));
    this.completed.add(metadata);
    this.lastCompletedAt = clock.now();
    this.failures.onSuccess();
    const stats = statsOf(pending, 'completed', clock.now());
    this.record(stats);
    this.subsuming = this.subsume();
    // Not awaited by `completing`: a failover must not wait for tasks that are gone.
    gateway.complete(pending.checkpointId).then(
      () => pending.waiters.forEach((w) => w.resolve(stats, metadata)),
      (error) => {
        if (pending.savepoint) this.sharedState.pins.unpin(handleKeysOf(metadata));
        pending.waiters.forEach((w) => w.reject(error));
      },
    );
    this.triggerQueued();
  }

  /** Ends the pending checkpoint; the CheckpointFailureManager decides whether the job must fail for it. */
  private abortPending(reason: string, code: CheckpointFailureCode, notifyTasks: boolean, deleteChunks = true): void {
    const pending = this.pending;
    if (pending === undefined) return;
    const { clock, gateway } = this.deps;
    clock.clearTimeout(pending.timeout);
    this.pending = undefined;
    if (notifyTasks) gateway.abort(pending.checkpointId);
    if (deleteChunks) void this.sharedState.deleteUnreferenced([...pending.acks.values()].flatMap((a) => a.handles.map((h) => h.key)));
    this.record(statsOf(pending, 'failed', clock.now(), reason));
    const domain = CheckpointFailureManager.counts(code) ? 'external' : 'internal';
    const error = new WeirError(code, reason, { domain, retryable: true, details: { checkpointId: pending.checkpointId } });
    for (const w of pending.waiters) w.reject(error);
    const jobFailure = this.failures.onFailure(code, reason, error);
    if (jobFailure !== undefined) {
      this.deps.onTooManyFailures(jobFailure);
      return;
    }
    this.triggerQueued();
  }

  /** Resolves once the latest completion's subsumption settled (it never rejects). */
  housekeeping(): Promise<void> {
    return this.subsuming;
  }

  /**
   * A finished job keeps only its final checkpoint: no restore can then take back any of its
   * output (a restore resumes from a stored checkpoint), so table watchers show all of it. No task
   * snapshots any more, so the subsumed checkpoints' chunks go at once.
   */
  async keepOnlyLatest(): Promise<void> {
    await this.subsuming;
    await this.subsume(1);
    await this.sharedState.deleteDeferred();
  }

  /**
   * Drops completed checkpoints beyond the retained count; the SharedStateRegistry deletes their
   * chunks one completion later.
   */
  private async subsume(retained = this.deps.config.retained): Promise<void> {
    const { storage, jobName } = this.deps;
    await this.sharedState.deleteDeferred();
    for (let old = this.completed.subsumeOldest(retained); old !== undefined; old = this.completed.subsumeOldest(retained)) {
      // Metadata first, as Flink does: stored metadata must never point at a deleted chunk.
      try {
        await storage.deleteMetadata([storageLayout.checkpointMetadataKey(jobName, old.checkpointId)], this.deps.fence);
      } catch (error) {
        this.onDeleteFailed(error);
        continue; // the chunks stay while the metadata does; a fresh start clears both
      }
      this.sharedState.defer(handleKeysOf(old));
    }
  }

  /** A delete refused by the fence means another runner owns the job: this one stops. */
  private onDeleteFailed(error: unknown): void {
    if (!hasErrorCode(error, 'STORAGE_FENCED') || !this.running) return;
    this.running = false;
    this.deps.onFenced?.(error);
  }

  private record(stats: CheckpointStats): void {
    this.history.push(stats);
    if (this.history.length > 1000) this.history.splice(0, this.history.length - 1000);
    this.deps.onStats(stats);
  }
}
