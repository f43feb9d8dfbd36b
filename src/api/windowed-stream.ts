import { describeValue, InvalidArgumentError, requireFunction, requireNumber } from '../errors/index.js';
import type { OperatorSpec } from '../graph/job-graph.js';
import type { ReduceFunction } from '../graph/user-functions.js';
import type { AggregateFunction, WindowAssignerSpec, WindowFunctionSpec, WindowProcessFunction } from '../graph/windowing.js';
import type { StateKey } from '../state/keyed-state.js';
import type { DataStream } from './data-stream.js';
import { fieldAccumulator, type FieldAggregation } from './field-aggregation.js';
import { isOutputTag, type OutputTag } from './output-tag.js';

type NumericField<T> = { [F in keyof T]: T[F] extends number ? F : never }[keyof T] & string;

/**
 * A keyed stream cut into windows (`keyBy(…).window(assigner)`): say how late records may
 * be and where too-late ones go, then what each window computes.
 */
export class WindowedStream<T, K extends StateKey> {
  private latenessMs = 0;
  private lateDataTag: string | undefined;
  declare private readonly _key?: K;

  /** @internal */
  constructor(
    private readonly assigner: WindowAssignerSpec,
    private readonly addOperator: (spec: OperatorSpec, name: string) => DataStream<unknown>,
  ) {}

  /** Event time only: a window keeps its contents this long after it fired, and fires again for each record that arrives meanwhile. */
  allowedLateness(ms: number): this {
    const lateness = requireNumber('allowedLateness(ms)', ms, { min: 0 });
    if (this.assigner.kind === 'global' || this.assigner.time === 'processing') {
      throw new InvalidArgumentError('allowedLateness(ms)', 'applies to event-time windows only: processing-time and count windows have no late records');
    }
    this.latenessMs = lateness;
    return this;
  }

  /** Records too late for every window (past the allowed lateness) go to this side output instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    if (!isOutputTag(tag)) throw new InvalidArgumentError('sideOutputLateData(tag)', `expected an OutputTag, got ${describeValue(tag)}`);
    this.lateDataTag = tag.id;
    return this;
  }

  reduce(fn: ReduceFunction<T>): DataStream<T> {
    requireFunction('reduce(fn)', fn);
    return this.build({ kind: 'reduce', fn: fn as ReduceFunction<unknown> }, 'Reduce') as DataStream<T>;
  }

  sum(field: NumericField<T>): DataStream<T> {
    return this.byField('sum', field);
  }

  min(field: NumericField<T>): DataStream<T> {
    return this.byField('min', field);
  }

  max(field: NumericField<T>): DataStream<T> {
    return this.byField('max', field);
  }

  /**
   * Incremental aggregation: `add` folds each record into an accumulator, `result` turns it into the
   * window's output. Session windows need `merge`; with it, sliding windows whose slide divides
   * their size count each record once, in its slide's accumulator, and merge those when a window fires.
   */
  aggregate<A, R>(fn: AggregateFunction<T, A, R>): DataStream<R> {
    if (typeof fn !== 'object' || fn === null) {
      throw new InvalidArgumentError('aggregate(fn)', `expected an object with create, add and result functions, got ${describeValue(fn)}`);
    }
    for (const m of ['create', 'add', 'result'] as const) requireFunction(`aggregate(fn).${m}`, fn[m]);
    if (fn.merge !== undefined) requireFunction('aggregate(fn).merge', fn.merge);
    else if (this.assigner.kind === 'session') {
      throw new InvalidArgumentError('aggregate(fn).merge', 'is required with session windows, which merge their accumulators when sessions meet');
    }
    return this.build({ kind: 'aggregate', fn: fn as AggregateFunction<unknown, unknown, unknown> }, 'Aggregate') as DataStream<R>;
  }

  /** Sees every element of a window at once when it fires: `(key, elements, ctx)`, with `ctx.window` and `ctx.emit(value)`. */
  process<R>(fn: WindowProcessFunction<K, T, R>): DataStream<R> {
    requireFunction('process(fn)', fn);
    return this.build({ kind: 'process', fn: fn as WindowProcessFunction<unknown, unknown, unknown> }, 'Process') as DataStream<R>;
  }

  private byField(method: FieldAggregation, field: string): DataStream<T> {
    const { fn, field: combined, label } = fieldAccumulator(method, field);
    return this.build({ kind: 'aggregate', fn: fn as AggregateFunction<unknown, unknown, unknown>, field: combined }, label) as DataStream<T>;
  }

  private build(fn: WindowFunctionSpec, label: string): DataStream<unknown> {
    return this.addOperator({ kind: 'window', window: { assigner: this.assigner, function: fn, allowedLatenessMs: this.latenessMs, lateDataTag: this.lateDataTag } }, `${describeAssigner(this.assigner)} ${label}`);
  }
}

function describeAssigner(a: WindowAssignerSpec): string {
  const time = (t: 'event' | 'processing') => (t === 'processing' ? ', processing time' : '');
  switch (a.kind) {
    case 'tumbling': return `TumblingWindow(${a.sizeMs} ms${time(a.time)})`;
    case 'sliding': return `SlidingWindow(${a.sizeMs}/${a.slideMs} ms${time(a.time)})`;
    case 'session': return `SessionWindow(gap ${a.gapMs} ms${time(a.time)})`;
    case 'global': return `CountWindow(${a.count})`;
  }
}
