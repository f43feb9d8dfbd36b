import { isSink, type Sink } from '../connectors/sink.js';
import { describeValue, InvalidArgumentError, requireFunction, requireOptions, requirePositiveInteger, requireString } from '../errors/index.js';
import { MAX_MAX_PARALLELISM } from '../graph/key-groups.js';
import type { JobGraph, OperatorSpec, PartitionerSpec, StreamEdge, StreamNode } from '../graph/job-graph.js';
import type { DeadLetter, FilterFunction, FlatMapFunction, KeyedProcessFunction, KeySelector, MapFunction, ProcessFunction, ReduceFunction } from '../graph/user-functions.js';
import type { StateKey } from '../state/keyed-state.js';
import { fieldReducer, type FieldAggregation } from './field-aggregation.js';
import { isOutputTag, type OutputTag } from './output-tag.js';
import { isWindowAssigner, windows, type WindowAssigner } from './windows.js';
import { WindowedStream } from './windowed-stream.js';
import { BroadcastConnectedStream, BroadcastStream, descriptorNames, isBroadcastStream, type MapStateDescriptor } from './broadcast-stream.js';
import { ConnectedStreams } from './connected-streams.js';
import { IntervalJoin } from './interval-join.js';
import { requireSameJob, type AddOperator } from './two-input-checks.js';
import { JoinedStreams } from './window-join.js';

/** What a user function's failures do: by default they fail the job (and the restart strategy applies). */
export interface ErrorPolicy<T> {
  /** Records the function throws on go to this side output, with the error, instead of failing the job. */
  deadLetters?: OutputTag<DeadLetter<T>>;
}

function deadLettersOf(method: string, options: unknown): string | undefined {
  const o = requireOptions<ErrorPolicy<unknown>>(`${method}(fn, options)`, options, ['deadLetters']);
  if (o.deadLetters === undefined) return undefined;
  if (!isOutputTag(o.deadLetters)) {
    throw new InvalidArgumentError(`${method}(fn, options).deadLetters`, `expected an OutputTag (new OutputTag<DeadLetter<T>>('bad-records')), got ${describeValue(o.deadLetters)}`);
  }
  return o.deadLetters.id;
}

export interface OperatorSettings {
  uid?: string;
  name?: string;
  parallelism?: number;
}

/** Settings that only an operator (not a union or a repartitioned view) can take. */
abstract class OperatorHandle {
  /** @internal */
  constructor(protected readonly graph: JobGraph, protected readonly node: StreamNode | undefined) {}

  protected operator(method: string): StreamNode {
    if (this.node === undefined) {
      throw new InvalidArgumentError(`${method}`, 'applies to an operator; call it right after map, filter, process, sum, sinkTo, fromSource, … (not after union, rebalance or broadcast)');
    }
    return this.node;
  }

  /** A stable id for this operator's state: checkpoints are matched to operators by uid. */
  uid(id: string): this {
    requireString('uid(id)', id);
    const node = this.operator('uid(id)');
    node.uid = id;
    node.uidSetByUser = true;
    return this;
  }

  name(name: string): this {
    this.operator('name(name)').name = requireString('name(name)', name);
    return this;
  }

  setParallelism(parallelism: number): this {
    this.operator('setParallelism(parallelism)').parallelism = requirePositiveInteger('setParallelism(parallelism)', parallelism, MAX_MAX_PARALLELISM);
    return this;
  }
}

export function applyOperatorSettings(handle: OperatorHandle, o: OperatorSettings, argument: string): void {
  if (o.uid !== undefined) handle.uid(requireString(`${argument}.uid`, o.uid));
  if (o.name !== undefined) handle.name(requireString(`${argument}.name`, o.name));
  if (o.parallelism !== undefined) handle.setParallelism(requirePositiveInteger(`${argument}.parallelism`, o.parallelism, MAX_MAX_PARALLELISM));
}

/** A stream of records of type T. */
export class DataStream<T> extends OperatorHandle {
  /** @internal */
  constructor(graph: JobGraph, readonly producers: readonly StreamEdge[], node?: StreamNode) {
    super(graph, node);
  }

  /** @internal Adds an operator fed by this stream. */
  protected then<R>(spec: OperatorSpec, name: string): DataStream<R> {
    const node = this.graph.addNode(spec, this.producers, name);
    return new DataStream<R>(this.graph, [{ from: node.id, partitioner: { kind: 'forward' } }], node);
  }

  /** @internal The same producers, dealt to the next operator another way. */
  protected repartition(partitioner: PartitionerSpec): DataStream<T> {
    return new DataStream<T>(this.graph, this.producers.map((p) => ({ from: p.from, partitioner })));
  }

  map<R>(fn: MapFunction<T, R>, options?: ErrorPolicy<T>): DataStream<R> {
    requireFunction('map(fn)', fn);
    return this.then(withDeadLetters({ kind: 'map', fn: fn as MapFunction<unknown, unknown> }, deadLettersOf('map', options)), 'Map');
  }

