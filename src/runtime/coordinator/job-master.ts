import { WeirError } from '../../errors/index.js';
import { subtaskKey, type ExecutionPlan, type SubtaskId } from '../../graph/execution-plan.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { Clock } from '../clock.js';
import type { TaskReport } from '../control-messages.js';
import type { TaskExecutor } from '../execution/task-executor.js';
import { CheckpointCoordinator, type CheckpointConfig } from './checkpoint-coordinator.js';
import { rollBackTables } from '../../connectors/sinks/table-rollback.js';
import { clearJobData, findLatestCheckpoint, sweepOrphanChunks, type CheckpointMetadata } from './checkpoint-metadata.js';
import { claimEpoch } from './runner-epoch.js';
import type { CheckpointStats } from './checkpoint-stats.js';
import { JobEventEmitter } from './job-events.js';
import { canTransition, isTerminal, type JobStatus } from './job-status.js';
import { decideRestart, type RestartStrategy } from './restart-strategy.js';
import { assignRestore, checkStateCompatibility } from './restore-assignment.js';

export interface JobMasterConfig {
  readonly plan: ExecutionPlan;
  readonly mode: 'exactly-once' | 'at-least-once';
  readonly checkpoint: CheckpointConfig;
  readonly restart: RestartStrategy;
  readonly resume: 'latest' | 'none';
  readonly allowNonRestoredState: boolean;
  readonly storage: CheckpointStorage;
  readonly clock: Clock;
  readonly executor: TaskExecutor;
  readonly metricsIntervalMs: number;
}

export interface JobResult {
  readonly jobName: string;
  readonly status: 'finished' | 'cancelled';
  readonly restarts: number;
  /** The last completed checkpoint, which committed the job's final output. */
  readonly lastCheckpointId: number | undefined;
  readonly durationMs: number;
}

/**
 * The control plane of one job: deploys its tasks, owns the checkpoint coordinator, and on
 * any failure stops every task and restores them all from the latest completed checkpoint,
 * as the restart strategy allows.
 */
export class JobMaster {
  readonly events = new JobEventEmitter();
  readonly done: Promise<JobResult>;
  /** Standby until start() has the job deployed (a second tab waits here for the first to go). */
  private status: JobStatus = 'standby';
  /** This runner's epoch, and the condition every metadata write of it carries. */
  private epoch = 0;
  private epochFence: MetadataCondition | undefined;
  /** Passed-over checkpoints to report in the next 'restore' event. */
  private skipped: { checkpointId: number; reason: string }[] = [];
  private attempt = 0;
  private restarts = 0;
  private finished = new Set<string>();
  private coordinator!: CheckpointCoordinator;
  private resolveDone!: (result: JobResult) => void;
  private rejectDone!: (error: unknown) => void;
  private readonly startedAt: number;
  private metricsTimer: unknown;
  private deploying = false;
  /** A failure reported while tasks were being deployed: handled once the deploy returns. */
  private failedDuringDeploy: unknown;
  private lastMetrics = { at: 0, records: 0 };

  constructor(private readonly config: JobMasterConfig) {
    this.startedAt = config.clock.now();
    this.done = new Promise<JobResult>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // A caller that never awaits `done` must not see an unhandled rejection.
    this.done.catch(() => {});
  }

  get plan(): ExecutionPlan {
    return this.config.plan;
  }

  get jobName(): string {
    return this.config.plan.jobName;
  }

  getStatus(): JobStatus {
    return this.status;
  }

  checkpoints(): CheckpointStats[] {
    return this.coordinator?.stats() ?? [];
  }

