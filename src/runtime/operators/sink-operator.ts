import { isRetryableCommitFailure, type Committer, type Sink, type SinkContext, type SinkWriter } from '../../connectors/sink.js';
import { WeirError } from '../../errors/index.js';
import { operatorStateAccess, OperatorStateStore } from '../../state/operator-state-store.js';
import { sleepOn } from './clock-sleep.js';
import type { OperatorContext, OperatorRestoreState, OperatorSnapshot, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

/** A prepared transaction waiting for a completed checkpoint to commit it. */
interface PendingCommit {
  readonly checkpointId: number;
  readonly committable: unknown;
}

/**
 * A sink's writer and committer in one subtask: stage at the barrier (prepareCommit), commit
 * once a checkpoint is complete, and after a restore commit again what the checkpoint recorded.
 * The pending committables are the operator's state, so a commit that cannot land now (a full
 * quota) stays pending, is stored with every later checkpoint, and is tried again at the next
 * completion: it is deferred, never lost, and never fails the job.
 */
export class SinkOperator implements StreamOperator {
  /** Made in initialize, once the operator state is restored (Flink's restoreWriter). */
  private writer!: SinkWriter<unknown>;
  private committer: Committer<unknown> | undefined;
  private pending: PendingCommit[] = [];
  private readonly operatorState = new OperatorStateStore();

  constructor(readonly uid: string, private readonly ctx: OperatorContext, private readonly sink: Sink<unknown>) {}

  async initialize(restored: OperatorRestoreState | undefined): Promise<void> {
    const ctx = this.ctx;
    this.operatorState.restore(restored?.operatorLists ?? []);
    const sinkCtx: SinkContext = {
      jobName: ctx.jobName, sinkUid: this.uid, subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism, storage: ctx.storage,
      attemptId: ctx.attemptId, ...(ctx.commitFence !== undefined ? { fence: ctx.commitFence } : {}),
      sleep: (ms: number, signal?: AbortSignal) => sleepOn(ctx.clock, ms, signal),
      ...operatorStateAccess(this.operatorState),
    };
    this.writer = this.sink.createWriter(sinkCtx);
    this.committer = this.sink.createCommitter?.(sinkCtx);
    if (restored === undefined) return;
    // Every transaction the restored checkpoint recorded belongs to a completed checkpoint, so each
    // must be committed; commit is idempotent, so those already committed are harmless.
    this.pending = restored.operatorState as PendingCommit[];
    await this.commitUpTo(Infinity, restored.checkpointId).catch((error: unknown) => {
      if (!(error instanceof WeirError && error.code === 'COMMIT_DEFERRED')) throw error;
    });
  }

  /** A sink is the end of event time: nothing to pass on. */
  processWatermark(): void {}

  collect(value: unknown): void {
    try {
      this.writer.write(value);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'sink write', error);
    }
  }

  collectBatch(records: readonly unknown[], n: number): void {
    const writer = this.writer;
    try {
      for (let i = 0; i < n; i++) writer.write(records[i]);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'sink write', error);
    }
  }

  /**
   * A record the operator chained before this one updates in place and writes here itself
   * (KeyedReduceOperator), with what the last call for it returned: the writer's fast path.
   */
  writeUpdated(value: unknown, cell: unknown): unknown {
    const writer = this.writer;
    try {
      if (writer.writeUpdated !== undefined) return writer.writeUpdated(value, cell);
      writer.write(value);
      return undefined;
    } catch (error) {
      throw userFunctionFailed(this.uid, 'sink write', error);
    }
  }

  snapshotState(checkpointId: number): OperatorSnapshot {
    const committable = this.writer.prepareCommit(checkpointId);
    if (committable !== undefined && this.committer !== undefined) this.pending.push({ checkpointId, committable });
    const durable = this.writer.flush?.();
    return { operatorState: this.pending.slice(), operatorLists: this.operatorState.snapshot(), ...(durable !== undefined ? { durable } : {}) };
  }

  /** Rejects with COMMIT_DEFERRED when the committer asked to try again later; anything else it rejects with fails the task. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.commitUpTo(checkpointId, checkpointId);
  }

  close(): void {
    this.writer?.close?.();
  }

  private async commitUpTo(upTo: number, checkpointId: number): Promise<void> {
    const due = this.pending.filter((p) => p.checkpointId <= upTo);
    if (due.length === 0 || this.committer === undefined) return;
    try {
      await this.committer.commit(due.map((p) => p.committable));
    } catch (error) {
      if (!isRetryableCommitFailure(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      const deferred = new WeirError('COMMIT_DEFERRED', `checkpoint ${checkpointId} is complete, but sink '${this.uid}' (${this.sink.name}) could not commit ${due.length} transaction(s) yet: ${reason}; they stay pending and are committed with the next checkpoint`, {
        domain: 'external', retryable: true, cause: error, details: { checkpointId, transactions: due.map((p) => p.checkpointId) },
      });
      this.ctx.warn({ kind: 'sink-commit-deferred', message: deferred.message, checkpointId });
      throw deferred;
    }
    this.pending = this.pending.filter((p) => !due.includes(p));
  }
}
