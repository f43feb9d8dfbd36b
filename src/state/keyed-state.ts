/**
 * The keyed state a KeyedProcessFunction reads and writes, scoped to the key of the record
 * (or timer) being processed, as in Flink. Values must be encodable by the snapshot codec
 * (plain data: primitives, arrays, plain objects, Map, Set, Date, typed arrays).
 */
export interface ValueState<T> {
  /** The value for the current key, or the state's default (undefined if none) when unset. */
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

export interface ListState<T> {
  /** A copy of the list for the current key (empty when unset). */
  get(): T[];
  add(value: T): void;
  addAll(values: Iterable<T>): void;
  update(values: Iterable<T>): void;
  clear(): void;
}

export interface MapState<UK, UV> {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  putAll(entries: Iterable<readonly [UK, UV]>): void;
  contains(key: UK): boolean;
  remove(key: UK): void;
  entries(): IterableIterator<[UK, UV]>;
  keys(): IterableIterator<UK>;
  values(): IterableIterator<UV>;
  isEmpty(): boolean;
  clear(): void;
}

export interface ReducingState<T> {
  /** The reduction of every value added for the current key, or undefined. */
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/** Keys must hash the same way in every realm: primitives only. */
export type StateKey = string | number | bigint | boolean;

export type StateKind = 'value' | 'list' | 'map' | 'reducing';