  /** Finds where to resume, checks it fits this job, and deploys. Throws what makes the job unrunnable. */
  async start(): Promise<void> {
    const { plan, storage, resume, allowNonRestoredState } = this.config;
    // The epoch first: from here on an older runner can complete no checkpoint, so the latest one cannot change under us.
    const token = `${this.config.clock.now()}-${Math.random().toString(36).slice(2)}`;
    const { epoch, fence } = await claimEpoch(storage, plan.jobName, token);
    this.epoch = epoch;
    this.epochFence = fence;
    let restored: CheckpointMetadata | undefined;
    let retained: CheckpointMetadata[] = [];
    if (resume === 'latest') {
      const latest = await findLatestCheckpoint(storage, plan.jobName);
      restored = latest.metadata;
      retained = latest.retained;
      this.skipped = latest.skipped.map((s) => ({ checkpointId: s.checkpointId, reason: s.error.message }));
      if (restored !== undefined) checkStateCompatibility(plan, restored, allowNonRestoredState);
    }
    if (restored === undefined) await clearJobData(storage, plan.jobName);
    else await sweepOrphanChunks(storage, plan.jobName).catch(() => 0);
    this.coordinator = new CheckpointCoordinator({
      jobName: plan.jobName,
      epoch,
      fence,
      onFenced: (error) => void this.stopFenced(error),
      maxParallelism: plan.maxParallelism,
      operatorParallelism: new Map(plan.vertices.flatMap((v) => v.operators.map((o) => [o.uid, v.parallelism] as const))),
      config: this.config.checkpoint,
      clock: this.config.clock,
      storage,
      firstCheckpointId: (restored?.checkpointId ?? 0) + 1,
      retained,
      gateway: {
        subtasks: () => this.allSubtasks(),
        trigger: (checkpointId, timestamp) => this.trigger(checkpointId, timestamp),
        abort: (checkpointId) => this.broadcast({ kind: 'abort', checkpointId }),
        complete: async (checkpointId) => {
          await Promise.all(this.allSubtasks().map((s) => this.config.executor.send(s, { kind: 'complete', checkpointId })));
        },
      },
      onStats: (stats) => this.events.emit('checkpoint', stats),
      onTooManyFailures: (error) => void this.failover(error, this.attempt),
    });
    await this.deploy(restored);
    this.scheduleMetrics();
  }

  triggerCheckpoint(): Promise<CheckpointStats> {
    if (this.status !== 'running') {
      return Promise.reject(new WeirError('CHECKPOINT_DECLINED', `job '${this.jobName}' is ${this.status}; a checkpoint needs a running job`, { domain: 'user', retryable: this.status === 'restarting' }));
    }
    return this.coordinator.triggerCheckpoint();
  }

  async cancel(): Promise<void> {
    if (isTerminal(this.status)) return;
    this.transition('cancelled');
    await this.coordinator?.stop('the job was cancelled'); // none yet while in standby
    await this.config.executor.dispose();
    this.resolveDone(this.result('cancelled'));
  }

  injectFailure(worker?: number): void {
    if (this.status === 'running') this.config.executor.kill(worker);
  }

  private allSubtasks(): SubtaskId[] {
    return this.config.plan.vertices.flatMap((v) => Array.from({ length: v.parallelism }, (_, subtaskIndex) => ({ vertexId: v.id, subtaskIndex })));
  }

  private broadcast(command: Parameters<TaskExecutor['send']>[1]): void {
    for (const s of this.allSubtasks()) this.config.executor.send(s, command).catch(() => {});
  }

  /** Sources start a checkpoint with barriers; tasks whose input ended snapshot directly. */
  private trigger(checkpointId: number, timestamp: number): void {
    for (const v of this.config.plan.vertices) {
      for (let subtaskIndex = 0; subtaskIndex < v.parallelism; subtaskIndex++) {
        const s = { vertexId: v.id, subtaskIndex };
        if (v.isSource || this.finished.has(subtaskKey(s))) {
          this.config.executor.send(s, { kind: 'trigger', checkpointId, timestamp, direct: true }).catch(() => {});
        }
      }
    }
  }

