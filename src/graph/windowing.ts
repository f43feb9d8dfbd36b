import type { ReduceFunction } from './user-functions.js';

export type TimeDomain = 'event' | 'processing';

/** Which windows a record belongs to (Flink's WindowAssigner), as plain settings. */
export type WindowAssignerSpec =
  | { readonly kind: 'tumbling'; readonly sizeMs: number; readonly offsetMs: number; readonly time: TimeDomain }
  | { readonly kind: 'sliding'; readonly sizeMs: number; readonly slideMs: number; readonly offsetMs: number; readonly time: TimeDomain }
  | { readonly kind: 'session'; readonly gapMs: number; readonly time: TimeDomain }
  /** One window per key, fired and purged every `count` records (Flink's countWindow). */
  | { readonly kind: 'global'; readonly count: number };

/** A window: [start, end), in milliseconds. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export interface AggregateFunction<T, A, R> {
  create(): A;
  add(accumulator: A, value: T): A;
  result(accumulator: A): R;
  /**
   * The accumulator of a's records and b's together. Needed by session windows, which merge; with
   * it, sliding event-time windows whose slide divides their size keep one accumulator per key and
   * slide (a pane) and merge a window's panes when it fires, so it must agree with `add` (be
   * associative). It may change or return either argument: panes a later window still needs are
   * handed to it as copies.
   */
  merge?(a: A, b: A): A;
}

export interface WindowProcessContext<R> {
  readonly window: TimeWindow;
  /** The operator's watermark when the window fires. */
  readonly currentWatermark: number;
  emit(value: R): void;
}

export type WindowProcessFunction<K, T, R> = (key: K, elements: T[], ctx: WindowProcessContext<R>) => void;

/** A built-in field aggregation: `combine` over the numbers in field `name` (checked: a number, not NaN). */
export interface FieldCombine {
  readonly name: string;
  readonly combine: 'sum' | 'min' | 'max';
}

/** What a window computes when it fires. */
export type WindowFunctionSpec =
  | { readonly kind: 'reduce'; readonly fn: ReduceFunction<unknown> }
  | {
    readonly kind: 'aggregate';
    readonly fn: AggregateFunction<unknown, unknown, unknown>;
    /**
     * Set by sum/min/max: the field they combine and how. The accumulator is the first record with
     * `name` combined over all records, so an operator may keep the combined values as numbers
     * beside the first records (no object per update) and build that result when the window fires.
     */
    readonly field?: FieldCombine;
  }
  | { readonly kind: 'process'; readonly fn: WindowProcessFunction<unknown, unknown, unknown> };

export interface WindowSpec {
  readonly assigner: WindowAssignerSpec;
  readonly function: WindowFunctionSpec;
  readonly allowedLatenessMs: number;
  /** The side output (tag id) that gets records too late for any window; without it they are dropped and counted. */
  readonly lateDataTag: string | undefined;
}
