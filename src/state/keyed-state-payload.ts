import type { StateKey, StateKind } from './keyed-state.js';
import { StateEntry, type KeyGroupEntries, type StateTable } from './state-table.js';

/** Key groups per snapshot chunk: small enough that a few changed keys rewrite little, large enough to keep chunks few. */
export const KEY_GROUPS_PER_CHUNK = 8;

/** A key-group range, inclusive at both ends (the graph layer computes them). */
export interface KeyGroupSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * What a keyed chunk holds, as the value codec stores it. A full chunk has, for each non-empty
 * key group, each state's entries. A delta chunk (`delta: true`) has only the keys that changed
 * since the chunks before it in its span's chain: their values at the snapshot in `groups`, and
 * the keys that were removed in `deleted`; it is applied over them in order.
 */
export interface KeyedStatePayload {
  readonly keyGroupRange: KeyGroupSpan;
  readonly kinds: Record<string, StateKind>;
  /** [keyGroup, { stateName: Map<key, value> }] for every key group that has state. */
  readonly groups: [number, Record<string, Map<StateKey, unknown>>][];
  /** Delta chunks: [keyGroup, { stateName: keys removed }]. */
  readonly deleted?: [number, Record<string, StateKey[]>][];
  readonly delta?: boolean;
  /** Processing-time timers: [keyGroup, [timestamp, key][]]. */
  readonly timers?: [number, [number, StateKey][]][];
  /** Event-time timers, the same way. */
  readonly eventTimers?: [number, [number, StateKey][]][];
  /** The operator's watermark when it was snapshotted: restored as the lowest over the payloads read, so it never goes back. */
  readonly watermark?: number;
}

/**
 * A keyed chunk read back and checked (checksum) but not decoded yet: restore decodes it when
 * its key groups are first used, or in the background (a job resumes before all its state is
 * decoded). Chunks of one span come in chain order: full chunk, then deltas.
 */
export interface EncodedKeyedChunk {
  readonly keyGroupRange: KeyGroupSpan;
  /** The payload bytes (a KeyedStatePayload as the value codec writes it). */
  readonly body: Uint8Array;
}

/** The watermark an operator resumes at: the lowest any restored payload recorded (a rescale may merge several). */
export function restoredWatermark(payloads: readonly KeyedStatePayload[]): number {
  let watermark = Infinity;
  let found = false;
  for (const p of payloads) {
    if (p.watermark === undefined) continue;
    found = true;
    if (p.watermark < watermark) watermark = p.watermark;
  }
  return found ? watermark : -Infinity;
}

/**
 * Applies one payload to the groups in [start, end] (absolute): a full chunk's groups replace
 * what the tables held for them, a delta's puts and removals change single keys. Restored
 * entries take version 0, older than any write of the restored backend.
 */
export function applyPayload(
  payload: KeyedStatePayload, start: number, end: number,
  tableOf: (name: string, kind: StateKind) => StateTable,
  groupOf: (table: StateTable, g: number) => KeyGroupEntries,
): void {
  const kindOf = (name: string): StateKind => payload.kinds[name] ?? 'value';
  for (const [kg, states] of payload.groups) {
    if (kg < start || kg > end) continue;
    for (const name of Object.keys(states)) {
      const table = tableOf(name, kindOf(name));
      const raw = states[name]!;
      if (payload.delta === true) {
        const map = groupOf(table, kg - start);
        for (const [k, v] of raw) map.set(k, new StateEntry(v, 0));
      } else {
        const map: KeyGroupEntries = new Map();
        for (const [k, v] of raw) map.set(k, new StateEntry(v, 0));
        table.groups[kg - start] = map;
      }
    }
  }
  for (const [kg, states] of payload.deleted ?? []) {
    if (kg < start || kg > end) continue;
    for (const name of Object.keys(states)) {
      const map = tableOf(name, kindOf(name)).groups[kg - start];
      if (map !== undefined) for (const k of states[name]!) map.delete(k);
    }
  }
}
