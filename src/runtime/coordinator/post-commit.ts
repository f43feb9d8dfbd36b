import { settledCheckpointId } from '../../connectors/sinks/settled-checkpoint.js';
import { hasErrorCode, WeirError } from '../../errors/index.js';
import type { ExecutionPlan } from '../../graph/execution-plan.js';
import { postCommitSinks, type SinkControlContext } from './sink-recovery.js';

export interface PostCommitDeps {
  readonly plan: ExecutionPlan;
  /** The runner's fence and current attempt, read when a run starts. */
  readonly control: () => SinkControlContext;
  /** Resolves once the coordinator's subsumption settled: the stored checkpoints are the retained ones. */
  readonly housekeeping: () => Promise<void>;
  readonly onFenced: (error: WeirError) => void;
}

/**
 * Runs the sinks' post-commit steps (Sink.postCommit) after checkpoints every subtask committed:
 * one run at a time, and requests that come during a run share one run after it. Housekeeping:
 * a failure never fails the job (the next checkpoint runs it again), except that a fenced write
 * means another runner owns the job.
 */
export class PostCommitter {
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  /**
   * The latest checkpoint whose completion every subtask of this attempt committed without
   * deferring: every transaction up to it is committed (those a subtask still had pending then
   * included). A sink's post-commit step never looks past it, even where the settled checkpoint is
   * newer: a commit deferred over two checkpoints would otherwise land below a table's compacted
   * snapshot, where readers no longer look (rows lost).
   */
  private committedThrough = 0;
  /** Runs that failed (and were left to the next checkpoint); for tests. */
  failures = 0;

  constructor(private readonly deps: PostCommitDeps) {}

  /** A new attempt: what it restored may hold commits still to land (a restore's re-commit may defer). */
  newAttempt(): void {
    this.committedThrough = 0;
  }

  /** Every subtask committed everything up to `checkpointId`: the post-commit steps may run. */
  committed(checkpointId: number): Promise<void> {
    this.committedThrough = Math.max(this.committedThrough, checkpointId);
    return this.request();
  }

  /** Resolves once a run that started after this call finished (never rejects). */
  request(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const run = this.tail.then(() => {
      this.queued = undefined;
      return this.runOnce();
    });
    this.queued = run;
    this.tail = run;
    return run;
  }

  private async runOnce(): Promise<void> {
    const control = this.deps.control();
    try {
      await this.deps.housekeeping();
      const settled = await settledCheckpointId(control.storage, this.deps.plan.jobName);
      const upTo = settled === undefined ? 0 : Math.min(settled, this.committedThrough);
      if (upTo > 0) await postCommitSinks(this.deps.plan, control, upTo);
    } catch (error) {
      if (hasErrorCode(error, 'STORAGE_FENCED')) this.deps.onFenced(error);
      else this.failures++;
    }
  }
}
