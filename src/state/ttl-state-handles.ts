import type { HeapKeyedStateBackend } from './heap-keyed-state-backend.js';
import type { AggregatingState, ListState, MapState, ReducingState, StateAggregateFunction, ValueState } from './keyed-state.js';
import { clearCurrent, mutableCurrent, putCurrent } from './keyed-state-handles.js';
import type { StateEntry, StateTable } from './state-table.js';
import { unexpired, type Stamped, type TtlCleanup } from './state-ttl.js';

// The user-facing states with a time-to-live (see state-ttl.ts for how values are kept). Every
// access first runs a step of the incremental cleanup, then treats an expired value as absent and
// removes it (Flink's NeverReturnExpired). 'on-read-and-write' stamps what a read returns anew.

type B = HeapKeyedStateBackend;

/** The current key's entry with what expired taken out (undefined: absent, or everything expired and removed). */
function live(b: B, t: StateTable, c: TtlCleanup, now: number): StateEntry | undefined {
  c.step(b, now);
  const key = b.getCurrentKey();
  const g = b.currentGroupIndex;
  const e = b.entryOf(t, key, g);
  if (e === undefined) return undefined;
  const left = unexpired(t.kind, e.value, now, c.config.ttlMs);
  if (left === undefined) {
    b.remove(t, key, g);
    return undefined;
  }
  if (left === e.value) return e;
  const w = b.writable(t, key, g, e);
  w.value = left;
  return w;
}

/** `e`'s value, safe to hand to user code: re-stamped (a write) on read-and-write, else protected from a pending snapshot. */
function readValue(b: B, t: StateTable, c: TtlCleanup, e: StateEntry, now: number, restamp: (value: unknown) => unknown): unknown {
  const key = b.getCurrentKey();
  const g = b.currentGroupIndex;
  if (c.config.update === 'on-write') return b.readable(t, key, g, e).value;
  const w = b.writable(t, key, g, e);
  w.value = restamp(w.value);
  return w.value;
}

/** Stores `value` stamped with `now` for the current key. */
function write(b: B, t: StateTable, c: TtlCleanup, now: number, value: unknown): void {
  c.step(b, now);
  putCurrent(b, t, value);
  c.wrote(b.currentGroupIndex, now);
}

const restampOne = (now: number) => (p: unknown): Stamped => [now, (p as Stamped)[1]];

export function ttlValueStateOf<T>(b: B, t: StateTable, c: TtlCleanup, defaultValue: T | undefined): ValueState<T> {
  return {
    value: () => {
      const now = b.now();
      const e = live(b, t, c, now);
      return e === undefined ? defaultValue : ((readValue(b, t, c, e, now, restampOne(now)) as Stamped)[1] as T);
    },
    update: (value: T) => {
      const now = b.now();
      write(b, t, c, now, [now, value]);
    },
    clear: () => clearCurrent(b, t),
  };
}

/** Reducing and aggregating state: one stamped accumulator per key, folded by `fold`. */
function ttlFolding<IN>(b: B, t: StateTable, c: TtlCleanup, fold: (acc: unknown, value: IN) => unknown, first: (value: IN) => unknown) {
  return {
    read: (): Stamped | undefined => {
      const now = b.now();
      const e = live(b, t, c, now);
      return e === undefined ? undefined : (readValue(b, t, c, e, now, restampOne(now)) as Stamped);
    },
    add: (value: IN) => {
      const now = b.now();
      const e = live(b, t, c, now);
      if (e === undefined) b.insert(t, b.getCurrentKey(), b.currentGroupIndex, [now, first(value)]);
      else {
        const w = b.writable(t, b.getCurrentKey(), b.currentGroupIndex, e);
        w.value = [now, fold((w.value as Stamped)[1], value)];
      }
      c.wrote(b.currentGroupIndex, now);
    },
  };
}

export function ttlReducingStateOf<T>(b: B, t: StateTable, c: TtlCleanup, reduce: (a: T, b: T) => T): ReducingState<T> {
  const s = ttlFolding<T>(b, t, c, (acc, value) => reduce(acc as T, value), (value) => value);
  return { get: () => s.read()?.[1] as T | undefined, add: s.add, clear: () => clearCurrent(b, t) };
}

