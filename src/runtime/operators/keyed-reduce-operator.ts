import { keyGroupOf } from '../../graph/key-groups.js';
import type { ReduceFunction } from '../../graph/user-functions.js';
import { HeapKeyedStateBackend } from '../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../state/keyed-state.js';
import { copyPlainData, noCopy, type StateEntry, type StateTable } from '../../state/state-table.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

/**
 * Where a running sum/min/max updated in place goes (operator-chain.ts decides): the update, and
 * the one chained sink, which this operator writes to itself — no batch through the chain.
 */
export interface InPlaceOutput {
  readonly update: (acc: unknown, value: unknown) => void;
  /** SinkOperator.writeUpdated: returns the sink's handle for the record, kept in the key's entry (`hint`) for its next update. */
  readonly sink: { writeUpdated(value: unknown, cell: unknown): unknown };
}

/** A running reduction per key (also sum, min and max): emits the new aggregate for every record. */
export class KeyedReduceOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  private readonly aggregate: StateTable;
  private out: unknown[] = [];

  private readonly maxParallelism: number;

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
     * written to the sink as it is — no record per update. Copy-on-write keeps pending snapshots intact.
     */
    private readonly inPlace?: InPlaceOutput,
  ) {
    const maxParallelism = (this.maxParallelism = ctx.maxParallelism);
    this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange, undefined, (key) => keyGroupOf(key, maxParallelism));
    this.aggregate = this.keyedBackend.stateTable('aggregate', 'value', firstValue !== undefined && inPlace === undefined ? noCopy : copyPlainData);
    // Batches find a key's entry by the key alone (its group is the entry's): one lookup per record, whether or not the batch carries groups.
    this.keyedBackend.indexByKey(this.aggregate);
  }

  /** A new key's group (relative): the batch's, or computed (a batch without groups: see collectKeyedByKey). */
  private groupOf(key: StateKey, keyGroups: readonly number[] | undefined, i: number): number {
    const absolute = keyGroups !== undefined ? keyGroups[i]! : keyGroupOf(key, this.maxParallelism);
    return absolute - this.keyedBackend.keyGroupRange.start;
  }

  /** A key's first aggregate: in place, a copy of a plain record (the input is not ours to change); else the record. */
  private firstAggregate(value: unknown): unknown {
    const checked = this.firstValue !== undefined ? this.firstValue(value) : value;
    return this.inPlace !== undefined && isPlainRecord(checked) ? { ...(checked as object) } : checked;
  }

  /**
   * In place, the entry holding a key's next aggregate, when `e` is not simply changed in place:
   * shared with a pending snapshot (copied first), or holding a record that was not plain (a class
   * instance was kept as it came: the reduce function makes a plain copy).
   */
  private updateShared(e: StateEntry, key: StateKey, g: number, value: unknown): StateEntry {
    if (Object.getPrototypeOf(e.value) === Object.prototype) {
      const w = this.keyedBackend.writable(this.aggregate, key, g, e);
      this.inPlace!.update(w.value, value);
      return w;
    }
    const next = this.fn(e.value, value);
    const w = this.keyedBackend.writable(this.aggregate, key, g, e);
    w.value = next;
    return w;
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
    if (this.inPlace !== undefined) {
      let w: StateEntry;
      try {
        w = e === undefined ? backend.insert(this.aggregate, key, g, this.firstAggregate(value)) : this.updateShared(e, key, g, value);
      } catch (error) {
        throw userFunctionFailed(this.uid, 'reduce', error);
      }
      w.hint = this.inPlace.sink.writeUpdated(w.value, w.hint);
      return;
    }
    let next: unknown;
    try {
      if (e === undefined) backend.insert(this.aggregate, key, g, (next = this.firstAggregate(value)));
      else {
        next = this.fn(e.value, value);
        backend.writable(this.aggregate, key, g, e).value = next;
      }
    } catch (error) {
      throw userFunctionFailed(this.uid, 'reduce', error);
    }
    this.output.collect(next);
  }

  /** One loop: one state lookup per record (by key: a key's group is its entry's), the new aggregates emitted as one batch. */
  collectKeyed(records: readonly unknown[], keys: readonly StateKey[], keyGroups: readonly number[] | undefined, n: number, timestamps: readonly number[] | undefined): void {
    if (this.inPlace !== undefined) return this.collectKeyedInPlace(records, keys, keyGroups, n, this.inPlace);
    const backend = this.keyedBackend;
    const table = this.aggregate;
    const first = this.firstValue;
    const fn = this.fn;
    const out = this.out.length >= n ? this.out : (this.out = new Array(n));
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const value = records[i];
      const e = backend.entryByKey(table, key);
      let next: unknown;
      try {
        next = e === undefined ? (first !== undefined ? first(value) : value) : fn(e.value, value);
      } catch (error) {
        if (i > 0) this.output.collectBatch(out, i, timestamps);
        throw userFunctionFailed(this.uid, 'reduce', error);
      }
      if (e === undefined) backend.insert(table, key, this.groupOf(key, keyGroups, i), next);
      else backend.writable(table, key, e.g, e).value = next;
      out[i] = next;
    }
    this.output.collectBatch(out, n, timestamps);
  }

  /** A keyed batch that came without key groups (one downstream subtask): a new key's group is computed here. */
  collectKeyedByKey(records: readonly unknown[], keys: readonly StateKey[], n: number, timestamps: readonly number[] | undefined): void {
    this.collectKeyed(records, keys, undefined, n, timestamps);
  }

  /**
   * collectKeyed's loop for aggregates updated in place: one state lookup per record, and the
   * sink finds the key's row through the entry (no second lookup); a record is written as soon
   * as its key's aggregate changed, so a throw leaves the ones before it written.
   */
  private collectKeyedInPlace(records: readonly unknown[], keys: readonly StateKey[], keyGroups: readonly number[] | undefined, n: number, inPlace: InPlaceOutput): void {
    const backend = this.keyedBackend;
    const table = this.aggregate;
    const { update, sink } = inPlace;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const value = records[i];
      const e = backend.entryByKey(table, key);
      let w: StateEntry;
      try {
        // The common case: written in this version already (not shared with a snapshot), a plain record of ours.
        if (e !== undefined && e.v === backend.version && Object.getPrototypeOf(e.value) === Object.prototype) update((w = e).value, value);
        else w = e === undefined ? backend.insert(table, key, this.groupOf(key, keyGroups, i), this.firstAggregate(value)) : this.updateShared(e, key, e.g, value);
      } catch (error) {
        throw userFunctionFailed(this.uid, 'reduce', error);
      }
      w.hint = sink.writeUpdated(w.value, w.hint);
    }
  }

  snapshotState() {
    return { keyedBackend: this.keyedBackend };
  }
}

function isPlainRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