  private async deploy(from: CheckpointMetadata | undefined): Promise<void> {
    const attempt = ++this.attempt;
    this.finished = new Set();
    this.lastMetrics = { at: this.lastMetrics.at, records: 0 }; // new tasks count from zero
    this.deploying = true;
    try {
      const commitFence = await this.fenceAttempt(`attempt ${attempt}`);
      await this.config.executor.deploy({
        commitFence,
        plan: this.config.plan,
        epoch: this.epoch,
        attempt,
        mode: this.config.mode,
        restore: from === undefined ? new Map() : assignRestore(this.config.plan, from),
        report: (report) => this.onReport(report),
      });
    } finally {
      this.deploying = false;
    }
    if (attempt !== this.attempt || isTerminal(this.status)) return;
    if (this.status !== 'running') this.transition('running');
    this.coordinator.start();
    const restore = { checkpointId: from?.checkpointId, skipped: this.skipped };
    this.skipped = [];
    this.config.clock.setTimeout(() => this.events.emit('restore', restore), 0); // after run() returned the handle
    const failure = this.failedDuringDeploy;
    this.failedDuringDeploy = undefined;
    // On a later turn: the first deploy returns the handle to run()'s caller first, who may be waiting to listen.
    if (failure !== undefined) this.config.clock.setTimeout(() => void this.failover(failure, attempt), 0);
  }

  private onReport(report: TaskReport): void {
    if (report.attempt !== this.attempt || isTerminal(this.status)) return;
    switch (report.kind) {
      case 'ack':
        return this.coordinator.onAck(report);
      case 'decline':
        return this.coordinator.onDecline(report);
      case 'failed':
        void this.failover(report.cause ?? new WeirError('TASK_FAILED', report.error.message, { domain: 'internal', retryable: true }), report.attempt);
        return;
      case 'finished': {
        const key = subtaskKey(report.subtask);
        this.finished.add(key);
        // A task that ended before the barriers of the pending checkpoint reached it snapshots directly.
        const pending = this.coordinator.pendingCheckpointId;
        if (pending !== undefined && !this.coordinator.hasAcked(pending, key)) {
          this.config.executor.send(report.subtask, { kind: 'trigger', checkpointId: pending, timestamp: this.config.clock.now(), direct: true }).catch(() => {});
        }
        if (this.finished.size === this.allSubtasks().length) void this.finish(report.attempt);
        return;
      }
    }
  }

  /** Every input ended: a final checkpoint commits the last output, then the job is finished. */
  private async finish(attempt: number): Promise<void> {
    for (;;) {
      try {
        await this.coordinator.triggerCheckpoint(true);
        break;
      } catch {
        if (attempt !== this.attempt || this.status !== 'running') return;
        await this.sleep(50);
        if (attempt !== this.attempt || this.status !== 'running') return;
      }
    }
    if (attempt !== this.attempt || this.status !== 'running') return;
    await this.coordinator.stop('the job finished');
    await this.config.executor.dispose();
    this.transition('finished');
    this.resolveDone(this.result('finished'));
  }