  filter(fn: FilterFunction<T>, options?: ErrorPolicy<T>): DataStream<T> {
    requireFunction('filter(fn)', fn);
    return this.then(withDeadLetters({ kind: 'filter', fn: fn as FilterFunction<unknown> }, deadLettersOf('filter', options)), 'Filter');
  }

  flatMap<R>(fn: FlatMapFunction<T, R>, options?: ErrorPolicy<T>): DataStream<R> {
    requireFunction('flatMap(fn)', fn);
    return this.then(withDeadLetters({ kind: 'flat-map', fn: fn as FlatMapFunction<unknown, unknown> }, deadLettersOf('flatMap', options)), 'FlatMap');
  }

  process<R>(fn: ProcessFunction<T, R>, options?: ErrorPolicy<T>): DataStream<R> {
    requireProcessFunction('process(fn)', fn);
    return this.then(withDeadLetters({ kind: 'process', fn: fn as ProcessFunction<unknown, unknown> }, deadLettersOf('process', options)), 'Process');
  }

  /**
   * The records this operator sent to the side output `tag`: what a process function emitted
   * with `ctx.output(tag, …)`, a window's late records, a map's dead letters.
   */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    if (!isOutputTag(tag)) throw new InvalidArgumentError('getSideOutput(tag)', `expected an OutputTag, got ${describeValue(tag)}`);
    const node = this.operator('getSideOutput(tag)');
    return new DataStream<X>(this.graph, [{ from: node.id, partitioner: { kind: 'forward' }, sideOutput: tag.id }]);
  }

  /** Partitions by key: records with the same key go to the same subtask and share keyed state. */
  keyBy<K extends StateKey>(keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    requireFunction('keyBy(keySelector)', keySelector);
    const partitioner: PartitionerSpec = { kind: 'hash', keySelector: keySelector as (value: unknown) => StateKey };
    return new KeyedStream<T, K>(this.graph, this.producers.map((p) => ({ from: p.from, partitioner })));
  }

  union(...others: DataStream<T>[]): DataStream<T> {
    others.forEach((other, i) => {
      if (!(other instanceof DataStream)) throw new InvalidArgumentError(`union(streams[${i}])`, `expected a DataStream, got ${describeValue(other)}`);
      if (other.graph !== this.graph) throw new InvalidArgumentError(`union(streams[${i}])`, 'belongs to another job');
    });
    return new DataStream<T>(this.graph, [this, ...others].flatMap((s) => s.producers));
  }

  /** Deals records round-robin over the next operator's subtasks. */
  rebalance(): DataStream<T> {
    return this.repartition({ kind: 'rebalance' });
  }

  /**
   * Sends every record to every subtask of the next operator. With descriptors: a BroadcastStream,
   * for `other.connect(broadcastStream)`, whose records alone change the broadcast states they name.
   */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: [MapStateDescriptor<any, any>, ...MapStateDescriptor<any, any>[]]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): DataStream<T> | BroadcastStream<T> {
    if (descriptors.length === 0) return this.repartition({ kind: 'broadcast' });
    const names = descriptorNames(descriptors);
    return new BroadcastStream<T>(this.producers.map((p) => ({ from: p.from, partitioner: { kind: 'broadcast' } })), names, this.graph);
  }

  /**
   * Two streams into one operator, each keeping its type: `.process({ processElement1, processElement2 })`
   * or `.keyBy(ka, kb).process(…)`. With a BroadcastStream: `.process({ processElement, processBroadcastElement })`.
   */
  connect<B, K extends StateKey>(this: KeyedStream<T, K>, other: BroadcastStream<B>): BroadcastConnectedStream<T, B, K>;
  connect<B>(other: BroadcastStream<B>): BroadcastConnectedStream<T, B>;
  connect<B>(other: DataStream<B>): ConnectedStreams<T, B>;
  connect<B>(other: DataStream<B> | BroadcastStream<B>): ConnectedStreams<T, B> | BroadcastConnectedStream<T, B, StateKey | undefined> {
    if (isBroadcastStream(other)) {
      requireSameJob('connect(other)', other, true, other.graph === this.graph, '');
      return new BroadcastConnectedStream<T, B, StateKey | undefined>(this.producers, other, this instanceof KeyedStream, this.twoInputs());
    }
    requireSameJob('connect(other)', other, other instanceof DataStream, other instanceof DataStream && other.graph === this.graph, 'a DataStream, or a BroadcastStream (stream.broadcast(descriptor))');
    return new ConnectedStreams<T, B>(this.producers, other.producers, this.twoInputs());
  }

  /** A window join: `join(other).where(ka).equalTo(kb).window(assigner).apply((left, right) => …)`. */
  join<B>(other: DataStream<B>): JoinedStreams<T, B> {
    requireSameJob('join(other)', other, other instanceof DataStream, other instanceof DataStream && other.graph === this.graph, 'a DataStream');
    return new JoinedStreams<T, B>(this, other);
  }

  /** @internal Adds a two-input operator fed by `inputs` (input 1's edges first). */
  protected twoInputs(): AddOperator<DataStream<unknown>> {
    return (spec, inputs, name) => {
      const node = this.graph.addNode(spec, inputs, name);
      return new DataStream<unknown>(this.graph, [{ from: node.id, partitioner: { kind: 'forward' } }], node);
    };
  }

  sinkTo(sink: Sink<T>, options?: { uid?: string; name?: string }): DataStreamSink<T> {
    if (!isSink(sink)) throw new InvalidArgumentError('sinkTo(sink)', `expected a sink such as sinks.table(…) or sinks.print(), got ${describeValue(sink)}`);
    if (sink.guarantee === 'exactly-once' && typeof sink.createCommitter !== 'function') {
      throw new InvalidArgumentError('sinkTo(sink)', `sink '${String(sink.name)}' is exactly-once but has no createCommitter(ctx): an exactly-once sink commits what its writer prepared through a committer (Flink's Sink V2 shape, see Sink in 'weir')`);
    }
    const o = requireOptions<OperatorSettings>('sinkTo(sink, options)', options, ['uid', 'name']);
    const node = this.graph.addNode({ kind: 'sink', sink: sink as Sink<unknown> }, this.producers, `Sink: ${sink.name}`);
    const handle = new DataStreamSink<T>(this.graph, node);
    applyOperatorSettings(handle, o, 'sinkTo(sink, options)');
    return handle;
  }
}

