import { describeValue, InvalidArgumentError, requireFunction } from '../errors/index.js';
import type { KeySelector } from '../graph/user-functions.js';
import type { StateKey } from '../state/keyed-state.js';
import type { DataStream } from './data-stream.js';
import { isWindowAssigner, type WindowAssigner } from './windows.js';

/** A record of either input of a window join, tagged with its side (Flink's TaggedUnion). */
interface Tagged {
  readonly left: boolean;
  readonly value: unknown;
}

/**
 * `a.join(b).where(ka).equalTo(kb).window(assigner).apply((left, right) => …)`: every pair of
 * records with equal keys in the same window, once the window fires. As in Flink (CoGroupedStreams),
 * both inputs are tagged, unioned, keyed and windowed: the window operator's state, timers,
 * lateness and checkpoints are the join's.
 */
export class JoinedStreams<A, B> {
  /** @internal */
  constructor(private readonly first: DataStream<A>, private readonly second: DataStream<B>) {}

  where<K extends StateKey>(keyA: KeySelector<A, K>): JoinWhere<A, B, K> {
    requireFunction('where(keySelector)', keyA);
    return new JoinWhere<A, B, K>(this.first, this.second, keyA);
  }
}

export class JoinWhere<A, B, K extends StateKey> {
  /** @internal */
  constructor(private readonly first: DataStream<A>, private readonly second: DataStream<B>, private readonly keyA: KeySelector<A, K>) {}

  equalTo(keyB: KeySelector<B, K>): JoinEqualTo<A, B, K> {
    requireFunction('equalTo(keySelector)', keyB);
    return new JoinEqualTo<A, B, K>(this.first, this.second, this.keyA, keyB);
  }
}

export class JoinEqualTo<A, B, K extends StateKey> {
  /** @internal */
  constructor(private readonly first: DataStream<A>, private readonly second: DataStream<B>, private readonly keyA: KeySelector<A, K>, private readonly keyB: KeySelector<B, K>) {}

  /** The windows pairs must share: `windows.tumbling(…)`, `sliding(…)` or `session(…)`. */
  window(assigner: WindowAssigner): WindowJoin<A, B> {
    if (!isWindowAssigner(assigner)) {
      throw new InvalidArgumentError('window(assigner)', `expected a window assigner such as windows.tumbling({ sizeMs: 5000 }), got ${describeValue(assigner)}`);
    }
    return new WindowJoin<A, B>(this.first, this.second, this.keyA, this.keyB, assigner);
  }
}

export class WindowJoin<A, B> {
  /** @internal */
  constructor(
    private readonly first: DataStream<A>,
    private readonly second: DataStream<B>,
    private readonly keyA: KeySelector<A, StateKey>,
    private readonly keyB: KeySelector<B, StateKey>,
    private readonly assigner: WindowAssigner,
  ) {}

  /** Flink's JoinFunction: one result per pair, emitted when the window fires. Set the join's uid on the stream it returns. */
  apply<R>(fn: (left: A, right: B) => R): DataStream<R> {
    requireFunction('apply(fn)', fn);
    const { keyA, keyB } = this;
    const left = this.first.map((value): Tagged => ({ left: true, value })).name('JoinTagLeft');
    const right = this.second.map((value): Tagged => ({ left: false, value })).name('JoinTagRight');
    return left
      .union(right)
      .keyBy((t) => (t.left ? keyA(t.value as A) : keyB(t.value as B)))
      .window(this.assigner)
      .process<R>((_key, elements, ctx) => {
        for (const l of elements) {
          if (!l.left) continue;
          for (const r of elements) if (!r.left) ctx.emit(fn(l.value as A, r.value as B));
        }
      })
      .name('WindowJoin');
  }
}
