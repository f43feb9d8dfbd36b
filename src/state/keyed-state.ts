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

/**
 * Flink's AggregatingState: values of type IN are added into an accumulator (kept as the state,
 * plain data), and `get` gives the accumulator's result.
 */
export interface AggregatingState<IN, OUT> {
  /** The result of the current key's accumulator, or undefined when nothing was added. */
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}

/** How an AggregatingState folds its values: the shape of a window's `aggregate` function. */
export interface StateAggregateFunction<IN, ACC, OUT> {
  create(): ACC;
  add(accumulator: ACC, value: IN): ACC;
  result(accumulator: ACC): OUT;
  /** Accepted for the shape windows use; keyed state never merges accumulators (no namespaces merge). */
  merge?(a: ACC, b: ACC): ACC;
}

/**
 * State time-to-live (Flink's StateTtlConfig, processing time on the job's clock): a value (a
 * list element, a map entry) not written — or, with 'on-read-and-write', not read either — for
 * `ttlMs` is expired: never returned, dropped from the next snapshot, cleaned up incrementally.
 */
export interface StateTtlOptions {
  readonly ttlMs?: number;
  /** What refreshes a value's time-to-live: writes only (default), or reads too. */
  readonly update?: 'on-write' | 'on-read-and-write';
}

/** Keys must hash the same way in every realm: primitives only. */
export type StateKey = string | number | bigint | boolean;

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';
