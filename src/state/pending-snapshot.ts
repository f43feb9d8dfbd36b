import type { StateKey } from './keyed-state.js';
import type { StateEntry, StateTable } from './state-table.js';

/**
 * What a snapshot still being encoded needs of the live state, as Flink's CopyOnWriteStateMap
 * keeps it: the snapshot shares every entry of version ≤ `version`; the first write to such an
 * entry while its key group waits to be encoded moves the shared entry here (the live map gets a
 * copy), so the encoder sees each key as it was at the barrier however processing went on.
 * A key group, once encoded, is released: later writes to it need no copy.
 */
export class PendingSnapshot {
  /** 1 for each key group (relative to the backend's range) the encoder has yet to read. */
  readonly todo: Uint8Array;
  /** Per state, per key group: the entries as they were at the barrier (null: the key was absent). */
  private readonly undo = new Map<StateTable, (Map<StateKey, StateEntry | null> | undefined)[]>();

  constructor(readonly version: number, groups: number) {
    this.todo = new Uint8Array(groups);
  }

  /** Whether a write to an entry of version `v` in group `g` must copy it first. */
  shares(g: number, v: number): boolean {
    return this.todo[g] === 1 && v <= this.version;
  }

  /** Keeps `entry` (null: absent) as the snapshot's view of `key`, unless a first change already did. */
  keep(table: StateTable, g: number, key: StateKey, entry: StateEntry | null): void {
    let groups = this.undo.get(table);
    if (groups === undefined) this.undo.set(table, (groups = []));
    const kept = groups[g] ?? (groups[g] = new Map());
    if (!kept.has(key)) kept.set(key, entry);
  }

  /** The entries kept for one group of one state (undefined if none changed since the barrier). */
  kept(table: StateTable, g: number): Map<StateKey, StateEntry | null> | undefined {
    return this.undo.get(table)?.[g];
  }

  /** The snapshot's view of one key: its entry at the barrier, or null if it had none. */
  entryAt(table: StateTable, g: number, key: StateKey): StateEntry | null {
    const kept = this.undo.get(table)?.[g];
    if (kept !== undefined && kept.has(key)) return kept.get(key)!;
    return table.groups[g]?.get(key) ?? null;
  }

  /** The encoder has read group `g`: writes to it go on without copies. */
  release(g: number): void {
    this.todo[g] = 0;
    for (const groups of this.undo.values()) groups[g] = undefined;
  }
}