export function ttlAggregatingStateOf<IN, ACC, OUT>(b: B, t: StateTable, c: TtlCleanup, fn: StateAggregateFunction<IN, ACC, OUT>): AggregatingState<IN, OUT> {
  const s = ttlFolding<IN>(b, t, c, (acc, value) => fn.add(acc as ACC, value), (value) => fn.add(fn.create(), value));
  return {
    get: () => {
      const acc = s.read();
      return acc === undefined ? undefined : fn.result(acc[1] as ACC);
    },
    add: s.add,
    clear: () => clearCurrent(b, t),
  };
}

export function ttlListStateOf<T>(b: B, t: StateTable, c: TtlCleanup): ListState<T> {
  const append = (values: Iterable<T>) => {
    const now = b.now();
    c.step(b, now);
    const list = mutableCurrent<Stamped[]>(b, t, () => []);
    for (const v of values) list.push([now, v]);
    c.wrote(b.currentGroupIndex, now);
  };
  return {
    get: () => {
      const now = b.now();
      const e = live(b, t, c, now);
      if (e === undefined) return [];
      return (readValue(b, t, c, e, now, (l) => (l as Stamped[]).map(restampOne(now))) as Stamped[]).map((p) => p[1] as T);
    },
    add: (value: T) => append([value]),
    addAll: (values: Iterable<T>) => append(values),
    update: (values: Iterable<T>) => {
      const now = b.now();
      write(b, t, c, now, [...values].map((v): Stamped => [now, v]));
    },
    clear: () => clearCurrent(b, t),
  };
}

export function ttlMapStateOf<UK, UV>(b: B, t: StateTable, c: TtlCleanup): MapState<UK, UV> {
  const refresh = c.config.update === 'on-read-and-write';
  /** The live entries (expired ones removed), or undefined; safe to read. */
  const read = (now: number): Map<UK, Stamped> | undefined => {
    const e = live(b, t, c, now);
    return e === undefined ? undefined : (b.readable(t, b.getCurrentKey(), b.currentGroupIndex, e).value as Map<UK, Stamped>);
  };
  const writeMap = (now: number): Map<UK, Stamped> => {
    const m = mutableCurrent(b, t, () => new Map<UK, Stamped>());
    c.wrote(b.currentGroupIndex, now);
    return m;
  };
  const get = (k: UK): Stamped | undefined => {
    const now = b.now();
    const p = read(now)?.get(k);
    if (p !== undefined && refresh) writeMap(now).set(k, [now, p[1]]);
    return p;
  };
  /** Every live entry as [key, value], re-stamped on read-and-write. */
  const all = (): [UK, UV][] => {
    const now = b.now();
    const m = read(now);
    if (m === undefined) return [];
    const out: [UK, UV][] = [];
    const w = refresh ? writeMap(now) : undefined;
    for (const [k, p] of w ?? m) {
      out.push([k, p[1] as UV]);
      if (w !== undefined) w.set(k, [now, p[1]]);
    }
    return out;
  };
  return {
    get: (k: UK) => get(k)?.[1] as UV | undefined,
    put: (k: UK, v: UV) => {
      const now = b.now();
      c.step(b, now);
      writeMap(now).set(k, [now, v]);
    },
    putAll: (entries: Iterable<readonly [UK, UV]>) => {
      const now = b.now();
      c.step(b, now);
      const m = writeMap(now);
      for (const [k, v] of entries) m.set(k, [now, v]);
    },
    contains: (k: UK) => get(k) !== undefined,
    remove: (k: UK) => {
      const now = b.now();
      if (read(now)?.has(k) !== true) return;
      const m = writeMap(now);
      m.delete(k);
      if (m.size === 0) clearCurrent(b, t);
    },
    entries: () => all().values(),
    keys: () => all().map(([k]) => k).values(),
    values: () => all().map(([, v]) => v).values(),
    isEmpty: () => (read(b.now())?.size ?? 0) === 0,
    clear: () => clearCurrent(b, t),
  };
}
