import { describeValue, InvalidArgumentError, requireFunction, requireString } from '../errors/index.js';
import type { JobGraph, OperatorSpec, StreamEdge } from '../graph/job-graph.js';
import type { KeyedProcessFunction, ReduceFunction } from '../graph/user-functions.js';
import type { StateKey } from '../state/keyed-state.js';
import { DataStream, requireProcessFunction } from './data-stream.js';

type NumericField<T> = { [F in keyof T]: T[F] extends number ? F : never }[keyof T] & string;

/** A stream partitioned by key: aggregations and keyed process functions keep state per key. */
export class KeyedStream<T, K extends StateKey> {
  /** @internal */
  constructor(private readonly graph: JobGraph, readonly producers: readonly StreamEdge[]) {}

  private then<R>(spec: OperatorSpec, name: string): DataStream<R> {
    const node = this.graph.addNode(spec, this.producers, name);
    return new DataStream<R>(this.graph, [{ from: node.id, partitioner: { kind: 'forward' } }], node);
  }

  /** A running reduction per key: emits the updated value for every record. */
  reduce(fn: ReduceFunction<T>): DataStream<T> {
    requireFunction('reduce(fn)', fn);
    return this.then({ kind: 'keyed-reduce', fn: fn as ReduceFunction<unknown> }, 'Reduce');
  }

  /**
   * A running sum of `field` per key. As in Flink, the emitted record is the key's first
   * record with `field` replaced by the sum.
   */
  sum(field: NumericField<T>): DataStream<T> {
    return this.aggregateField('sum', field, (a, b) => a + b);
  }

  min(field: NumericField<T>): DataStream<T> {
    return this.aggregateField('min', field, Math.min);
  }

  max(field: NumericField<T>): DataStream<T> {
    return this.aggregateField('max', field, Math.max);
  }

  process<R>(fn: KeyedProcessFunction<K, T, R>): DataStream<R> {
    requireProcessFunction('process(fn)', fn);
    return this.then({ kind: 'keyed-process', fn: fn as KeyedProcessFunction<StateKey, unknown, unknown> }, 'KeyedProcess');
  }

  private aggregateField(method: string, field: string, combine: (a: number, b: number) => number): DataStream<T> {
    requireString(`${method}(field)`, field);
    const read = (record: unknown, which: string): number => {
      const value = typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[field] : undefined;
      if (typeof value !== 'number') {
        throw new InvalidArgumentError(`${method}('${field}')`, `the ${which} record's field '${field}' is ${describeValue(value)}, not a number`);
      }
      return value;
    };
    const fn: ReduceFunction<unknown> = (acc, value) => ({ ...(acc as object), [field]: combine(read(acc, 'aggregated'), read(value, 'incoming')) });
    const label = method[0]!.toUpperCase() + method.slice(1);
    return this.then({ kind: 'keyed-reduce', fn, firstValue: (v: unknown) => (read(v, 'first'), v) }, `${label}(${field})`);
  }
}
