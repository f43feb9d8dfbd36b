import { CorruptDataError } from '../errors/index.js';
import type { StateKey, StateKind } from './keyed-state.js';
import { isPlainRecord, StoredFields } from './stored-record.js';
import { StateEntry, type KeyGroupEntries, type StateTable } from './state-table.js';
import { isStamped } from './state-ttl.js';

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
  /** States with a time-to-live: their values are stored as [timestamp, value] pairs (state-ttl.ts). */
  readonly ttl?: string[];
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
 * The entries of `tables` in the key groups of `span` (absolute; `start`: the tables' first group)
 * as one payload of plain Maps. Shares the values: must be encoded before any further write.
 */
export function payloadOf(tables: readonly StateTable[], start: number, span: KeyGroupSpan): KeyedStatePayload {
  const kinds: Record<string, StateKind> = {};
  const ttl = tables.filter((t) => t.stamped).map((t) => t.name);
  const groups = new Map<number, Record<string, Map<StateKey, unknown>>>();
  for (const t of tables) {
    setOwn(kinds, t.name, t.kind);
    t.groups.forEach((map, i) => {
      const kg = start + i;
      if (map === undefined || map.size === 0 || kg < span.start || kg > span.end) return;
      let entry = groups.get(kg);
      if (entry === undefined) groups.set(kg, (entry = {}));
      setOwn(entry, t.name, new Map([...map].map(([k, e]) => [k, e.value])));
    });
  }
  return { keyGroupRange: span, kinds, ...(ttl.length > 0 ? { ttl } : {}), groups: [...groups].sort((a, b) => a[0] - b[0]) };
}

/** A state named '__proto__' must be a field of the snapshot, not its prototype (an assignment would lose it). */
function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Applies one payload to the groups in [start, end] (absolute): a full chunk's groups replace
 * what the tables held for them, a delta's puts and removals change single keys. Restored
 * entries take version 0, older than any write of the restored backend.
 */
export function applyPayload(
  payload: KeyedStatePayload, start: number, end: number,
  tableOf: (name: string, kind: StateKind, stamped: boolean) => StateTable,
  groupOf: (table: StateTable, g: number) => KeyGroupEntries,
): void {
  const kindOf = (name: string): StateKind => payload.kinds[name] ?? 'value';
  const stamped = (name: string) => payload.ttl?.includes(name) === true;
  for (const [kg, states] of payload.groups) {
    if (kg < start || kg > end) continue;
    for (const name of Object.keys(states)) {
      const table = tableOf(name, kindOf(name), stamped(name));
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
      const map = tableOf(name, kindOf(name), stamped(name)).groups[kg - start];
      if (map !== undefined) for (const k of states[name]!) map.delete(k);
    }
  }
}

// The shape of a restored state chunk, checked before any operator sees it (issue 17). Its bytes
// already match the checksum its checkpoint recorded, but a chunk another version wrote (or one
// edited together with its metadata) would otherwise reach a backend as a half-right object and
// fail there with a TypeError, or restore wrong state. Every refusal is CORRUPT_DATA naming the key.

const STATE_KINDS: readonly StateKind[] = ['value', 'list', 'map', 'reducing', 'aggregating'];
const WHAT = 'state chunk';

/** A keyed-state chunk's payload: its range, state kinds, per-group maps, timers and watermark. */
export function checkKeyedStatePayload(payload: unknown, key: string): KeyedStatePayload {
  if (!isPlainRecord(payload)) throw new CorruptDataError(`${WHAT} '${key}': its payload is not a record`, { key });
  const f = new StoredFields(payload, key, WHAT);
  const range = f.nested('keyGroupRange');
  range.integer('start');
  range.integer('end', -1);
  const kinds = f.nested('kinds');
  for (const name of Object.keys(f.object('kinds'))) kinds.oneOf(name, STATE_KINDS);
  const ttl = new Set(f.has('ttl') ? f.array('ttl') : []);
  for (const name of ttl) if (typeof name !== 'string' || !Object.hasOwn(payload.kinds as object, name)) throw f.corrupt('ttl', 'is not a list of the names of states the chunk gives a kind');
  f.array('groups').forEach((entry, i) => {
    const field = `groups[${i}]`;
    if (!Array.isArray(entry) || entry.length !== 2 || !isKeyGroup(entry[0]) || !isPlainRecord(entry[1])) throw f.corrupt(field, 'is not a [keyGroup, states] pair');
    for (const [name, map] of Object.entries(entry[1])) {
      if (!(map instanceof Map)) throw f.corrupt(`${field}.${name}`, 'is not a Map');
      if (!Object.hasOwn(payload.kinds as object, name)) throw f.corrupt(`${field}.${name}`, 'names a state the chunk gives no kind');
      if (ttl.has(name)) {
        const kind = (payload.kinds as Record<string, StateKind>)[name]!;
        for (const value of map.values()) if (!isStamped(kind, value)) throw f.corrupt(`${field}.${name}`, 'holds a value without its time-to-live timestamps');
      }
    }
  });
  for (const timers of ['timers', 'eventTimers'] as const) {
    if (!f.has(timers)) continue;
    f.array(timers).forEach((entry, i) => {
      const ok = Array.isArray(entry) && entry.length === 2 && isKeyGroup(entry[0]) && Array.isArray(entry[1]) &&
        entry[1].every((t) => Array.isArray(t) && t.length === 2 && typeof t[0] === 'number' && isStateKey(t[1]));
      if (!ok) throw f.corrupt(`${timers}[${i}]`, 'is not a [keyGroup, [timestamp, key][]] pair');
    });
  }
  if (f.has('deleted')) {
    f.array('deleted').forEach((entry, i) => {
      const ok = Array.isArray(entry) && entry.length === 2 && isKeyGroup(entry[0]) && isPlainRecord(entry[1]) &&
        Object.values(entry[1]).every((keys) => Array.isArray(keys) && keys.every(isStateKey));
      if (!ok) throw f.corrupt(`deleted[${i}]`, 'is not a [keyGroup, { state: keys removed }] pair');
    });
  }
  if (f.has('watermark')) f.number('watermark');
  return payload as unknown as KeyedStatePayload;
}

/** An operator-state chunk's payload: the operator's list of entries (their content is the operator's). */
export function checkOperatorStatePayload(payload: unknown, key: string): unknown[] {
  if (!Array.isArray(payload)) throw new CorruptDataError(`${WHAT} '${key}': its payload is not a list of operator-state entries`, { key });
  return payload;
}

const isKeyGroup = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStateKey = (v: unknown) => ['string', 'number', 'bigint', 'boolean'].includes(typeof v);
