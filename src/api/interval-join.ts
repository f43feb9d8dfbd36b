import { InvalidArgumentError, requireFunction, requireNumber } from '../errors/index.js';
import type { StreamEdge } from '../graph/job-graph.js';
import type { ProcessJoinFunction } from '../graph/two-input-functions.js';
import type { StateKey } from '../state/keyed-state.js';
import type { DataStream } from './data-stream.js';
import type { AddOperator } from './two-input-checks.js';

/** `a.keyBy(k).intervalJoin(b.keyBy(k))`: say the interval with `between(lowerMs, upperMs)`. */
export class IntervalJoin<A, B, K extends StateKey> {
  declare private readonly _key?: K;

  /** @internal */
  constructor(
    private readonly left: readonly StreamEdge[],
    private readonly right: readonly StreamEdge[],
    private readonly addOperator: AddOperator<DataStream<unknown>>,
  ) {}

  /**
   * Joins each left record at time l with every right record of its key at r ∈ [l + lowerMs, l + upperMs]
   * (both bounds inclusive, as Flink's; either may be negative). Event time only.
   */
  between(lowerMs: number, upperMs: number): IntervalJoined<A, B, K> {
    const lower = requireNumber('between(lowerMs)', lowerMs);
    const upper = requireNumber('between(lowerMs, upperMs)', upperMs);
    if (lower > upper) throw new InvalidArgumentError('between(lowerMs, upperMs)', `upperMs must not be below lowerMs, got lowerMs ${lower} and upperMs ${upper}`);
    return new IntervalJoined<A, B, K>(this.left, this.right, lower, upper, this.addOperator);
  }
}

export class IntervalJoined<A, B, K extends StateKey> {
  declare private readonly _key?: K;

  /** @internal */
  constructor(
    private readonly left: readonly StreamEdge[],
    private readonly right: readonly StreamEdge[],
    private readonly lowerMs: number,
    private readonly upperMs: number,
    private readonly addOperator: AddOperator<DataStream<unknown>>,
  ) {}

  /** Flink's ProcessJoinFunction: `(left, right, ctx, out)` once per pair; `out.collect(value)` emits at the pair's later timestamp. */
  process<R>(fn: ProcessJoinFunction<A, B, R>): DataStream<R> {
    requireFunction('process(fn)', fn);
    const spec = { kind: 'interval-join' as const, fn: fn as ProcessJoinFunction<unknown, unknown, unknown>, lowerMs: this.lowerMs, upperMs: this.upperMs, firstInputs: this.left.length };
    return this.addOperator(spec, [...this.left, ...this.right], `IntervalJoin[${this.lowerMs}, ${this.upperMs}]`) as DataStream<R>;
  }
}
