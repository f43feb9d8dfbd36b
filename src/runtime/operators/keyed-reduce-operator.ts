import type { ReduceFunction } from '../../graph/user-functions.js';
import { HeapKeyedStateBackend } from '../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../state/keyed-state.js';
import { copyPlainData, noCopy, type StateTable } from '../../state/state-table.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

/** A running reduction per key (also sum, min and max): emits the new aggregate for every record. */
export class KeyedReduceOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  private readonly aggregate: StateTable;
  private out: unknown[] = [];

  constructor(
    readonly uid: string,
    private readonly output: Output,
    ctx: OperatorContext,
    private readonly fn: ReduceFunction<unknown>,
    /** Set for sum/min/max, whose reduce returns a new record and never changes the one it got: no copy-on-write needed. */
    private readonly firstValue: ((value: unknown) => unknown) | undefined,
  ) {
    this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange);
    this.aggregate = this.keyedBackend.stateTable('aggregate', 'value', firstValue !== undefined ? noCopy : copyPlainData);
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored !== undefined) this.keyedBackend.restore(restored.keyedState, restored.encodedKeyed);
  }

  processWatermark(timestamp: number): void {
    this.output.emitWatermark(timestamp);
  }

  collect(value: unknown): void {
    const backend = this.keyedBackend;
    const key = backend.getCurrentKey();
    const g = backend.currentGroupIndex;
    const e = backend.entryOf(this.aggregate, key, g);
    let next: unknown;
    try {
      next = e === undefined ? (this.firstValue ? this.firstValue(value) : value) : this.fn(e.value, value);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'reduce', error);
    }
    if (e === undefined) backend.insert(this.aggregate, key, g, next);
    else backend.writable(this.aggregate, key, g, e).value = next;
    this.output.collect(next);
  }

  /** One loop: one state lookup per record, the new aggregates emitted as one batch. */
  collectKeyed(records: readonly unknown[], keys: readonly StateKey[], keyGroups: readonly number[], n: number, timestamps: readonly number[] | undefined): void {
    const backend = this.keyedBackend;
    const table = this.aggregate;
    const first = this.firstValue;
    const fn = this.fn;
    const base = backend.keyGroupRange.start;
    const out = this.out.length >= n ? this.out : (this.out = new Array(n));
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const g = keyGroups[i]! - base;
      const value = records[i];
      const e = backend.entryOf(table, key, g);
      let next: unknown;
      try {
        next = e === undefined ? (first !== undefined ? first(value) : value) : fn(e.value, value);
      } catch (error) {
        if (i > 0) this.output.collectBatch(out, i, timestamps);
        throw userFunctionFailed(this.uid, 'reduce', error);
      }
      if (e === undefined) backend.insert(table, key, g, next);
      else backend.writable(table, key, g, e).value = next;
      out[i] = next;
    }
    this.output.collectBatch(out, n, timestamps);
  }

  snapshotState() {
    return { keyedBackend: this.keyedBackend };
  }
}
