import { MapStateDescriptor, sinks, sources, WatermarkStrategy, windows, type DataStream, type KeyedProcessContext, type Source, type StreamEnvironment, type WindowAssigner } from 'weir';
import { holdUntilCheckpoints, type Hold } from './held-source.js';
import { seededRandom } from './seeded-random.js';

// Jobs with two inputs (connect, joins, broadcast state) over seeded event-time inputs, and the
// nested-loop references their output must equal. Browser-safe: the job modules of the worker
// tests (Node and Chromium) build the same jobs from their URL's parameters.

/** A record of either side of a join: its id, join key and event time. */
export interface Event {
  readonly id: string;
  readonly key: number;
  readonly ts: number;
  readonly value: number;
}

/** How far out of order the generated events are: below BOUND, so none is late. */
export const BOUND = 40;

/**
 * `count` events `prefix0…`, roughly `step` ms apart, each up to BOUND - 1 ms earlier than its
 * place (out of order), over `keys` keys.
 */
export function seededEvents(seed: number, prefix: string, count: number, keys: number, step = 5): Event[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i}`, key: Math.floor(random() * keys), ts: 1000 + i * step - Math.floor(random() * BOUND), value: 1 + Math.floor(random() * 9),
  }));
}

const eventTime = WatermarkStrategy.forBoundedOutOfOrderness<Event>(BOUND).withTimestampAssigner((e) => e.ts);

/** A bounded source of `events`, held (test/support/held-source.ts) when `hold` is given. */
export function eventSource(events: readonly Event[], hold?: Hold): Source<Event> {
  const source = sources.fromElements(events);
  return hold === undefined ? source : holdUntilCheckpoints(source, hold);
}

export function eventStream(env: StreamEnvironment, uid: string, events: readonly Event[], hold?: Hold): DataStream<Event> {
  return env.fromSource(eventSource(events, hold), { uid, watermarks: eventTime });
}

// ---- keyed connect: orders and payments, balanced per key by a timer ----

export interface Balance {
  key: number;
  ordered: number;
  paid: number;
  records: number;
}

/** Keyed state and an event-time timer shared by both inputs: each key's sums once both inputs passed the end. */
export function buildBalances(env: StreamEnvironment, orders: readonly Event[], payments: readonly Event[], hold?: Hold): void {
  const end = Math.max(...orders.map((e) => e.ts), ...payments.map((e) => e.ts)) + 1;
  const add = (field: 'ordered' | 'paid') => (e: Event, ctx: KeyedProcessContext<number>) => {
    const state = ctx.getState<Balance>('balance');
    const b = state.value() ?? { key: e.key, ordered: 0, paid: 0, records: 0 };
    state.update({ ...b, [field]: b[field] + e.value, records: b.records + 1 });
    ctx.timerService.registerEventTimeTimer(end);
  };
  eventStream(env, 'orders', orders, hold)
    .connect(eventStream(env, 'payments', payments, hold))
    .keyBy((o) => o.key, (p) => p.key)
    .process<Balance>({
      processElement1: (e, ctx) => add('ordered')(e, ctx),
      processElement2: (e, ctx) => add('paid')(e, ctx),
      onTimer: (_t, ctx, out) => out.collect(ctx.getState<Balance>('balance').value()!),
    })
    .uid('balances')
    .sinkTo(sinks.table('balances'), { uid: 'balances-table' });
}

export function expectedBalances(orders: readonly Event[], payments: readonly Event[]): Balance[] {
  const byKey = new Map<number, Balance>();
  const add = (e: Event, field: 'ordered' | 'paid') => {
    const b = byKey.get(e.key) ?? { key: e.key, ordered: 0, paid: 0, records: 0 };
    byKey.set(e.key, { ...b, [field]: b[field] + e.value, records: b.records + 1 });
  };
  orders.forEach((e) => add(e, 'ordered'));
  payments.forEach((e) => add(e, 'paid'));
  return [...byKey.values()];
}

// ---- interval join ----

export function buildIntervalJoin(env: StreamEnvironment, left: readonly Event[], right: readonly Event[], lower: number, upper: number, hold?: Hold): void {
  eventStream(env, 'left', left, hold)
    .keyBy((e) => e.key)
    .intervalJoin(eventStream(env, 'right', right, hold).keyBy((e) => e.key))
    .between(lower, upper)
    .process<string>((l, r, ctx, out) => {
      if (ctx.getLeftTimestamp() !== l.ts || ctx.getRightTimestamp() !== r.ts || ctx.getTimestamp() !== Math.max(l.ts, r.ts)) throw new Error('wrong pair timestamps');
      out.collect(`${l.id}|${r.id}`);
    })
    .uid('interval-join')
    .sinkTo(sinks.table('pairs'), { uid: 'pairs' });
}

export function expectedIntervalJoin(left: readonly Event[], right: readonly Event[], lower: number, upper: number): string[] {
  const out: string[] = [];
  for (const l of left) for (const r of right) if (l.key === r.key && r.ts >= l.ts + lower && r.ts <= l.ts + upper) out.push(`${l.id}|${r.id}`);
  return out;
}

// ---- window join ----

export type JoinWindow = { kind: 'tumbling'; sizeMs: number } | { kind: 'sliding'; sizeMs: number; slideMs: number } | { kind: 'session'; gapMs: number };

function assignerOf(w: JoinWindow): WindowAssigner {
  switch (w.kind) {
    case 'tumbling': return windows.tumbling({ sizeMs: w.sizeMs });
    case 'sliding': return windows.sliding({ sizeMs: w.sizeMs, slideMs: w.slideMs });
    case 'session': return windows.session({ gapMs: w.gapMs });
  }
}

export function buildWindowJoin(env: StreamEnvironment, left: readonly Event[], right: readonly Event[], window: JoinWindow, hold?: Hold): void {
  eventStream(env, 'left', left, hold)
    .join(eventStream(env, 'right', right, hold))
    .where((l) => l.key)
    .equalTo((r) => r.key)
    .window(assignerOf(window))
    .apply((l, r) => `${l.id}|${r.id}`)
    .uid('window-join')
    .sinkTo(sinks.table('pairs'), { uid: 'pairs' });
}

/** Each pair once per window both fall in (sliding windows overlap; sessions span both sides' records of the key and, as Flink's, merge windows that touch). */
export function expectedWindowJoin(left: readonly Event[], right: readonly Event[], window: JoinWindow): string[] {
  const out: string[] = [];
  let sessionOf: (e: Event) => number = () => 0;
  if (window.kind === 'session') {
    const session = new Map<Event, number>();
    const byKey = new Map<number, Event[]>();
    for (const e of [...left, ...right]) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
    let id = 0;
    for (const events of byKey.values()) {
      events.sort((a, b) => a.ts - b.ts);
      events.forEach((e, i) => session.set(e, i > 0 && e.ts - events[i - 1]!.ts <= window.gapMs ? id : ++id));
    }
    sessionOf = (e) => session.get(e)!;
  }
  for (const l of left) {
    for (const r of right) {
      if (l.key !== r.key) continue;
      let times = 0;
      if (window.kind === 'tumbling') times = Math.floor(l.ts / window.sizeMs) === Math.floor(r.ts / window.sizeMs) ? 1 : 0;
      else if (window.kind === 'sliding') {
        const lo = Math.max(l.ts, r.ts) - window.sizeMs;
        const hi = Math.min(l.ts, r.ts);
        for (let s = Math.floor(hi / window.slideMs) * window.slideMs; s > lo; s -= window.slideMs) times++;
      } else times = sessionOf(l) === sessionOf(r) ? 1 : 0;
      for (let i = 0; i < times; i++) out.push(`${l.id}|${r.id}`);
    }
  }
  return out;
}

// ---- broadcast state: multipliers broadcast while events flow ----

export interface Rule {
  readonly from: number;
  readonly multiplier: number;
}

export interface BucketTotal {
  key: number;
  bucket: number;
  total: number;
}

export const RULES = new MapStateDescriptor<number, number>('multipliers');
const BUCKET = 100;
const bucketEnd = (ts: number) => Math.floor(ts / BUCKET) * BUCKET + BUCKET - 1;

/** Rules every `every` ms of event time from the events' start: from then on, a bucket's total is multiplied by `multiplier`. */
export function seededRules(seed: number, count: number, every: number): Rule[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({ from: 1000 + i * every, multiplier: 2 + Math.floor(random() * 7) }));
}

const multiplierAt = (rules: Iterable<[number, number]>, t: number) => {
  let best = -Infinity;
  let m = 1;
  for (const [from, multiplier] of rules) if (from <= t && from > best) [best, m] = [from, multiplier];
  return m;
};

/**
 * Sums each key's events per 100 ms bucket (keyed state); when the watermark passes a bucket, emits the
 * sum times the multiplier of the rule in force at its end, read from the broadcast state. Rules come in
 * event-time order from one source subtask, so the rules a bucket needs are all there when it fires.
 */
export function buildRuleTotals(env: StreamEnvironment, events: readonly Event[], rules: readonly Rule[], hold?: Hold): void {
  const ruleTime = WatermarkStrategy.forMonotonousTimestamps<Rule>().withTimestampAssigner((r) => r.from);
  const ruleSource = sources.fromElements(rules);
  const broadcastRules = env
    .fromSource(hold === undefined ? ruleSource : holdUntilCheckpoints(ruleSource, { ...hold, after: Math.ceil(hold.after / 20) }), { uid: 'rules', watermarks: ruleTime, parallelism: 1 })
    .broadcast(RULES);
  eventStream(env, 'events', events, hold)
    .keyBy((e) => e.key)
    .connect(broadcastRules)
    .process<BucketTotal>({
      processElement(e, ctx) {
        const sums = ctx.getMapState<number, number>('sums');
        const bucket = bucketEnd(e.ts);
        sums.put(bucket, (sums.get(bucket) ?? 0) + e.value);
        ctx.timerService.registerEventTimeTimer(bucket);
      },
      processBroadcastElement(rule, ctx) {
        ctx.getBroadcastState(RULES).put(rule.from, rule.multiplier);
      },
      onTimer(bucket, ctx, out) {
        const sums = ctx.getMapState<number, number>('sums');
        out.collect({ key: ctx.getCurrentKey(), bucket, total: sums.get(bucket)! * multiplierAt(ctx.getBroadcastState(RULES).entries(), bucket) });
        sums.remove(bucket);
      },
    })
    .uid('rule-totals')
    .sinkTo(sinks.table('totals'), { uid: 'totals' });
}

export function expectedRuleTotals(events: readonly Event[], rules: readonly Rule[]): BucketTotal[] {
  const sums = new Map<string, BucketTotal>();
  for (const e of events) {
    const bucket = bucketEnd(e.ts);
    const k = `${e.key}/${bucket}`;
    const t = sums.get(k) ?? { key: e.key, bucket, total: 0 };
    sums.set(k, { ...t, total: t.total + e.value });
  }
  const table: [number, number][] = rules.map((r) => [r.from, r.multiplier]);
  return [...sums.values()].map((t) => ({ ...t, total: t.total * multiplierAt(table, t.bucket) }));
}
