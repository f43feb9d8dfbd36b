import type { StateKey, StateKind } from './keyed-state.js';
import type { TtlCleanup } from './state-ttl.js';

/**
 * One key's value in one state: a mutable cell, so an update is one hash lookup (the operator
 * changes `value` in place). `v` is the backend version of the entry's last write (see
 * HeapKeyedStateBackend: it tells whether a pending snapshot still shares the entry).
 */
export class StateEntry {
  /**
   * The operator's own pointer into `value` (the window operator: the part the key's last record
   * went to), never snapshotted. A copy-on-write copy starts without one.
   */
  hint: unknown = undefined;
  /** The operator's own number for the key, never snapshotted (the window operator: the time the key last fired); NaN in a copy. */
  mark = Number.NaN;
  /** The key group (relative to the backend's range) of an entry in a state's `byKey` index; -1 outside one. */
  g = -1;
  constructor(public value: unknown, public v: number) {}
}

export type KeyGroupEntries = Map<StateKey, StateEntry>;

/** Copies a value for copy-on-write; values that nothing changes in place may be returned as they are. */
export type CopyValue = (value: unknown) => unknown;

/**
 * A deep copy of plain data (what the snapshot codec stores); primitives as they are. A flat
 * plain object (a record whose fields are all primitives, as sum/min/max accumulate) is spread,
 * many times cheaper than structuredClone.
 */
export const copyPlainData: CopyValue = (value) => {
  if (typeof value !== 'object' || value === null) return value;
  if (Object.getPrototypeOf(value) === Object.prototype) {
    let flat = true;
    for (const k in value) {
      const v = (value as Record<string, unknown>)[k];
      if (typeof v === 'object' && v !== null) {
        flat = false;
        break;
      }
    }
    if (flat) return { ...(value as Record<string, unknown>) };
  }
  return structuredClone(value);
};

/** For values that are only ever replaced, never changed in place (built-in aggregations, strings). */
export const noCopy: CopyValue = (value) => value;

/** One state's entries, one Map per key group (indexed from the backend's first key group). */
export class StateTable {
  readonly groups: (KeyGroupEntries | undefined)[] = [];
  /**
   * Keys written or deleted per key group since the last snapshot began: the open record of the
   * change log, from which incremental checkpoints write only what changed.
   */
  changed: (Set<StateKey> | undefined)[] = [];
  /** A TTL state's settings and cleanup, once an accessor said its TTL (a restored table waits for it). */
  ttl: TtlCleanup | undefined;
  /**
   * Every entry of the loaded key groups in one Map, for operators that find a key's entry without
   * its key group (HeapKeyedStateBackend.indexByKey): one lookup per record, the group read from
   * the entry. A second view of `groups` (which snapshots and restores still cut by key group),
   * kept equal to it by the backend; undefined where no operator asked for it.
   */
  byKey: Map<StateKey, StateEntry> | undefined;

  /** `stamped`: values are kept with their timestamps (a state with a time-to-live, see state-ttl.ts). */
  constructor(readonly name: string, readonly kind: StateKind, readonly copyValue: CopyValue, readonly stamped = false) {}

  /** Adds the entries of groups from..to (relative) to `byKey`; must be called once their maps are final. */
  indexGroups(from: number, to: number): void {
    for (let g = from; g <= to; g++) this.groups[g]?.forEach((e, key) => this.indexed(key, g, e));
  }

  /** Takes the entries of groups from..to (relative) out of `byKey`, before their maps are replaced. */
  unindexGroups(from: number, to: number): void {
    for (let g = from; g <= to; g++) this.groups[g]?.forEach((_, key) => this.byKey!.delete(key));
  }

  /** `e` is key's entry in group g now (its Map holds it): so is it in `byKey`. */
  indexed(key: StateKey, g: number, e: StateEntry): void {
    e.g = g;
    this.byKey!.set(key, e);
  }

  size(group: number): number {
    return this.groups[group]?.size ?? 0;
  }
}
