import { hasErrorCode, WeirError } from '../../errors/index.js';
import { subtaskKey, type ExecutionPlan } from '../../graph/execution-plan.js';
import { fencedError, type CheckpointStorage, type MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { Clock } from '../clock.js';
import { taskCheckpointOptions, type JobWarning, type TaskReport } from '../control-messages.js';
import type { TaskExecutor } from '../execution/task-executor.js';
import { readCheckpointIdFloor, writeAttemptRecord } from './attempt-record.js';
import { CheckpointPlan } from './checkpoint-plan.js';
import { CheckpointCoordinator, type CheckpointConfig } from './checkpoint-coordinator.js';
import { listStoredCheckpoints, type CheckpointMetadata } from './checkpoint-metadata.js';
import type { CheckpointStats } from './checkpoint-stats.js';
import { JobEventEmitter } from './job-events.js';
import { MetricsReporter } from './metrics-reporter.js';
import { canTransition, isTerminal, type JobStatus } from './job-status.js';
import { startWarnings } from './job-warnings.js';
import { decideFailover, type FenceOutcome } from './recovery-decisions.js';
import { decideRestart, onFailure, type RestartHistory, type RestartStrategy } from './restart-strategy.js';
import { claimEpoch } from './runner-epoch.js';
import { PostCommitter } from './post-commit.js';
import { rollBackSinks, type SinkControlContext } from './sink-recovery.js';
import { decideStartPoint, prepareStorage, type StartPoint } from './savepoint-restore.js';

export interface JobMasterConfig {
  readonly plan: ExecutionPlan;
  readonly mode: 'exactly-once' | 'at-least-once';
  readonly checkpoint: CheckpointConfig;
  readonly restart: RestartStrategy;
  readonly resume: StartPoint;
  readonly allowNonRestoredState: boolean;
  readonly storage: CheckpointStorage;
  readonly clock: Clock;
  /** Uniform in [0, 1), as Math.random: tells this runner's epoch claim from a concurrent one's. */
  readonly random: () => number;
  readonly executor: TaskExecutor;
  readonly metricsIntervalMs: number;
  /** Known before the job runs (a browser without IndexedDB): emitted with the first 'restore'. */
  readonly warnings?: readonly JobWarning[];
}

export interface JobResult {
  readonly jobName: string;
  readonly status: 'finished' | 'cancelled';
  readonly restarts: number;
  /** The last completed checkpoint, which committed the job's final output. */
  readonly lastCheckpointId: number | undefined;
  readonly durationMs: number;
}

/** An attempt's failure, as its tasks reported it. */
interface Failure {
  readonly cause: unknown;
  readonly attempt: number;
  /** The attempt could not read the checkpoint it restored: the proof a fallback needs. */
  readonly unreadableCheckpoint?: number;
}

const isFenced = (error: unknown) => hasErrorCode(error, 'STORAGE_FENCED');

/**
 * The control plane of one job: deploys its tasks, owns the checkpoint coordinator, and on
 * any failure stops every task and restores them all from the latest completed checkpoint,
 * as the restart strategy allows. What to restore, drop and roll back is decided in
 * recovery-decisions.ts; this class carries it out.
 */
export class JobMaster {
  readonly events = new JobEventEmitter();
  readonly done: Promise<JobResult>;
  /** Standby until start() has the job deployed (a second tab waits here for the first to go). */
  private status: JobStatus = 'standby';
  /** This runner's epoch, and the condition every metadata write and delete of it carries. */
  private epoch = 0;
  private epochFence!: MetadataCondition;
  /** Passed-over checkpoints to report in the next 'restore' event. */
  private passedOver: { checkpointId: number; reason: string }[] = [];
  private attempt = 0;
  private restarts = 0;
  private history: RestartHistory = { counted: 0, lastFailureAt: undefined };
  private readonly checkpointPlan: CheckpointPlan;
  private coordinator!: CheckpointCoordinator;
  private postCommitter!: PostCommitter;
  private resolveDone!: (result: JobResult) => void;
  private rejectDone!: (error: unknown) => void;
  private readonly startedAt: number;
  private readonly metrics: MetricsReporter;
  private deploying = false;
  /** A failure reported while tasks were being deployed: handled once the deploy returns. */
  private failedDuringDeploy: Failure | undefined;
  private warnings: JobWarning[];

  constructor(private readonly config: JobMasterConfig) {
    this.startedAt = config.clock.now();
    this.checkpointPlan = new CheckpointPlan(config.plan);
    this.warnings = [...(config.warnings ?? []), ...startWarnings(config.plan, config.checkpoint.intervalMs ?? config.checkpoint.eventTimeIntervalMs)];
    this.metrics = new MetricsReporter(config.clock, config.metricsIntervalMs, () => config.executor.metrics(), (e) => this.events.emit('metrics', e));
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

  getStatus = (): JobStatus => this.status;

  checkpoints(): CheckpointStats[] {
    return this.coordinator?.stats() ?? [];
  }

  /** Finds where to resume, checks it fits this job, and deploys. Throws what makes the job unrunnable. */
  async start(): Promise<void> {
    const { plan, storage, resume, allowNonRestoredState } = this.config;
    // The epoch first: from here on an older runner can complete no checkpoint and delete nothing.
    const token = `${this.config.clock.now()}-${this.config.random().toString(36).slice(2)}`;
    const { epoch, fence } = await claimEpoch(storage, plan.jobName, token);
    this.epoch = epoch;
    this.epochFence = fence;
    const decision = decideStartPoint({ start: resume, stored: await listStoredCheckpoints(storage, plan.jobName), idFloor: await readCheckpointIdFloor(storage, plan.jobName), jobName: plan.jobName });
    // Loaded only to restore (bundlers split it off): a fresh start does not carry it.
    if (decision.restore !== undefined) (await import('./restore-assignment.js')).checkStateCompatibility(plan, decision.restore, allowNonRestoredState);
    // Fences the older runner's commits and keeps the id floor before anything is dropped.
    await this.writeAttempt('starting', decision.nextCheckpointId);
    const { restore, retained } = await prepareStorage(storage, plan, decision, epoch, fence);
    this.passedOver = [...decision.passedOver];
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
      firstCheckpointId: decision.nextCheckpointId,
      sources: this.checkpointPlan.sources,
      retained,
      gateway: {
        subtasks: () => this.checkpointPlan.subtasks,
        trigger: (checkpointId, timestamp, savepoint) => this.trigger(checkpointId, timestamp, savepoint),
        abort: (checkpointId) => this.broadcast({ kind: 'abort', checkpointId }),
        complete: async (checkpointId) => {
          await Promise.all(this.checkpointPlan.subtasks.map((s) => this.config.executor.send(s, { kind: 'complete', checkpointId })));
          // Every subtask committed everything up to it: the sinks' post-commit steps may run.
          if (this.status === 'running') void this.postCommitter.committed(checkpointId);
        },
      },
      onStats: (stats) => this.events.emit('checkpoint', stats),
      onTooManyFailures: (error) => void this.failover({ cause: error, attempt: this.attempt }),
    });
    this.postCommitter = new PostCommitter({
      plan, control: () => this.sinkControl(), housekeeping: () => this.coordinator.housekeeping(), onFenced: (error) => void this.stopFenced(error),
    });
    const fellBackFrom = decision.passedOver.length > 0 ? Math.max(...decision.passedOver.map((p) => p.checkpointId)) : undefined;
    await this.deploy(restore, fellBackFrom);
    if (!isTerminal(this.status)) this.metrics.start();
  }

  triggerCheckpoint(): Promise<CheckpointStats> {
    if (this.status !== 'running') {
      return Promise.reject(new WeirError('CHECKPOINT_DECLINED', `job '${this.jobName}' is ${this.status}; a checkpoint needs a running job`, { domain: 'user', retryable: this.status === 'restarting' }));
    }
    return this.coordinator.triggerCheckpoint();
  }

  /** A savepoint (savepoint-taker.ts); `stop`: then the job ends FINISHED, as Flink's stop-with-savepoint. */
  async savepoint(stop: boolean): Promise<Uint8Array> {
    const bytes = await (await import('./savepoint-taker.js')).takeSavepoint(this.config, () => this.status, this.coordinator, stop); // loaded on first use
    if (stop && this.status === 'running') await this.finishWithLatest(this.attempt, 'the job was stopped with a savepoint');
    return bytes;
  }

  async cancel(): Promise<void> {
    if (isTerminal(this.status)) return;
    await this.terminate('cancelled', 'the job was cancelled');
  }

  injectFailure(worker?: number): void {
    if (this.status === 'running') this.config.executor.kill(worker);
  }

  private broadcast(command: Parameters<TaskExecutor['send']>[1]): void {
    for (const s of this.checkpointPlan.subtasks) this.config.executor.send(s, command).catch(() => {});
  }

  /** Sources start a checkpoint with barriers; tasks whose input ended snapshot directly. */
  private trigger(checkpointId: number, timestamp: number, savepoint: boolean): void {
    for (const s of this.checkpointPlan.tasksToTrigger()) this.config.executor.send(s, { kind: 'trigger', checkpointId, timestamp, savepoint }).catch(() => {});
  }

  /**
   * Fences the attempt, rolls the sinks back to the checkpoint it restores (a no-op unless a
   * fallback or a crash left something after it), then starts the tasks. A failure anywhere
   * fails the deploy; the failover that follows does it all again.
   */
  private async deploy(from: CheckpointMetadata | undefined, fellBackFrom?: number): Promise<void> {
    const attempt = ++this.attempt;
    this.checkpointPlan.newAttempt();
    this.postCommitter.newAttempt();
    this.metrics.restartCounts();
    this.deploying = true;
    try {
      const commitFence = await this.writeAttempt('running', this.coordinator.nextCheckpointId, attempt);
      await rollBackSinks(this.config.plan, this.sinkControl(attempt), from?.checkpointId ?? 0, fellBackFrom);
      await this.config.executor.deploy({
        commitFence,
        plan: this.config.plan,
        epoch: this.epoch,
        attempt,
        mode: this.config.mode,
        checkpointOptions: taskCheckpointOptions(this.config.checkpoint),
        restore: from === undefined ? new Map() : (await import('./restore-assignment.js')).assignRestore(this.config.plan, from),
        report: (report) => this.onReport(report),
      });
    } finally {
      this.deploying = false;
    }
    if (attempt !== this.attempt || isTerminal(this.status)) return;
    if (this.status !== 'running') this.transition('running');
    this.coordinator.start();
    const restore = { checkpointId: from?.checkpointId, skipped: this.passedOver };
    this.passedOver = [];
    const warnings = this.warnings.splice(0);
    // After run() returned the handle, whose caller may be waiting to listen.
    this.config.clock.setTimeout(() => {
      this.events.emit('restore', restore);
      for (const w of warnings) this.events.emit('warning', w);
    }, 0);
    const failure = this.failedDuringDeploy;
    this.failedDuringDeploy = undefined;
    if (failure !== undefined) this.config.clock.setTimeout(() => void this.failover({ ...failure, attempt }), 0);
  }

  private onReport(report: TaskReport): void {
    if (report.attempt !== this.attempt || isTerminal(this.status)) return;
    switch (report.kind) {
      case 'ack':
        return this.coordinator.onAck(report);
      case 'decline':
        return this.coordinator.onDecline(report);
      case 'warning':
        return this.events.emit('warning', report.warning);
      case 'event-time': return this.coordinator.onEventTime(subtaskKey(report.subtask), report.position);
      case 'failed': {
        const cause = report.cause ?? new WeirError('TASK_FAILED', report.error.message, { domain: 'internal', retryable: true });
        void this.failover({ cause, attempt: report.attempt, ...(report.unreadableCheckpoint !== undefined ? { unreadableCheckpoint: report.unreadableCheckpoint } : {}) });
        return;
      }
      case 'finished': {
        const allFinished = this.checkpointPlan.markFinished(report.subtask);
        this.coordinator.onEventTime(subtaskKey(report.subtask));
        // A task that ended before the barriers of the pending checkpoint reached it snapshots directly.
        const pending = this.coordinator.pendingCheckpointId;
        if (pending !== undefined && !this.coordinator.hasAcked(pending, subtaskKey(report.subtask))) {
          this.config.executor.send(report.subtask, { kind: 'trigger', checkpointId: pending, timestamp: this.config.clock.now(), savepoint: this.coordinator.pendingIsSavepoint }).catch(() => {});
        }
        if (allFinished) void this.finish(report.attempt);
        return;
      }
    }
  }

  /** Every input ended: a final checkpoint commits the last output (again, until every sink committed), then the job is finished. */
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
    await this.finishWithLatest(attempt, 'the job finished');
  }

  /** The latest checkpoint alone is kept (a final one, a stop's savepoint), so nothing can take the job's output back: watchers show all of it. */
  private async finishWithLatest(attempt: number, reason: string): Promise<void> {
    await this.coordinator.keepOnlyLatest();
    await this.postCommitter.request();
    if (attempt !== this.attempt || this.status !== 'running') return;
    await this.terminate('finished', reason);
  }

  private async failover(failure: Failure): Promise<void> {
    if (failure.attempt !== this.attempt) return;
    if (this.deploying) {
      this.failedDuringDeploy ??= failure;
      return;
    }
    if (this.status !== 'running') return;
    this.transition('restarting');
    await this.coordinator.stop('the job is restarting after a failure');
    await this.config.executor.cancelAll();
    // Before anything is dropped: a commit of the failed attempt still on its way must be refused, not land later.
    const fence: FenceOutcome = await this.writeAttempt('stopped', this.coordinator.nextCheckpointId).then(() => 'written' as const, (e: unknown) => (isFenced(e) ? 'fenced' : 'failed'));
    this.history = onFailure(this.config.restart, this.history, this.config.clock.now());
    const decision = decideFailover({
      cause: failure.cause, unreadableCheckpoint: failure.unreadableCheckpoint, completed: this.coordinator.retainedCheckpoints, fence,
      restart: decideRestart(this.config.restart, this.history.counted),
    });
    if (decision.kind === 'stop-fenced') return this.stopFenced(isFenced(failure.cause) ? (failure.cause as WeirError) : fencedError({ key: storageLayout.attemptKey(this.jobName), equals: undefined }));
    if (decision.kind === 'give-up') return this.giveUp(failure.cause);
    try {
      await this.coordinator.discard(decision.drop);
    } catch (error) {
      if (isFenced(error)) return this.stopFenced(error as WeirError);
      // The metadata may stay; it is unreadable, so the next restore of it fails and falls back again.
    }
    if (decision.fellBackFrom !== undefined) {
      this.passedOver.push({ checkpointId: decision.fellBackFrom, reason: failure.cause instanceof Error ? failure.cause.message : String(failure.cause) });
    }
    this.restarts++;
    this.history = { ...this.history, counted: this.history.counted + 1 };
    this.events.emit('restart', {
      restart: this.restarts, cause: failure.cause, delayMs: decision.delayMs, restoredCheckpointId: decision.restore?.checkpointId,
      ...(decision.fellBackFrom !== undefined ? { fellBackFrom: decision.fellBackFrom } : {}),
    });
    await this.sleep(decision.delayMs);
    if ((this.status as JobStatus) !== 'restarting') return; // cancelled while waiting
    try {
      await this.deploy(decision.restore, decision.fellBackFrom);
    } catch (error) {
      if ((this.status as JobStatus) !== 'restarting') return;
      if (isFenced(error)) return this.stopFenced(error as WeirError);
      // A job that cannot be deployed (its module now builds another graph, say) will not be helped by retrying.
      if (error instanceof WeirError && !error.retryable) return this.giveUp(error, false);
      this.transition('running');
      await this.failover({ cause: error, attempt: this.attempt });
    }
  }

  private async giveUp(cause: unknown, countRestarts = true): Promise<void> {
    if (countRestarts && cause instanceof WeirError) cause.details.restarts = this.restarts;
    await this.terminate('failed', 'the job failed', cause);
  }

  /** Writes the attempt record (attempt-record.ts); resolves with the fence the attempt's commits carry. */
  private writeAttempt(state: string, nextCheckpointId: number, attempt = this.attempt): Promise<MetadataCondition> {
    return writeAttemptRecord(this.config.storage, this.jobName, { epoch: this.epoch, attempt, state, nextCheckpointId }, this.epochFence);
  }

  private sinkControl(attempt = this.attempt): SinkControlContext {
    return { storage: this.config.storage, fence: this.epochFence, attemptId: storageLayout.attemptId(this.epoch, attempt) };
  }

  /** A runner that waited in standby could not start once it got the job (a bad checkpoint, storage gone). */
  failToStart(error: unknown): void {
    if (this.status !== 'standby') return;
    void this.terminate('failed', 'the job could not start', error);
  }

  /** Another runner claimed the job (a newer epoch): stop at once, without restarting, touching nothing. */
  private async stopFenced(error: WeirError): Promise<void> {
    if (isTerminal(this.status)) return;
    await this.terminate('failed', 'another runner took over the job', error);
  }

  /**
   * The one way a job ends. Must announce the terminal status first: from then on no task report
   * and no failover touches the job. Then no checkpoint is pending or triggered, the tasks are
   * gone, and `done` settles: with the result, or with `error` for a failed job.
   */
  private async terminate(status: 'finished' | 'cancelled' | 'failed', reason: string, error?: unknown): Promise<void> {
    this.transition(status);
    await this.coordinator?.stop(reason); // none yet while in standby
    await this.config.executor.dispose();
    if (status === 'failed') this.rejectDone(error);
    else this.resolveDone(this.result(status));
  }

  private transition(to: JobStatus): void {
    if (!canTransition(this.status, to)) throw new WeirError('TASK_FAILED', `job '${this.jobName}' cannot go from ${this.status} to ${to}`, { domain: 'internal', retryable: false });
    this.status = to;
    if (isTerminal(to)) this.metrics.stop();
    this.events.emit('status', to);
  }

  private readonly sleep = (ms: number): Promise<void> => new Promise((resolve) => this.config.clock.setTimeout(resolve, ms));

  private result(status: JobResult['status']): JobResult {
    return {
      jobName: this.jobName, status, restarts: this.restarts,
      lastCheckpointId: this.coordinator?.latestCompleted?.checkpointId, durationMs: this.config.clock.now() - this.startedAt,
    };
  }
}