  private async failover(cause: unknown, failedAttempt: number): Promise<void> {
    if (failedAttempt !== this.attempt) return;
    if (this.deploying) {
      this.failedDuringDeploy ??= cause;
      return;
    }
    if (this.status !== 'running') return;
    this.transition('restarting');
    await this.coordinator.stop('the job is restarting after a failure');
    await this.config.executor.cancelAll();
    // A task of the failed attempt may still have a commit on its way: it must not land now.
    await this.fenceAttempt(`attempt ${failedAttempt} stopped`).catch(() => undefined);
    const decision = decideRestart(this.config.restart, this.restarts);
    if (decision.kind === 'give-up') {
      this.transition('failed');
      await this.config.executor.dispose();
      if (cause instanceof WeirError) cause.details.restarts = this.restarts;
      this.rejectDone(cause);
      return;
    }
    let latest = this.coordinator.latestCompleted;
    let fellBackFrom: number | undefined;
    if ((cause as { code?: unknown }).code === 'CORRUPT_DATA' && latest !== undefined) {
      // The latest checkpoint cannot be restored: fall back one, and take back the output committed after it.
      fellBackFrom = latest.checkpointId;
      this.skipped.push({ checkpointId: latest.checkpointId, reason: (cause as Error).message });
      latest = await this.coordinator.discardLatest();
      await rollBackTables(this.config.storage, this.jobName, latest?.checkpointId ?? 0);
    }
    this.restarts++;
    this.events.emit('restart', {
      restart: this.restarts, cause, delayMs: decision.delayMs, restoredCheckpointId: latest?.checkpointId, ...(fellBackFrom !== undefined ? { fellBackFrom } : {}),
    });
    await this.sleep(decision.delayMs);
    if ((this.status as JobStatus) !== 'restarting') return; // cancelled while waiting
    try {
      await this.deploy(latest);
    } catch (error) {
      if ((this.status as JobStatus) !== 'restarting') return;
      // A job that cannot be deployed (its module now builds another graph, say) will not be helped by retrying.
      if (error instanceof WeirError && !error.retryable) {
        this.transition('failed');
        await this.config.executor.dispose();
        this.rejectDone(error);
        return;
      }
      this.transition('running');
      await this.failover(error, this.attempt);
    }
  }

  /**
   * Marks which attempt may commit: sinks write their commits on condition that this record
   * still holds what their attempt was given, so a stopped attempt's late commit is refused.
   */
  private async fenceAttempt(state: string): Promise<MetadataCondition> {
    const key = storageLayout.attemptKey(this.jobName);
    const bytes = new TextEncoder().encode(`${this.epoch} ${state}`);
    await this.config.storage.putMetadata([{ key, bytes }], this.epochFence);
    return { key, equals: bytes };
  }

  /** A runner that waited in standby could not start once it got the job (a bad checkpoint, storage gone). */
  failToStart(error: unknown): void {
    if (this.status !== 'standby') return;
    this.transition('failed');
    this.rejectDone(error);
  }

  /** Another runner claimed the job (a newer epoch): stop at once, without restarting. */
  private async stopFenced(error: WeirError): Promise<void> {
    if (isTerminal(this.status)) return;
    this.transition('failed');
    await this.coordinator.stop('another runner took over the job');
    await this.config.executor.dispose();
    this.rejectDone(error);
  }

  private transition(to: JobStatus): void {
    if (!canTransition(this.status, to)) throw new WeirError('TASK_FAILED', `job '${this.jobName}' cannot go from ${this.status} to ${to}`, { domain: 'internal', retryable: false });
    this.status = to;
    if (isTerminal(to) && this.metricsTimer !== undefined) this.config.clock.clearTimeout(this.metricsTimer);
    this.events.emit('status', to);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.config.clock.setTimeout(resolve, ms));
  }

  private scheduleMetrics(): void {
    const { clock, metricsIntervalMs, executor } = this.config;
    this.lastMetrics = { at: clock.now(), records: 0 };
    const tick = () => {
      if (isTerminal(this.status)) return;
      const subtasks = executor.metrics();
      // recordsOut is counted by source tasks only (records read); after a restart the counters start again at 0.
      const records = subtasks.reduce((n, s) => n + s.recordsOut, 0);
      const now = clock.now();
      const seconds = Math.max(1e-3, (now - this.lastMetrics.at) / 1000);
      this.events.emit('metrics', { timestamp: now, recordsPerSecond: Math.max(0, records - this.lastMetrics.records) / seconds, subtasks });
      this.lastMetrics = { at: now, records };
      this.metricsTimer = clock.setTimeout(tick, metricsIntervalMs);
    };
    this.metricsTimer = clock.setTimeout(tick, metricsIntervalMs);
  }

  private result(status: JobResult['status']): JobResult {
    return {
      jobName: this.jobName, status, restarts: this.restarts,
      lastCheckpointId: this.coordinator?.latestCompleted?.checkpointId, durationMs: this.config.clock.now() - this.startedAt,
    };
  }
}
