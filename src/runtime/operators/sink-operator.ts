import type { Sink, SinkWriter } from '../../connectors/sink.js';
import type { OperatorContext, OperatorRestoreState, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

/** A staged transaction waiting for its checkpoint to complete. */
interface PendingCommit {
  readonly checkpointId: number;
  readonly committable: unknown;
}

/**
 * The two-phase-commit side of a sink: stage at the barrier (prepareCommit), commit once the
 * checkpoint is complete, and after a restore commit again what the checkpoint recorded.
 */
export class SinkOperator implements StreamOperator {
  private readonly writer: SinkWriter<unknown>;
  private pending: PendingCommit[] = [];

  constructor(readonly uid: string, ctx: OperatorContext, sink: Sink<unknown>) {
    this.writer = sink.createWriter({
      jobName: ctx.jobName, subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism, storage: ctx.storage,
      ...(ctx.commitFence !== undefined ? { fence: ctx.commitFence } : {}),
    });
  }

  async initialize(restored: OperatorRestoreState | undefined): Promise<void> {
    if (restored === undefined) return;
    // Every transaction the restored checkpoint recorded belongs to a checkpoint that completed,
    // so each must be committed; commit is idempotent, so those already committed are harmless.
    this.pending = restored.operatorState as PendingCommit[];
    await this.commitUpTo(Infinity);
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

  snapshotState(checkpointId: number) {
    const committable = this.writer.prepareCommit(checkpointId);
    if (committable !== undefined) this.pending.push({ checkpointId, committable });
    return { operatorState: this.pending.slice() };
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.commitUpTo(checkpointId);
  }

  private async commitUpTo(checkpointId: number): Promise<void> {
    const due = this.pending.filter((p) => p.checkpointId <= checkpointId);
    if (due.length === 0) return;
    await this.writer.commit(due.map((p) => p.committable));
    this.pending = this.pending.filter((p) => !due.includes(p));
  }
}
