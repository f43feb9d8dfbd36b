// The shape of a restored state chunk, checked before any operator sees it (issue 17). Its bytes
// already match the checksum its checkpoint recorded, but a chunk another version wrote (or one
// edited together with its metadata) would otherwise reach a backend as a half-right object and
// fail there with a TypeError, or restore wrong state. Every refusal is CORRUPT_DATA naming the key.
import { CorruptDataError } from '../errors/index.js';
import type { KeyedStatePayload } from './heap-keyed-state-backend.js';
import type { StateKind } from './keyed-state.js';
import { isPlainRecord, StoredFields } from './stored-record.js';

const STATE_KINDS: readonly StateKind[] = ['value', 'list', 'map', 'reducing'];
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
  f.array('groups').forEach((entry, i) => {
    const field = `groups[${i}]`;
    if (!Array.isArray(entry) || entry.length !== 2 || !isKeyGroup(entry[0]) || !isPlainRecord(entry[1])) throw f.corrupt(field, 'is not a [keyGroup, states] pair');
    for (const [name, map] of Object.entries(entry[1])) {
      if (!(map instanceof Map)) throw f.corrupt(`${field}.${name}`, 'is not a Map');
      if (!Object.hasOwn(payload.kinds as object, name)) throw f.corrupt(`${field}.${name}`, 'names a state the chunk gives no kind');
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
