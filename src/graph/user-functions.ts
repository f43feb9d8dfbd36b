import type { OperatorStateAccess } from '../state/operator-state-store.js';
import type { AggregatingState, ListState, MapState, ReducingState, StateAggregateFunction, StateKey, StateTtlOptions, ValueState } from '../state/keyed-state.js';

/** Emits records downstream. */
export interface Collector<T> {
  collect(value: T): void;
}

export type MapFunction<T, R> = (value: T) => R;
export type FilterFunction<T> = (value: T) => boolean;
/** Emit with `out.collect(…)`, or return an iterable of results (or both). */
export type FlatMapFunction<T, R> = (value: T, out: Collector<R>) => Iterable<R> | void;
export type ReduceFunction<T> = (accumulator: T, value: T) => T;
export type KeySelector<T, K extends StateKey> = (value: T) => K;

export interface TimerService {
  /** The injected clock's time, in milliseconds. */
  currentProcessingTime(): number;
  /** The operator's event time: the last watermark it received (-Infinity before the first). */
  currentWatermark(): number;
  /** Calls `onTimer` for the current key once the clock reaches `timestamp` (one timer per key and time). */
  registerProcessingTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
  /** Calls `onTimer` for the current key once the watermark reaches `timestamp` (one timer per key and time). */
  registerEventTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
}

/** Identifies a side output: `ctx.output(tag, value)` emits to it, `stream.getSideOutput(tag)` reads it. */
export interface OutputTagLike<T> {
  readonly id: string;
  /** Never set: carries the side output's record type. */
  readonly __type?: T;
}

/** A record a user function threw on, sent to a dead-letter side output instead of failing the job. */
export interface DeadLetter<T> {
  readonly value: T;
  /** The error's name and message. */
  readonly error: string;
  /** The uid of the operator whose function threw. */
  readonly operator: string;
}

export interface RuntimeContext {
  readonly operatorUid: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
}

export interface ProcessContext extends RuntimeContext {
  readonly timerService: TimerService;
  /** The current record's event-time timestamp (in onTimer: the timer's), or undefined without event time. */
  timestamp(): number | undefined;
  /** Emits `value` to the side output `tag` (see `getSideOutput`). */
  output<X>(tag: OutputTagLike<X>, value: X): void;
}

/**
 * State accessors: the same name always gives the same state. Each takes `{ ttlMs, update? }`
 * (a time-to-live on the job's clock); every use of a name must give the same TTL.
 */
export interface KeyedStateAccess {
  getState<T>(name: string, options?: { defaultValue?: T } & StateTtlOptions): ValueState<T>;
  getListState<T>(name: string, options?: StateTtlOptions): ListState<T>;
  getMapState<UK, UV>(name: string, options?: StateTtlOptions): MapState<UK, UV>;
  getReducingState<T>(name: string, reduce: ReduceFunction<T>, options?: StateTtlOptions): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(name: string, aggregate: StateAggregateFunction<IN, ACC, OUT>, options?: StateTtlOptions): AggregatingState<IN, OUT>;
}

/** Keyed functions have operator state too (non-keyed lists per subtask), as in Flink. */
export interface KeyedOpenContext extends RuntimeContext, KeyedStateAccess, OperatorStateAccess {}

export interface KeyedProcessContext<K> extends ProcessContext, KeyedStateAccess, OperatorStateAccess {
  getCurrentKey(): K;
}

export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  readonly timeDomain: 'processing-time' | 'event-time';
}

/** A non-keyed process function's open context: its operator state (Flink's CheckpointedFunction.initializeState). */
export interface ProcessOpenContext extends RuntimeContext, OperatorStateAccess {}

/** A non-keyed process function's context: operator state (non-keyed lists) instead of keyed state. */
export interface NonKeyedProcessContext extends ProcessContext, OperatorStateAccess {}

export interface ProcessFunctionObject<T, R> {
  open?(ctx: ProcessOpenContext): void;
  processElement(value: T, ctx: NonKeyedProcessContext, out: Collector<R>): void;
  close?(): void;
}
export type ProcessFunction<T, R> =
  | ProcessFunctionObject<T, R>
  | ((value: T, ctx: NonKeyedProcessContext, out: Collector<R>) => void);

export interface KeyedProcessFunctionObject<K, T, R> {
  /** Register state here (or lazily through the context in processElement). */
  open?(ctx: KeyedOpenContext): void;
  processElement(value: T, ctx: KeyedProcessContext<K>, out: Collector<R>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<R>): void;
  close?(): void;
}
export type KeyedProcessFunction<K, T, R> =
  | KeyedProcessFunctionObject<K, T, R>
  | ((value: T, ctx: KeyedProcessContext<K>, out: Collector<R>) => void);
