import type { ReduceFunction } from '../../graph/user-functions.js';
import { HeapKeyedStateBackend } from '../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../state/keyed-state.js';
import { copyPlainData, noCopy, type StateEntry, type StateTable } from '../../state/state-table.js';
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
    /**
     * Set (sum/min/max) when only a sink that takes records updated in place sees the output
     * (operator-chain.ts): a key's aggregate is a record this operator owns, updated in place and
     * emitted as it is — no record per update. Copy-on-write keeps pending snapshots intact.
     */
    private readonly inPlace?: (acc: unknown, value: unknown) => void,
  ) {
    this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange);
    this.aggregate = this.keyedBackend.stateTable('aggregate', 'value', firstValue !== undefined && inPlace === undefined ? noCopy : copyPlainData);
  }

  /** A key's first aggregate: in place, a copy of a plain record (the input is not ours to change); else the record. */
  private firstAggregate(value: unknown): unknown {
    const checked = this.firstValue !== undefined ? this.firstValue(value) : value;
    return this.inPlace !== undefined && isPlainRecord(checked) ? { ...(checked as object) } : checked;
  }

  /** The next aggregate of a key: its owned record updated in place, or what the reduce function returns. */
  private nextAggregate(e: StateEntry, key: StateKey, g: number, value: unknown): unknown {
    const inPlace = this.inPlace;
    // A record that was not plain (a class instance) was kept as it came: the reduce function makes a plain copy.
    if (inPlace !== undefined && Object.getPrototypeOf(e.value) === Object.prototype) {
      const w = this.keyedBackend.writable(this.aggregate, key, g, e);
      inPlace(w.value, value);
      return w.value;
    }
    const next = this.fn(e.value, value);
    this.keyedBackend.writable(this.aggregate, key, g, e).value = next;
    return next;
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
      if (e === undefined) backend.insert(this.aggregate, key, g, (next = this.firstAggregate(value)));
      else next = this.nextAggregate(e, key, g, value);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'reduce', error);
    }
    this.output.collect(next);
  }

  /** One loop: one state lookup per record, the new aggregates emitted as one batch. */
  collectKeyed(records: readonly unknown[], keys: readonly StateKey[], keyGroups: readonly number[], n: number, timestamps: readonly number[] | undefined): void {
    const backend = this.keyedBackend;
    const table = this.aggregate;
    const first = this.firstValue;
    const fn = this.fn;
    if (this.inPlace !== undefined) return this.collectKeyedInPlace(records, keys, keyGroups, n, timestamps);
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

  /** collectKeyed's loop for aggregates updated in place. */
  private collectKeyedInPlace(records: readonly unknown[], keys: readonly StateKey[], keyGroups: readonly number[], n: number, timestamps: readonly number[] | undefined): void {
    const backend = this.keyedBackend;
    const table = this.aggregate;
    const base = backend.keyGroupRange.start;
    const out = this.out.length >= n ? this.out : (this.out = new Array(n));
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const g = keyGroups[i]! - base;
      const e = backend.entryOf(table, key, g);
      let next: unknown;
      try {
        if (e === undefined) backend.insert(table, key, g, (next = this.firstAggregate(records[i])));
        else next = this.nextAggregate(e, key, g, records[i]);
      } catch (error) {
        if (i > 0) this.output.collectBatch(out, i, timestamps);
        throw userFunctionFailed(this.uid, 'reduce', error);
      }
      out[i] = next;
    }
    this.output.collectBatch(out, n, timestamps);
  }

  snapshotState() {
    return { keyedBackend: this.keyedBackend };
  }
}

function isPlainRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
