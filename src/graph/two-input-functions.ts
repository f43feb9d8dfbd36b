import type { StateKey } from '../state/keyed-state.js';
import type { Collector, KeyedOpenContext, KeyedProcessContext, OnTimerContext, ProcessContext, RuntimeContext } from './user-functions.js';

/** Flink's CoProcessFunction: one method per input, each with its own record type. */
export interface CoProcessFunction<A, B, R> {
  open?(ctx: RuntimeContext): void;
  processElement1(value: A, ctx: ProcessContext, out: Collector<R>): void;
  processElement2(value: B, ctx: ProcessContext, out: Collector<R>): void;
  close?(): void;
}

/** Flink's KeyedCoProcessFunction: both inputs share the key's state and timers. */
export interface KeyedCoProcessFunction<K, A, B, R> {
  open?(ctx: KeyedOpenContext): void;
  processElement1(value: A, ctx: KeyedProcessContext<K>, out: Collector<R>): void;
  processElement2(value: B, ctx: KeyedProcessContext<K>, out: Collector<R>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<R>): void;
  close?(): void;
}

/** What an interval join's function sees besides the pair (Flink's ProcessJoinFunction.Context). */
export interface ProcessJoinContext {
  /** The left record's event time. */
  getLeftTimestamp(): number;
  /** The right record's event time. */
  getRightTimestamp(): number;
  /** The pair's timestamp: the later of the two (what the emitted records carry). */
  getTimestamp(): number;
}

/** Flink's ProcessJoinFunction: called once per pair that meets the interval. */
export type ProcessJoinFunction<A, B, R> = (left: A, right: B, ctx: ProcessJoinContext, out: Collector<R>) => void;

/** Broadcast state: a map every subtask holds the same copy of (Flink's BroadcastState). */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  readonly size: number;
}

export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  remove(key: K): void;
  clear(): void;
}

/** Names a broadcast state and carries its key and value types (Flink's MapStateDescriptor). */
export interface BroadcastStateDescriptor<K, V> {
  readonly name: string;
  /** Never set: carry the types. */
  readonly __key?: K;
  readonly __value?: V;
}

export interface ReadOnlyBroadcastContext {
  getBroadcastState<K, V>(descriptor: BroadcastStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}

export interface BroadcastContext extends RuntimeContext {
  getBroadcastState<K, V>(descriptor: BroadcastStateDescriptor<K, V>): BroadcastState<K, V>;
  /** The broadcast record's event time, or undefined without event time. */
  timestamp(): number | undefined;
  currentWatermark(): number;
  currentProcessingTime(): number;
  output: ProcessContext['output'];
}

/** Flink's BroadcastProcessFunction: the broadcast side writes the state, the other side only reads it. */
export interface BroadcastProcessFunction<T, B, R> {
  open?(ctx: RuntimeContext): void;
  processElement(value: T, ctx: ProcessContext & ReadOnlyBroadcastContext, out: Collector<R>): void;
  processBroadcastElement(value: B, ctx: BroadcastContext, out: Collector<R>): void;
  close?(): void;
}

/** Flink's KeyedBroadcastProcessFunction: the keyed side also has keyed state and timers. */
export interface KeyedBroadcastProcessFunction<K, T, B, R> {
  open?(ctx: KeyedOpenContext): void;
  processElement(value: T, ctx: KeyedProcessContext<K> & ReadOnlyBroadcastContext, out: Collector<R>): void;
  processBroadcastElement(value: B, ctx: BroadcastContext, out: Collector<R>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K> & ReadOnlyBroadcastContext, out: Collector<R>): void;
  close?(): void;
}

/** Any two-input function, as the graph stores it. */
export type AnyKeyedCoProcessFunction = KeyedCoProcessFunction<StateKey, unknown, unknown, unknown>;
