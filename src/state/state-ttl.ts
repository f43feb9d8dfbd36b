import { describeValue, InvalidArgumentError, requireOneOf } from '../errors/index.js';
import type { StateKey, StateKind, StateTtlOptions } from './keyed-state.js';
import { copyPlainData, type CopyValue, type StateEntry, type StateTable } from './state-table.js';

// State time-to-live, stored beside each value: a state with a TTL keeps `[lastAccess, value]`
// pairs instead of values — one per key for value, reducing and aggregating state, one per element
// of a list, one per entry of a map (as Flink's TTL state keeps a timestamp per element). The pairs
// are what snapshots hold, so the timestamps survive a restore and a rescale like the values.
// States without a TTL keep bare values and never reach this file on the record path.

/** A value with the clock time of its last write (or read, 'on-read-and-write'). */
export type Stamped = [number, unknown];

export interface TtlConfig {
  readonly ttlMs: number;
  readonly update: 'on-write' | 'on-read-and-write';
}

/** The job's processing time as the state sees it (the runtime's injected Clock). */
export interface TimeSource {
  now(): number;
}

const UPDATE_TYPES = ['on-write', 'on-read-and-write'] as const;

/**
 * The TTL an accessor's options ask for (undefined: none). `argument` names the options
 * (`getState(options)`); `known` lists the other options the accessor takes.
 */
export function ttlOf(argument: string, options: unknown, known: readonly string[] = []): TtlConfig | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(argument, `expected an options object, got ${describeValue(options)}`);
  }
  const allowed = [...known, 'ttlMs', 'update'];
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw new InvalidArgumentError(`${argument}.${k}`, `unknown option; known options are ${allowed.join(', ')}`);
  }
  const { ttlMs, update } = options as StateTtlOptions;
  if (ttlMs === undefined) {
    if (update !== undefined) throw new InvalidArgumentError(`${argument}.update`, 'needs ttlMs: it says what refreshes a time-to-live');
    return undefined;
  }
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new InvalidArgumentError(`${argument}.ttlMs`, `expected a positive, finite number of milliseconds, got ${describeValue(ttlMs)}`);
  }
  return { ttlMs, update: update === undefined ? 'on-write' : requireOneOf(`${argument}.update`, update, UPDATE_TYPES) };
}

export function sameTtl(a: TtlConfig | undefined, b: TtlConfig | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.ttlMs === b.ttlMs && a.update === b.update);
}

export function describeTtl(ttl: TtlConfig | undefined): string {
  return ttl === undefined ? 'no time-to-live' : `ttlMs ${ttl.ttlMs} (update '${ttl.update}')`;
}

/** Copy-on-write of a TTL state's stored value: the pairs are copied, the user's values deeply. */
export function ttlCopy(kind: StateKind): CopyValue {
  const pair = (p: unknown): Stamped => [(p as Stamped)[0], copyPlainData((p as Stamped)[1])];
  if (kind === 'list') return (value) => (value as unknown[]).map(pair);
  if (kind === 'map') return (value) => new Map([...(value as Map<unknown, unknown>)].map(([k, p]) => [k, pair(p)]));
  return pair;
}

/** What is left of a stored value at `now`: the same value (nothing expired), a smaller one, or undefined (all expired). */
export function unexpired(kind: StateKind, value: unknown, now: number, ttlMs: number): unknown {
  if (kind === 'list') {
    const list = value as Stamped[];
    let live = 0;
    for (const p of list) if (p[0] + ttlMs > now) live++;
    if (live === list.length) return value;
    return live === 0 ? undefined : list.filter((p) => p[0] + ttlMs > now);
  }
  if (kind === 'map') {
    const map = value as Map<unknown, Stamped>;
    let live = 0;
    for (const p of map.values()) if (p[0] + ttlMs > now) live++;
    if (live === map.size) return value;
    if (live === 0) return undefined;
    const kept = new Map<unknown, Stamped>();
    for (const [k, p] of map) if (p[0] + ttlMs > now) kept.set(k, p);
    return kept;
  }
  return (value as Stamped)[0] + ttlMs > now ? value : undefined;
}

const isPair = (p: unknown): boolean => Array.isArray(p) && p.length === 2 && typeof p[0] === 'number';

/** Whether a restored value has the stored shape of a TTL state of `kind` (checked before a backend sees it). */
export function isStamped(kind: StateKind, value: unknown): boolean {
  if (kind === 'list') return Array.isArray(value) && value.every(isPair);
  if (kind === 'map') return value instanceof Map && [...value.values()].every(isPair);
  return isPair(value);
}

