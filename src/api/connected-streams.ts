import { requireFunction } from '../errors/index.js';
import type { PartitionerSpec, StreamEdge } from '../graph/job-graph.js';
import type { CoProcessFunction, KeyedCoProcessFunction } from '../graph/two-input-functions.js';
import type { KeySelector } from '../graph/user-functions.js';
import type { StateKey } from '../state/keyed-state.js';
import type { DataStream } from './data-stream.js';
import { requireMethods, type AddOperator } from './two-input-checks.js';

const hash = (keySelector: (value: never) => StateKey): PartitionerSpec => ({ kind: 'hash', keySelector: keySelector as (value: unknown) => StateKey });

/**
 * Two streams processed together, each keeping its own type (Flink's ConnectedStreams):
 * `a.connect(b).process({ processElement1, processElement2 })`, or by key with `keyBy(ka, kb)`.
 * Barriers align over both inputs; the operator's event time is the smaller of their watermarks.
 */
export class ConnectedStreams<A, B> {
  /** @internal */
  constructor(
    private readonly first: readonly StreamEdge[],
    private readonly second: readonly StreamEdge[],
    private readonly addOperator: AddOperator<DataStream<unknown>>,
  ) {}

  /** Partitions both inputs by key: records of either input with the same key share the key's state and timers. */
  keyBy<K extends StateKey>(keyA: KeySelector<A, K>, keyB: KeySelector<B, K>): KeyedConnectedStreams<A, B, K> {
    requireFunction('keyBy(keySelector1)', keyA);
    requireFunction('keyBy(keySelector1, keySelector2)', keyB);
    return new KeyedConnectedStreams<A, B, K>(
      this.first.map((e) => ({ from: e.from, partitioner: hash(keyA) })),
      this.second.map((e) => ({ from: e.from, partitioner: hash(keyB) })),
      this.addOperator,
    );
  }

  /** A CoProcessFunction: `processElement1` for the first input's records, `processElement2` for the second's. */
  process<R>(fn: CoProcessFunction<A, B, R>): DataStream<R> {
    requireMethods('process(fn)', fn, ['processElement1', 'processElement2'], ['open', 'close']);
    const spec = { kind: 'co-process' as const, fn: fn as CoProcessFunction<unknown, unknown, unknown>, firstInputs: this.first.length };
    return this.addOperator(spec, [...this.first, ...this.second], 'CoProcess') as DataStream<R>;
  }
}

/** Connected streams partitioned by key (`connect(…).keyBy(ka, kb)`). */
export class KeyedConnectedStreams<A, B, K extends StateKey> {
  declare private readonly _key?: K;

  /** @internal */
  constructor(
    private readonly first: readonly StreamEdge[],
    private readonly second: readonly StreamEdge[],
    private readonly addOperator: AddOperator<DataStream<unknown>>,
  ) {}

  /** A KeyedCoProcessFunction: keyed state (`ctx.getState(name)`, …) and timers shared by both inputs, `onTimer` for both. */
  process<R>(fn: KeyedCoProcessFunction<K, A, B, R>): DataStream<R> {
    requireMethods('process(fn)', fn, ['processElement1', 'processElement2'], ['open', 'onTimer', 'close']);
    const spec = { kind: 'keyed-co-process' as const, fn: fn as unknown as KeyedCoProcessFunction<StateKey, unknown, unknown, unknown>, firstInputs: this.first.length };
    return this.addOperator(spec, [...this.first, ...this.second], 'KeyedCoProcess') as DataStream<R>;
  }
}
