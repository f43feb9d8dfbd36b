import { describeValue, InvalidArgumentError, requireFunction } from '../errors/index.js';
import type { HeapKeyedStateBackend } from './heap-keyed-state-backend.js';
import type { AggregatingState, ListState, MapState, ReducingState, StateAggregateFunction, ValueState } from './keyed-state.js';
import type { StateEntry, StateTable } from './state-table.js';

// The user-facing states without a time-to-live, scoped to the backend's current key: the record
// path of every keyed process function, so each call is a lookup and an assignment, no wrapper.
// (States with a TTL: ttl-state-handles.ts.)

type B = HeapKeyedStateBackend;

/** The current key's entry, safe to hand its value to user code. */
export function currentEntry(b: B, t: StateTable): StateEntry | undefined {
  const key = b.getCurrentKey();
  const e = b.entryOf(t, key, b.currentGroupIndex);
  return e === undefined ? undefined : b.readable(t, key, b.currentGroupIndex, e);
}

export function putCurrent(b: B, t: StateTable, value: unknown): void {
  const key = b.getCurrentKey();
  const e = b.entryOf(t, key, b.currentGroupIndex);
  if (e === undefined) b.insert(t, key, b.currentGroupIndex, value);
  else b.writable(t, key, b.currentGroupIndex, e).value = value;
}

export function clearCurrent(b: B, t: StateTable): void {
  b.remove(t, b.getCurrentKey(), b.currentGroupIndex);
}

/** The current key's value, to change in place (created by `create` if absent). */
export function mutableCurrent<V>(b: B, t: StateTable, create: () => V): V {
  const key = b.getCurrentKey();
  const e = b.entryOf(t, key, b.currentGroupIndex);
  if (e === undefined) return b.insert(t, key, b.currentGroupIndex, create()).value as V;
  return b.writable(t, key, b.currentGroupIndex, e).value as V;
}

/** An AggregatingState's function: create, add and result functions, and merge if given. */
export function checkAggregateFunction(argument: string, fn: unknown): void {
  if (typeof fn !== 'object' || fn === null) throw new InvalidArgumentError(argument, `expected an object with create, add and result functions, got ${describeValue(fn)}`);
  const f = fn as Record<string, unknown>;
  for (const m of ['create', 'add', 'result']) requireFunction(`${argument}.${m}`, f[m]);
  if (f.merge !== undefined) requireFunction(`${argument}.merge`, f.merge);
}

export function valueStateOf<T>(b: B, t: StateTable, defaultValue: T | undefined): ValueState<T> {
  return {
    value: () => {
      const v = currentEntry(b, t)?.value as T | undefined;
      return v === undefined ? defaultValue : v;
    },
    update: (value: T) => putCurrent(b, t, value),
    clear: () => clearCurrent(b, t),
  };
}

export function listStateOf<T>(b: B, t: StateTable): ListState<T> {
  return {
    get: () => ((currentEntry(b, t)?.value as T[] | undefined) ?? []).slice(),
    add: (value: T) => void mutableCurrent<T[]>(b, t, () => []).push(value),
    addAll: (values: Iterable<T>) => void mutableCurrent<T[]>(b, t, () => []).push(...values),
    update: (values: Iterable<T>) => putCurrent(b, t, [...values]),
    clear: () => clearCurrent(b, t),
  };
}

export function mapStateOf<UK, UV>(b: B, t: StateTable): MapState<UK, UV> {
  const empty = new Map<UK, UV>();
  const read = () => (currentEntry(b, t)?.value as Map<UK, UV> | undefined) ?? empty;
  const write = () => mutableCurrent(b, t, () => new Map<UK, UV>());
  return {
    get: (k: UK) => read().get(k),
    put: (k: UK, v: UV) => void write().set(k, v),
    putAll: (entries: Iterable<readonly [UK, UV]>) => {
      const m = write();
      for (const [k, v] of entries) m.set(k, v);
    },
    contains: (k: UK) => read().has(k),
    remove: (k: UK) => {
      if (!read().has(k)) return;
      const m = write();
      m.delete(k);
      if (m.size === 0) clearCurrent(b, t);
    },
    entries: () => read().entries(),
    keys: () => read().keys(),
    values: () => read().values(),
    isEmpty: () => read().size === 0,
    clear: () => clearCurrent(b, t),
  };
}

export function reducingStateOf<T>(b: B, t: StateTable, reduce: (a: T, b: T) => T): ReducingState<T> {
  return {
    get: () => currentEntry(b, t)?.value as T | undefined,
    add: (value: T) => {
      const key = b.getCurrentKey();
      const g = b.currentGroupIndex;
      const e = b.entryOf(t, key, g);
      if (e === undefined) b.insert(t, key, g, value);
      else {
        const w = b.writable(t, key, g, e);
        w.value = reduce(w.value as T, value);
      }
    },
    clear: () => clearCurrent(b, t),
  };
}

/** The accumulator is the state (plain data, snapshotted and rescaled as any value); `get` computes its result. */
export function aggregatingStateOf<IN, ACC, OUT>(b: B, t: StateTable, fn: StateAggregateFunction<IN, ACC, OUT>): AggregatingState<IN, OUT> {
  return {
    get: () => {
      const e = currentEntry(b, t);
      return e === undefined ? undefined : fn.result(e.value as ACC);
    },
    add: (value: IN) => {
      const key = b.getCurrentKey();
      const g = b.currentGroupIndex;
      const e = b.entryOf(t, key, g);
      if (e === undefined) b.insert(t, key, g, fn.add(fn.create(), value));
      else {
        const w = b.writable(t, key, g, e);
        w.value = fn.add(w.value as ACC, value);
      }
    },
    clear: () => clearCurrent(b, t),
  };
}