/**
 * A stored TTL value as a reader outside the runtime shows it (readSavepoint): the user's value,
 * and the last-access timestamps in the same shape (a number; one per element; one per map entry).
 */
export function unstamped(kind: StateKind, stored: unknown): { value: unknown; lastAccess: unknown } {
  if (kind === 'list') return { value: (stored as Stamped[]).map((p) => p[1]), lastAccess: (stored as Stamped[]).map((p) => p[0]) };
  if (kind === 'map') {
    const m = stored as Map<unknown, Stamped>;
    return { value: new Map([...m].map(([k, p]) => [k, p[1]])), lastAccess: new Map([...m].map(([k, p]) => [k, p[0]])) };
  }
  return { value: (stored as Stamped)[1], lastAccess: (stored as Stamped)[0] };
}

/** The oldest timestamp in a stored value. */
function oldestIn(kind: StateKind, value: unknown): number {
  let oldest = Infinity;
  if (kind === 'list') for (const p of value as Stamped[]) oldest = Math.min(oldest, p[0]);
  else if (kind === 'map') for (const p of (value as Map<unknown, Stamped>).values()) oldest = Math.min(oldest, p[0]);
  else oldest = (value as Stamped)[0];
  return oldest;
}

/** What TTL cleanup needs of the backend: removing a key, and changing a value in place (logged, copy-on-write). */
export interface TtlStore {
  remove(t: StateTable, key: StateKey, g: number): void;
  writable(t: StateTable, key: StateKey, g: number, e: StateEntry): StateEntry;
}

/** Entries the incremental cleanup checks per state access (Flink's default cleanupSize). */
export const CLEANUP_ENTRIES_PER_ACCESS = 5;

/**
 * A TTL state's cleanup: incremental (a cursor over its entries that checks a few of them at every
 * access, as Flink's incremental cleanup), and at each snapshot (every key group that may hold an
 * expired value is swept before the snapshot is taken, so the snapshot never holds one).
 * `oldest[g]` is a lower bound of the timestamps in group g (undefined: unknown, or empty), kept so
 * that the snapshot sweep reads only the groups where something can have expired.
 */
export class TtlCleanup {
  private readonly oldest: (number | undefined)[] = [];
  private group = 0;
  private cursor: Iterator<[StateKey, StateEntry]> | undefined;

  constructor(private readonly table: StateTable, readonly config: TtlConfig) {}

  /** Must be called with every timestamp written into group g. Times never go back, so the first write bounds the rest. */
  wrote(g: number, now: number): void {
    if (this.oldest[g] === undefined) this.oldest[g] = now;
  }

  /** Checks the next `n` entries (in key-group order, wrapping around); an expired one is removed or trimmed. */
  step(store: TtlStore, now: number, n = CLEANUP_ENTRIES_PER_ACCESS): void {
    const groups = this.table.groups;
    let checked = 0;
    for (let skipped = 0; checked < n && skipped <= groups.length;) {
      if (this.cursor === undefined) {
        const map = groups[this.group];
        if (map === undefined || map.size === 0) {
          this.group = this.group + 1 >= groups.length ? 0 : this.group + 1;
          skipped++;
          continue;
        }
        this.cursor = map.entries();
      }
      const next = this.cursor.next();
      if (next.done === true) {
        this.cursor = undefined;
        this.group = this.group + 1 >= groups.length ? 0 : this.group + 1;
        skipped++;
        continue;
      }
      checked++;
      this.expire(store, next.value[0], this.group, next.value[1], now);
    }
  }

  /** Before a snapshot: sweeps every group whose oldest value may have expired by `now`. */
  sweep(store: TtlStore, now: number): void {
    const { ttlMs } = this.config;
    this.table.groups.forEach((map, g) => {
      if (map === undefined || map.size === 0) {
        this.oldest[g] = undefined;
        return;
      }
      const bound = this.oldest[g];
      if (bound !== undefined && bound + ttlMs > now) return;
      let oldest = Infinity;
      for (const [key, e] of map) {
        const left = this.expire(store, key, g, e, now);
        if (left !== undefined) oldest = Math.min(oldest, oldestIn(this.table.kind, left));
      }
      this.oldest[g] = oldest === Infinity ? undefined : oldest;
    });
  }

  /** Removes or trims one entry; returns what is left of its value. */
  private expire(store: TtlStore, key: StateKey, g: number, e: StateEntry, now: number): unknown {
    const left = unexpired(this.table.kind, e.value, now, this.config.ttlMs);
    if (left === undefined) store.remove(this.table, key, g);
    else if (left !== e.value) store.writable(this.table, key, g, e).value = left;
    return left;
  }
}
