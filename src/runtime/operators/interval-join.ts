import { WeirError } from '../../errors/index.js';
import type { AnyKeyedCoProcessFunction, ProcessJoinContext, ProcessJoinFunction } from '../../graph/two-input-functions.js';
import type { Collector, KeyedProcessContext, OnTimerContext } from '../../graph/user-functions.js';
import type { MapState, StateKey } from '../../state/keyed-state.js';
import type { ElementTimestamp } from './element-timestamp.js';
import { userFunctionFailed } from './user-function-error.js';

const LEFT = 'interval-join/left';
const RIGHT = 'interval-join/right';

export interface IntervalJoinSettings {
  readonly uid: string;
  readonly lowerMs: number;
  readonly upperMs: number;
  readonly fn: ProcessJoinFunction<unknown, unknown, unknown>;
  readonly elementTimestamp: ElementTimestamp;
}

/**
 * Flink's interval join as a keyed two-input function: a left record at time l meets every right
 * record of its key at r ∈ [l + lower, l + upper]. Both sides wait in keyed map state (time →
 * records) until the watermark has passed the last time a partner could have: then a timer
 * removes them. Records behind the watermark when they arrive are late and dropped, as in Flink.
 * Must emit each pair once: the record that arrives second finds its partner in the other side's state.
 */
export function intervalJoinFunction(settings: IntervalJoinSettings): AnyKeyedCoProcessFunction {
  const { lowerMs, upperMs, fn, elementTimestamp, uid } = settings;
  const pair = { left: 0, right: 0 };
  const joinContext: ProcessJoinContext = {
    getLeftTimestamp: () => pair.left,
    getRightTimestamp: () => pair.right,
    getTimestamp: () => Math.max(pair.left, pair.right),
  };
  // The last time a partner can still come: the watermark must pass it before the record goes.
  const leftUntil = (t: number) => t + Math.max(upperMs, 0);
  const rightUntil = (t: number) => t + Math.max(-lowerMs, 0);

  const timestampOf = (ctx: KeyedProcessContext<StateKey>): number => {
    const t = ctx.timestamp();
    if (t === undefined) {
      throw new WeirError('INVALID_GRAPH', `operator '${uid}': an interval join needs event time: give both inputs' sources a watermark strategy (fromSource(source, { watermarks: WatermarkStrategy… }))`, {
        domain: 'user', retryable: false, details: { operator: uid },
      });
    }
    return t;
  };

  const emit = (left: unknown, right: unknown, out: Collector<unknown>) => {
    elementTimestamp.value = Math.max(pair.left, pair.right);
    try {
      fn(left, right, joinContext, out);
    } catch (error) {
      throw userFunctionFailed(uid, 'interval join function', error);
    }
  };

  const add = (state: MapState<number, unknown[]>, t: number, value: unknown) => {
    const held = state.get(t);
    state.put(t, held === undefined ? [value] : [...held, value]);
  };

  const joinRecord = (isLeft: boolean, value: unknown, ctx: KeyedProcessContext<StateKey>, out: Collector<unknown>) => {
    const t = timestampOf(ctx);
    const timers = ctx.timerService;
    if (t < timers.currentWatermark()) return; // late: a partner may already have gone
    const own = ctx.getMapState<number, unknown[]>(isLeft ? LEFT : RIGHT);
    const other = ctx.getMapState<number, unknown[]>(isLeft ? RIGHT : LEFT);
    add(own, t, value);
    // The other side's records that fall in this record's interval (seen from the right: [r - upper, r - lower]).
    const from = isLeft ? t + lowerMs : t - upperMs;
    const to = isLeft ? t + upperMs : t - lowerMs;
    for (const [o, records] of other.entries()) {
      if (o < from || o > to) continue;
      if (isLeft) { pair.left = t; pair.right = o; } else { pair.left = o; pair.right = t; }
      for (const r of records) (isLeft ? emit(value, r, out) : emit(r, value, out));
    }
    elementTimestamp.value = t;
    // Strictly after the last partner time: a record at exactly that time is not late yet.
    timers.registerEventTimeTimer((isLeft ? leftUntil(t) : rightUntil(t)) + 1);
  };

  const cleanUp = (state: MapState<number, unknown[]>, until: (t: number) => number, now: number) => {
    const expired: number[] = [];
    for (const t of state.keys()) if (until(t) + 1 <= now) expired.push(t);
    for (const t of expired) state.remove(t);
  };

  return {
    processElement1: (value, ctx, out) => joinRecord(true, value, ctx, out),
    processElement2: (value, ctx, out) => joinRecord(false, value, ctx, out),
    onTimer: (timestamp: number, ctx: OnTimerContext<StateKey>) => {
      cleanUp(ctx.getMapState<number, unknown[]>(LEFT), leftUntil, timestamp);
      cleanUp(ctx.getMapState<number, unknown[]>(RIGHT), rightUntil, timestamp);
    },
  };
}
