import type { PollStatus, Source, SourceReader, SourceSplit } from '../../connectors/source.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

/** Drives a source reader: the task polls it when the outputs have room. Its state is the split positions. */
export class SourceOperator implements StreamOperator {
  private reader: SourceReader<unknown> | undefined;
  private readonly emit: (value: unknown) => void;
  /** Records read from the source by this subtask (this attempt). */
  emitted = 0;

  constructor(readonly uid: string, output: Output, private readonly ctx: OperatorContext, private readonly source: Source<unknown>) {
    this.emit = (value) => {
      this.emitted++;
      output.collect(value);
    };
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    const splits: SourceSplit[] =
      restored !== undefined
        ? (restored.operatorState as SourceSplit[])
        : this.source.createSplits(this.ctx.parallelism).filter((_, i) => i % this.ctx.parallelism === this.ctx.subtaskIndex);
    this.reader = this.source.createReader(splits, { subtaskIndex: this.ctx.subtaskIndex, parallelism: this.ctx.parallelism, now: () => this.ctx.clock.now() });
  }

  poll(max: number): PollStatus {
    try {
      return this.reader!.poll(max, this.emit);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'source', error);
    }
  }

  /** Sources have no input; records come from `poll`. */
  collect(): void {}

  snapshotState() {
    return { operatorState: this.reader!.snapshotSplits() };
  }
}