/** The end of a stream: takes only uid, name and parallelism. */
export class DataStreamSink<T> extends OperatorHandle {
  declare private readonly _type?: T;
}

function withDeadLetters<S extends OperatorSpec>(spec: S, deadLetters: string | undefined): S {
  return deadLetters === undefined ? spec : { ...spec, deadLetters };
}

export function requireProcessFunction(argument: string, fn: unknown): void {
  if (typeof fn === 'function') return;
  if (typeof fn === 'object' && fn !== null && typeof (fn as { processElement?: unknown }).processElement === 'function') return;
  throw new InvalidArgumentError(argument, `expected a function or an object with a processElement method, got ${describeValue(fn)}`);
}

// KeyedStream lives here because it extends DataStream, which creates it in keyBy: one module avoids an import cycle.

type NumericField<T> = { [F in keyof T]: T[F] extends number ? F : never }[keyof T] & string;

/**
 * A stream partitioned by key: aggregations and keyed process functions keep state per key.
 * As in Flink it is also a DataStream, so any operator may follow it (fed by key).
 */
export class KeyedStream<T, K extends StateKey> extends DataStream<T> {

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
    return this.aggregateField('sum', field);
  }

  min(field: NumericField<T>): DataStream<T> {
    return this.aggregateField('min', field);
  }

  max(field: NumericField<T>): DataStream<T> {
    return this.aggregateField('max', field);
  }

  /** Cuts each key's records into windows: `windows.tumbling({ sizeMs })`, `sliding`, `session`, `global`. */
  window(assigner: WindowAssigner): WindowedStream<T, K> {
    if (!isWindowAssigner(assigner)) {
      throw new InvalidArgumentError('window(assigner)', `expected a window assigner such as windows.tumbling({ sizeMs: 5000 }), got ${describeValue(assigner)}`);
    }
    return new WindowedStream<T, K>(assigner.spec, (spec, name) => this.then(spec, name));
  }

  /** Flink's countWindow: fires, and starts over, every `size` records of a key. */
  countWindow(size: number): WindowedStream<T, K> {
    // Checked here so the error names this call, not windows.global(options).count.
    return this.window(windows.global({ count: requirePositiveInteger('countWindow(size)', size) }));
  }

  /**
   * Flink's interval join: `a.keyBy(k).intervalJoin(b.keyBy(k)).between(lowerMs, upperMs).process((left, right, ctx, out) => …)`
   * pairs each left record at l with the right records of its key at r ∈ [l + lowerMs, l + upperMs]. Event time.
   */
  intervalJoin<B>(other: KeyedStream<B, K>): IntervalJoin<T, B, K> {
    requireSameJob('intervalJoin(other)', other, other instanceof KeyedStream, other instanceof KeyedStream && other.graph === this.graph, 'a KeyedStream (other.keyBy(keySelector))');
    return new IntervalJoin<T, B, K>(this.producers, other.producers, this.twoInputs());
  }

  override process<R>(fn: KeyedProcessFunction<K, T, R>): DataStream<R> {
    requireProcessFunction('process(fn)', fn);
    return this.then({ kind: 'keyed-process', fn: fn as KeyedProcessFunction<StateKey, unknown, unknown> }, 'KeyedProcess');
  }

  private aggregateField(method: FieldAggregation, field: string): DataStream<T> {
    const { fn, check, update, label } = fieldReducer(method, field);
    return this.then({ kind: 'keyed-reduce', fn, firstValue: check, inPlace: { field, update } }, label);
  }
}
