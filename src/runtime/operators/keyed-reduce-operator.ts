import type { ReduceFunction } from '../../graph/user-functions.js';
import { HeapKeyedStateBackend } from '../../state/heap-keyed-state-backend.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

/** A running reduction per key (also sum, min and max): emits the new aggregate for every record. */
export class KeyedReduceOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  private readonly aggregate: { get(): unknown; set(value: unknown): void };

  constructor(
    readonly uid: string,
    private readonly output: Output,
    ctx: OperatorContext,
    private readonly fn: ReduceFunction<unknown>,
    private readonly firstValue: ((value: unknown) => unknown) | undefined,
  ) {
    this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange);
    this.aggregate = this.keyedBackend.valueCell('aggregate');
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored !== undefined) this.keyedBackend.restore(restored.keyedState);
  }

  processWatermark(timestamp: number): void {
    this.output.emitWatermark(timestamp);
  }

  collect(value: unknown): void {
    const current = this.aggregate.get();
    let next: unknown;
    try {
      next = current === undefined ? (this.firstValue ? this.firstValue(value) : value) : this.fn(current, value);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'reduce', error);
    }
    this.aggregate.set(next);
    this.output.collect(next);
  }

  snapshotState() {
    return { keyedBackend: this.keyedBackend };
  }
}
