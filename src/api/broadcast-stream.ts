import { describeValue, InvalidArgumentError, requireString } from '../errors/index.js';
import type { StreamEdge } from '../graph/job-graph.js';
import type { BroadcastProcessFunction, BroadcastStateDescriptor, KeyedBroadcastProcessFunction } from '../graph/two-input-functions.js';
import type { StateKey } from '../state/keyed-state.js';
import type { DataStream } from './data-stream.js';
import { requireMethods, type AddOperator } from './two-input-checks.js';

/** Names a broadcast state and its key and value types: `new MapStateDescriptor<string, Rule>('rules')`. */
export class MapStateDescriptor<K, V> implements BroadcastStateDescriptor<K, V> {
  declare readonly __key?: K;
  declare readonly __value?: V;
  /** A brand, not instanceof: a job module's 'weir' may be another copy than the worker's. */
  readonly kind = 'weir.map-state-descriptor';
  readonly name: string;

  constructor(name: string) {
    this.name = requireString('new MapStateDescriptor(name)', name);
  }
}

/** @internal Checks `broadcast(...descriptors)` and returns their names. */
export function descriptorNames(descriptors: readonly unknown[]): string[] {
  const names = descriptors.map((d, i) => {
    const descriptor = d as Partial<MapStateDescriptor<unknown, unknown>> | null;
    if (typeof descriptor !== 'object' || descriptor === null || descriptor.kind !== 'weir.map-state-descriptor' || typeof descriptor.name !== 'string') {
      throw new InvalidArgumentError(`broadcast(descriptors[${i}])`, `expected a MapStateDescriptor (new MapStateDescriptor('rules')), got ${describeValue(d)}`);
    }
    return descriptor.name;
  });
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new InvalidArgumentError('broadcast(descriptors)', `names broadcast state '${twice}' twice`);
  return names;
}

/**
 * A stream whose records go to every subtask of the operator it is connected to, and whose
 * records alone may change the broadcast states its descriptors name (Flink's BroadcastStream).
 * Use it with `other.connect(broadcastStream).process(…)`.
 */
export class BroadcastStream<T> {
  declare private readonly _type?: T;

  /** @internal */
  constructor(readonly producers: readonly StreamEdge[], readonly descriptors: readonly string[], readonly graph: object) {}
}

export function isBroadcastStream(value: unknown): value is BroadcastStream<unknown> {
  return value instanceof BroadcastStream;
}

/**
 * `stream.connect(broadcastStream)`: say what each side does with `process`. From a keyed stream
 * (`keyed.connect(broadcastStream)`, K its key type) the function is a KeyedBroadcastProcessFunction.
 */
export class BroadcastConnectedStream<A, B, K extends StateKey | undefined = undefined> {
  declare private readonly _key?: K;

  /** @internal */
  constructor(
    private readonly first: readonly StreamEdge[],
    private readonly broadcast: BroadcastStream<B>,
    private readonly keyed: boolean,
    private readonly addOperator: AddOperator<DataStream<unknown>>,
  ) {}

  /**
   * Flink's BroadcastProcessFunction: `processElement(value, ctx, out)` reads the broadcast
   * state (`ctx.getBroadcastState(descriptor)`, read-only); `processBroadcastElement(value, ctx, out)`
   * may change it. Keyed: also keyed state and timers (`onTimer`) on the keyed side, as Flink's
   * KeyedBroadcastProcessFunction.
   */
  process<R>(fn: K extends StateKey ? KeyedBroadcastProcessFunction<K, A, B, R> : BroadcastProcessFunction<A, B, R>): DataStream<R> {
    requireMethods('process(fn)', fn, ['processElement', 'processBroadcastElement'], this.keyed ? ['open', 'onTimer', 'close'] : ['open', 'close']);
    const { descriptors, producers } = this.broadcast;
    const firstInputs = this.first.length;
    const spec = this.keyed
      ? { kind: 'broadcast-process' as const, keyed: true as const, fn: fn as unknown as KeyedBroadcastProcessFunction<StateKey, unknown, unknown, unknown>, descriptors, firstInputs }
      : { kind: 'broadcast-process' as const, keyed: false as const, fn: fn as unknown as BroadcastProcessFunction<unknown, unknown, unknown>, descriptors, firstInputs };
    return this.addOperator(spec, [...this.first, ...producers], this.keyed ? 'KeyedBroadcastProcess' : 'BroadcastProcess') as DataStream<R>;
  }
}
