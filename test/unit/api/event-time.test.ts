// Event time end to end, in process, through the public API: watermarks reaching keyed process
// functions and their timers, across a failure; the strategies (monotonous, a custom generator,
// idleness); timestamps across chained and network edges. Dead letters and side outputs are in
// side-outputs.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  job, run, readTable, sources, sinks, windows, ManualClock, WatermarkStrategy,
  type Collector, type JobHandle, type KeyedProcessContext, type OnTimerContext, type RunOptions, type Source, type StreamEnvironment, type WatermarkGenerator,
} from 'weir';
import { advanceByCheckpoints, advanceUntilSettled, multiset, turns, uniqueJobName, waitUntil } from './api-test-helpers.js';
import { seededRandom } from '../../support/seeded-random.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** Watermarks may be ±Infinity, which JSON (and so a table) cannot hold. */
const time = (t: number | undefined): number | string | undefined => (t === undefined || Number.isFinite(t) ? t : String(t));

/**
 * The jobs here ask for a watermark after every batch the source reads (interval 0, not Flink's
 * 200 ms default), so what a test scripts record by record on a manual clock is what happens.
 */
const everyBatch = (build: (env: StreamEnvironment) => void) => (env: StreamEnvironment) => {
  env.setAutoWatermarkInterval(0);
  build(env);
};

async function runToEnd(name: string, build: (env: StreamEnvironment) => void, options?: RunOptions): Promise<void> {
  const handle = await run(job(name, everyBatch(build)), options);
  const result = await handle.done;
  assert.equal(result.status, 'finished');
}

/**
 * Out-of-order timestamps: record n at 1000 + 4 n, up to 28 ms early, so most records are behind
 * the highest timestamp so far. With a bound of 30 none is late.
 */
const JITTER = Array.from({ length: 3000 }, seededRandom(7)).map((r) => Math.floor(r * 29));
const timestampOf = (n: number) => 1000 + 4 * n - JITTER[n]!;
const BOUND = 30;
/** Each record asks for a timer at the end of its 50 ms bucket: the records of a key share timers. */
const bucketEnd = (ts: number) => Math.floor(ts / 50) * 50 + 49;
const KEYS = 3;

type Out =
  | { kind: 'element'; n: number; key: number; ts: number | string | undefined; wm: number | string | undefined }
  | { kind: 'timer'; key: number; timestamp: number; ts: number | string | undefined; wm: number | string | undefined; count: number; domain: string };

/** The keyed process function of these tests: reports each element with its watermark, one event-time timer per key and bucket. */
const reportingFunction = {
  processElement(n: number, ctx: KeyedProcessContext<number>, out: Collector<Out>) {
    const count = ctx.getState<number>('count', { defaultValue: 0 });
    count.update(count.value()! + 1);
    const ts = ctx.timestamp()!;
    ctx.timerService.registerEventTimeTimer(bucketEnd(ts));
    out.collect({ kind: 'element', n, key: ctx.getCurrentKey(), ts: time(ts), wm: time(ctx.timerService.currentWatermark()) });
  },
  onTimer(timestamp: number, ctx: OnTimerContext<number>, out: Collector<Out>) {
    out.collect({
      kind: 'timer', key: ctx.getCurrentKey(), timestamp, ts: time(ctx.timestamp()), wm: time(ctx.timerService.currentWatermark()),
      count: ctx.getState<number>('count', { defaultValue: 0 }).value()!, domain: ctx.timeDomain,
    });
  },
};

/**
 * What reportingFunction must output for records 0..n-1 at parallelism 1, given where the
 * watermarks fall: `watermarkBefore(n)` is the watermark that reaches the function right before
 * record n (undefined: none; n = count: after the last record), and every watermark fires the due timers in timestamp order, then
 * registration order. The bounded source ends with +Infinity.
 */
function expectedReport(count: number, watermarkBefore: (n: number) => number | undefined): Out[] {
  const out: Out[] = [];
  let wm = -Infinity;
  const timers: { key: number; timestamp: number; seq: number }[] = [];
  const counts = new Map<number, number>();
  let seq = 0;
  const advance = (to: number) => {
    if (to <= wm) return;
    wm = to;
    for (;;) {
      const due = timers.filter((t) => t.timestamp <= wm).sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq)[0];
      if (due === undefined) return;
      timers.splice(timers.indexOf(due), 1);
      out.push({ kind: 'timer', key: due.key, timestamp: due.timestamp, ts: due.timestamp, wm: time(wm), count: counts.get(due.key)!, domain: 'event-time' });
    }
  };
  for (let n = 0; n < count; n++) {
    const w = watermarkBefore(n);
    if (w !== undefined) advance(w);
    const key = n % KEYS;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    out.push({ kind: 'element', n, key, ts: timestampOf(n), wm: time(wm) });
    const timestamp = bucketEnd(timestampOf(n));
    if (!timers.some((t) => t.key === key && t.timestamp === timestamp)) timers.push({ key, timestamp, seq: seq++ });
  }
  const last = watermarkBefore(count);
  if (last !== undefined) advance(last);
  advance(Infinity);
  return out;
}

const maxTimestampBefore = (n: number) => Math.max(-Infinity, ...range(0, n).map(timestampOf));

describe('watermarks reach keyed process functions and fire their event-time timers', () => {
  for (const parallelism of [1, 2]) {
    it(`currentWatermark() is the highest timestamp so far - bound - 1; timers fire in timestamp order, once per key and time, the rest at the final watermark (parallelism ${parallelism})`, async () => {
      const name = uniqueJobName('et-timers');
      const N = 60;
      const clock = new ManualClock(0);
      const printed: Out[] = [];
      // One record per millisecond of the manual clock: each is read in its own poll, after which the source emits its watermark.
      const handle = await run(job(name, everyBatch((env) => {
        const out = env.fromSource(sources.sequence({ from: 0, to: N, ratePerSecond: 1000 }), {
          parallelism: 1,
          watermarks: WatermarkStrategy.forBoundedOutOfOrderness<number>(BOUND).withTimestampAssigner((n) => timestampOf(n)),
        }).keyBy((n) => n % KEYS).process<Out>(reportingFunction);
        out.filter((o) => o.kind === 'element').sinkTo(sinks.print({ log: (line) => printed.push(JSON.parse(line.replace(/^\d+> /, '')) as Out) }));
        out.sinkTo(sinks.table('out'));
      })), { clock, parallelism });
      for (let t = 0; t < N; t++) {
        await waitUntil(() => printed.length === t + 1, `record ${t} was processed`);
        clock.advance(1);
      }
      const result = await handle.done;
      assert.equal(result.status, 'finished');

      // The watermark before record n is the one the source emitted after record n - 1 (and one follows the last record).
      const expected = expectedReport(N, (n) => (n === 0 ? undefined : maxTimestampBefore(n) - BOUND - 1));
      const got = await readTable<Out>(name, 'out');
      if (parallelism === 1) assert.deepEqual(got, expected);
      else assert.deepEqual(multiset(got), multiset(expected));
      // Per key, the order is the same at any parallelism.
      for (let key = 0; key < KEYS; key++) {
        assert.deepEqual(got.filter((o) => o.key === key), expected.filter((o) => o.key === key), `key ${key}`);
      }
      // The shape the expectation relies on: timers fired both on the way and at the end.
      const timers = expected.filter((o) => o.kind === 'timer');
      assert.ok(timers.some((o) => o.wm !== 'Infinity') && timers.some((o) => o.wm === 'Infinity'), JSON.stringify(timers));
      assert.equal(new Set(timers.map((o) => `${o.key}@${o.timestamp}`)).size, timers.length);
      assert.equal(timers.length, new Set(range(0, N).map((n) => `${n % KEYS}@${bucketEnd(timestampOf(n))}`)).size);
    });
  }

  it('a job whose watermark never passes a timer still fires it, with the final watermark, before it finishes', async () => {
    const name = uniqueJobName('et-final-watermark');
    // A bound larger than the whole input: no watermark but the final one passes any timer.
    await runToEnd(name, (env) => {
      env.fromSource(sources.fromElements([{ k: 'a', ts: 10 }, { k: 'b', ts: 20 }, { k: 'a', ts: 30 }]), {
        watermarks: WatermarkStrategy.forBoundedOutOfOrderness<{ k: string; ts: number }>(1_000_000).withTimestampAssigner((r) => r.ts),
      }).keyBy((r) => r.k).process<string>({
        processElement(r, ctx) {
          ctx.timerService.registerEventTimeTimer(r.ts + 100);
        },
        onTimer(timestamp, ctx, out) {
          out.collect(`${ctx.getCurrentKey()}@${timestamp} wm=${ctx.timerService.currentWatermark()}`);
        },
      }).sinkTo(sinks.table('out'));
    });
    assert.deepEqual(await readTable(name, 'out'), ['a@110 wm=Infinity', 'b@120 wm=Infinity', 'a@130 wm=Infinity']);
  });
});

/** A punctuated generator: a watermark (highest timestamp - bound - 1) in front of every record that raises the highest timestamp, none periodically. */
function punctuated<T>(bound: number): () => WatermarkGenerator<T> {
  return () => {
    let max = -Infinity;
    return {
      onEvent(_record, timestamp, output) {
        if (timestamp <= max) return;
        max = timestamp;
        output.emitWatermark(max - bound - 1);
      },
      onPeriodicEmit() {},
    };
  };
}

/** The output with each run of timers of the same time sorted by key. */
function sameTimeTimersByKey(out: readonly Out[]): Out[] {
  const result = [...out];
  for (let i = 0; i < result.length;) {
    const first = result[i]!;
    let j = i + 1;
    if (first.kind === 'timer') {
      while (j < result.length && result[j]!.kind === 'timer' && (result[j] as { timestamp: number }).timestamp === first.timestamp) j++;
      result.splice(i, j - i, ...result.slice(i, j).sort((a, b) => a.key - b.key));
    }
    i = j;
  }
  return result;
}

/** Records the job's user function threw on, the first time it met each (per job name). */
const thrownOnce = new Map<string, Set<number>>();

describe('timers and the watermark survive a failure', () => {
  const N = 3000;
  // With a punctuated generator the watermark sits at a fixed place in the stream whatever the batches: the output is exact.
  const expected = expectedReport(N, (n) => (n === N ? undefined : maxTimestampBefore(n + 1) - BOUND - 1));
  const build = (name: string, poison: ReadonlySet<number>) => {
    const thrown = new Set<number>();
    thrownOnce.set(name, thrown);
    return (env: StreamEnvironment) => {
      env.fromSource(sources.sequence({ from: 0, to: N, ratePerSecond: 30_000 }), {
        uid: 'numbers',
        parallelism: 1,
        watermarks: WatermarkStrategy.forGenerator(punctuated<number>(BOUND)).withTimestampAssigner((n) => timestampOf(n)),
      }).keyBy((n) => n % KEYS).process<Out>({
        processElement(n, ctx, out) {
          if (poison.has(n) && !thrown.has(n)) {
            thrown.add(n);
            throw new Error(`poisoned record ${n}`);
          }
          reportingFunction.processElement(n, ctx, out);
        },
        onTimer: reportingFunction.onTimer,
      }).uid('report').sinkTo(sinks.table('out'), { uid: 'out' });
    };
  };

  it('a fault-free run gives the exact expected output', async () => {
    const name = uniqueJobName('et-fault-free');
    await runToEnd(name, build(name, new Set()), { checkpointing: { intervalMs: 10 } });
    assert.deepEqual(await readTable(name, 'out'), expected);
  });

  it('a killed task set and a function that throws once: the output is the fault-free one, each record and timer once', async () => {
    const name = uniqueJobName('et-faults');
    // The source is rate-limited on a clock the test moves, one checkpoint interval at a time until the
    // kill after checkpoint 2: so the kill comes mid-stream (before either poisoned record), however
    // loaded the machine; then the clock runs on to the end.
    const clock = new ManualClock(0);
    const handle: JobHandle = await run(job(name, everyBatch(build(name, new Set([1700, 2600])))), {
      checkpointing: { intervalMs: 10 },
      restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 },
      clock,
    });
    const restarts: unknown[] = [];
    handle.on('restart', (e) => restarts.push((e.cause as { code?: string }).code));
    await advanceByCheckpoints(clock, handle, 10, (c) => c.status === 'completed' && !c.final && c.id >= 2);
    handle.injectFailure();
    await advanceUntilSettled(clock, handle.done, 10);
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    assert.equal(thrownOnce.get(name)!.size, 2, 'both poisoned records were thrown on');
    // The faults counted: the kill, then each poisoned record (one task: each throw fails its own attempt), and nothing else.
    assert.deepEqual(restarts, ['INJECTED_FAILURE', 'USER_FUNCTION_FAILED', 'USER_FUNCTION_FAILED'], 'the restarts');
    assert.equal(result.restarts, 3);
    const got = await readTable<Out>(name, 'out');
    assert.equal(got.length, expected.length);
    assert.deepEqual(multiset(got), multiset(expected));
    // In order, except among timers of one time: a restore re-registers them by key group, not in their first order.
    assert.deepEqual(sameTimeTimersByKey(got), sameTimeTimersByKey(expected));
  });
});

describe('watermarks pass through every operator', () => {
  it('map, filter, flatMap, process, a keyed reduce and network edges pass the watermark and the timestamp on unchanged', async () => {
    const name = uniqueJobName('et-through');
    const N = 300;
    await runToEnd(name, (env) => {
      env.fromSource(sources.fromElements(range(0, N)), {
        watermarks: WatermarkStrategy.forGenerator(punctuated<number>(BOUND)).withTimestampAssigner((n) => timestampOf(n)),
      })
        .map((n) => n).filter(() => true).flatMap((n) => [n])
        .process<number>((n, _ctx, out) => out.collect(n))
        .rebalance().map((n) => n)
        .keyBy((n) => n).reduce((_a, b) => b)
        .keyBy((n) => n % KEYS).process<Out>(reportingFunction)
        .sinkTo(sinks.table('out'));
    }, { parallelism: 1 });
    assert.deepEqual(await readTable(name, 'out'), expectedReport(N, (n) => (n === N ? undefined : maxTimestampBefore(n + 1) - BOUND - 1)));
  });
});

describe('watermark strategies', () => {
  it('forMonotonousTimestamps: the watermark is the latest timestamp - 1', async () => {
    const name = uniqueJobName('et-monotonous');
    const clock = new ManualClock(0);
    const seen: string[] = [];
    const N = 20;
    const handle = await run(job(name, everyBatch((env) => {
      env.fromSource(sources.sequence({ from: 0, to: N, ratePerSecond: 1000 }), {
        watermarks: WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => 100 * n + 7),
      }).keyBy((n) => n % 2).process<string>((n, ctx, out) => {
        out.collect(`${n} ts=${ctx.timestamp()} wm=${ctx.timerService.currentWatermark()}`);
      }).sinkTo(sinks.print({ log: (line) => seen.push(line) }));
    })), { clock });
    for (let t = 0; t < N; t++) {
      await waitUntil(() => seen.length === t + 1, `record ${t} was processed`);
      clock.advance(1);
    }
    await handle.done;
    assert.deepEqual(seen, range(0, N).map((n) => `${n} ts=${100 * n + 7} wm=${n === 0 ? -Infinity : 100 * (n - 1) + 7 - 1}`));
  });

  it('forGenerator: a punctuated generator moves event time only at its marks, whatever the batches; onPeriodicEmit is called', async () => {
    const name = uniqueJobName('et-generator');
    type Event = { k: string; ts: number; mark?: boolean };
    const input: Event[] = [
      { k: 'a', ts: 5 }, { k: 'b', ts: 8 }, { k: 'a', ts: 20, mark: true }, { k: 'b', ts: 12 }, { k: 'a', ts: 30 },
      { k: 'b', ts: 40 }, { k: 'a', ts: 45, mark: true }, { k: 'b', ts: 50 }, { k: 'a', ts: 60, mark: true }, { k: 'b', ts: 70 },
    ];
    let periodicCalls = 0;
    await runToEnd(name, (env) => {
      env.fromSource(sources.fromElements(input), {
        watermarks: WatermarkStrategy.forGenerator<Event>(() => ({
          onEvent(record, timestamp, output) {
            if (record.mark === true) output.emitWatermark(timestamp);
          },
          onPeriodicEmit() {
            periodicCalls++;
          },
        })).withTimestampAssigner((e) => e.ts),
      }).keyBy((e) => e.k).process<string>({
        processElement(e, ctx, out) {
          ctx.timerService.registerEventTimeTimer(e.ts);
          out.collect(`${e.k}${e.ts} wm=${ctx.timerService.currentWatermark()}`);
        },
        onTimer(timestamp, ctx, out) {
          out.collect(`timer ${ctx.getCurrentKey()}@${timestamp} wm=${ctx.timerService.currentWatermark()}`);
        },
      }).sinkTo(sinks.table('out'));
    });
    // A mark's watermark goes out in front of the record itself (as Flink's onEvent does).
    assert.deepEqual(await readTable(name, 'out'), [
      'a5 wm=-Infinity', 'b8 wm=-Infinity',
      'timer a@5 wm=20', 'timer b@8 wm=20', 'a20 wm=20',
      'b12 wm=20', 'a30 wm=20', 'b40 wm=20',
      'timer b@12 wm=45', 'timer a@20 wm=45', 'timer a@30 wm=45', 'timer b@40 wm=45', 'a45 wm=45', 'b50 wm=45',
      'timer a@45 wm=60', 'timer b@50 wm=60', 'a60 wm=60', 'b70 wm=60',
      'timer a@60 wm=Infinity', 'timer b@70 wm=Infinity',
    ]);
    assert.ok(periodicCalls > 0, 'onPeriodicEmit was called');
  });

  /** A source that reads nothing until released, then ends: an idle feed. */
  /** Reads nothing until released; between polls it asks to wait `waitMs` (a slow feed waits long). */
  function silentSource(gate: { released: boolean }, waitMs = 10): Source<number> {
    return {
      kind: 'weir.source',
      name: 'silent',
      bounded: true,
      createSplits: () => [{ silent: true }],
      createReader: (splits, ctx) => ({
        poll: () => (gate.released ? { kind: 'end' } : { kind: 'wait', untilMs: ctx.now() + waitMs }),
        snapshotSplits: () => [...splits],
      }),
    };
  }

  /**
   * One record per millisecond of the clock (n at time n) on subtask 0; subtask 1 reads nothing
   * until released, then ends.
   */
  function halfSilentSource(gate: { released: boolean }, count: number): Source<number> {
    return {
      kind: 'weir.source',
      name: 'half-silent',
      bounded: true,
      createSplits: () => [{ part: 0, next: 0 }, { part: 1, next: 0 }],
      createReader: (splits, ctx) => {
        const parts = splits.map((s) => ({ part: s.part as number, next: s.next as number }));
        return {
          poll(max, emit) {
            let emitted = 0;
            let open = false;
            for (const p of parts) {
              if (p.part === 1) {
                open ||= !gate.released;
                continue;
              }
              while (p.next < count && p.next <= ctx.now() && emitted < max) {
                emit(p.next++);
                emitted++;
              }
              open ||= p.next < count;
            }
            if (!open) return { kind: 'end' };
            return emitted > 0 ? { kind: 'more' } : { kind: 'wait', untilMs: ctx.now() + 1 };
          },
          snapshotSplits: () => parts.map((p) => ({ ...p })),
        };
      },
    };
  }

  const shapes = [
    { idleness: true, shape: 'union', title: 'withIdleness: a union with a source that reads nothing does not hold back the timers and windows of the other' },
    { idleness: false, shape: 'union', title: 'without withIdleness, a union with a source that reads nothing holds everything back until it ends' },
    { idleness: true, shape: 'parallel', title: 'withIdleness: a source subtask that reads nothing does not hold back the timers and windows fed by the other subtask' },
    { idleness: false, shape: 'parallel', title: 'without withIdleness, a source subtask that reads nothing holds everything back until it ends' },
  ] as const;
  for (const { idleness, shape, title } of shapes) {
    it(title, async () => {
      const name = uniqueJobName(`et-idleness-${shape}-${idleness}`);
      const clock = new ManualClock(0);
      const gate = { released: false };
      const elements: string[] = [];
      const timers: string[] = [];
      const windowed: string[] = [];
      const N = 200;
      const handle = await run(job(name, everyBatch((env) => {
        const strategy = WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n * 10);
        const watermarks = idleness ? strategy.withIdleness(50) : strategy;
        const input = shape === 'union'
          ? env.fromSource(sources.sequence({ from: 0, to: N, ratePerSecond: 1000 }), { watermarks: strategy }).union(env.fromSource(silentSource(gate), { watermarks }))
          : env.fromSource(halfSilentSource(gate, N), { parallelism: 2, watermarks });
        const keyed = input.keyBy((n) => n % 2);
        keyed.process<string>({
          processElement(n, ctx, out) {
            ctx.timerService.registerEventTimeTimer(n * 10 + 5);
            out.collect(`element ${n}`);
          },
          onTimer(timestamp, ctx, out) {
            out.collect(`timer ${ctx.getCurrentKey()}@${timestamp}`);
          },
        }).sinkTo(sinks.print({ log: (line) => (line.startsWith('element') ? elements : timers).push(line) }));
        keyed.window(windows.tumbling({ sizeMs: 100 }))
          .process<string>((key, values, ctx) => ctx.emit(`window ${key} [${ctx.window.start}, ${ctx.window.end}) ${values.length}`))
          .sinkTo(sinks.print({ log: (line) => windowed.push(line) }));
      })), { clock });
      const HALF = 150;
      for (let t = 0; t < HALF; t++) {
        await waitUntil(() => elements.length === t + 1, `record ${t} was processed`);
        if (t < HALF - 1) clock.advance(1);
      }
      // Records 0..149 read: the active source's watermark is 1489.
      if (idleness) {
        await waitUntil(() => timers.length === 149 && windowed.length === 28, 'the timers and windows before 1489 fired');
        await turns(50);
        assert.equal(timers.length, 149, 'nothing past the watermark fired');
        assert.equal(windowed.length, 28);
      } else {
        await turns(200);
        assert.deepEqual(timers, []);
        assert.deepEqual(windowed, []);
      }
      gate.released = true;
      for (let t = HALF; t < N; t++) {
        clock.advance(1);
        await waitUntil(() => elements.length === t + 1, `record ${t} was processed`);
      }
      clock.advance(20);
      const result = await handle.done;
      assert.equal(result.status, 'finished');
      assert.deepEqual(multiset(timers), multiset(range(0, N).map((n) => `timer ${n % 2}@${n * 10 + 5}`)));
      const expectedWindows = range(0, 20).flatMap((w) => [0, 1].map((key) => `window ${key} [${w * 100}, ${w * 100 + 100}) 5`));
      assert.deepEqual(multiset(windowed), multiset(expectedWindows));
    });
  }

  it('withIdleness: a source that asks to wait far longer than the timeout still goes idle on time (default watermark interval)', async () => {
    const name = uniqueJobName('et-idleness-long-wait');
    const clock = new ManualClock(0);
    const gate = { released: false };
    const elements: string[] = [];
    const windowed: string[] = [];
    const N = 300;
    const strategy = WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n * 10);
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.sequence({ from: 0, to: N, ratePerSecond: 1000 }), { watermarks: strategy })
        .union(env.fromSource(silentSource(gate, 1e9), { watermarks: strategy.withIdleness(50) }))
        .map((n) => (elements.push(`element ${n}`), n))
        .keyBy((n) => n % 2)
        .window(windows.tumbling({ sizeMs: 100 }))
        .process<string>((key, values, ctx) => ctx.emit(`window ${key} [${ctx.window.start}, ${ctx.window.end}) ${values.length}`))
        .sinkTo(sinks.print({ log: (line) => windowed.push(line) }));
    }), { clock });
    const SOME = 250;
    for (let t = 0; t < SOME; t++) {
      await waitUntil(() => elements.length === t + 1, `record ${t} was processed`);
      clock.advance(1);
    }
    // The silent source asked to wait 10⁶ s, but was polled at its idleness deadline (50 ms) and
    // went idle; the active source's periodic watermark at 200 ms (1999) fired 20 windows per key.
    await waitUntil(() => windowed.length === 40, 'the windows before the watermark fired while the silent source waits');
    await turns(50);
    assert.deepEqual(multiset(windowed), multiset(range(0, 20).flatMap((w) => [0, 1].map((key) => `window ${key} [${w * 100}, ${w * 100 + 100}) 5`))));
    gate.released = true;
    clock.advance(1e9);
    assert.equal((await handle.done).status, 'finished');
    assert.equal(windowed.length, 60, 'the rest fire at the final watermark');
  });
});

describe('the timestamp travels with the record', () => {
  type Event = { id: string; ts: number };
  type Seen = { id: string; ts: number | null; at: string };
  const input: Event[] = range(0, 24).map((i) => ({ id: `e${i}`, ts: 5000 + ((i * 7) % 24) * 100 }));
  const report = (at: string) => (e: Event, ctx: { timestamp(): number | undefined }, out: Collector<Seen>) => out.collect({ id: e.id, ts: ctx.timestamp() ?? null, at });

  it('through chained operators (map, filter, flatMap), a rebalance, a keyBy, and from a timer to what it emits', async () => {
    const name = uniqueJobName('et-timestamps');
    await runToEnd(name, (env) => {
      const source = env.fromSource(sources.fromElements(input), {
        parallelism: 2,
        watermarks: WatermarkStrategy.forBoundedOutOfOrderness<Event>(10_000).withTimestampAssigner((e) => e.ts),
      });
      // Chained to the source: the same parallelism and a forward edge.
      const chained = source.map((e) => ({ ...e })).filter(() => true).flatMap((e) => [e, { id: `${e.id}'`, ts: e.ts }]);
      chained.process<Seen>(report('chained')).sinkTo(sinks.table('chained'));
      chained.rebalance().process<Seen>(report('rebalanced')).setParallelism(3).sinkTo(sinks.table('rebalanced'));
      chained.keyBy((e) => e.id).process<Seen>({
        processElement(e, ctx, out) {
          report('keyed')(e, ctx, out);
          ctx.timerService.registerEventTimeTimer(e.ts + 1);
        },
        onTimer(timestamp, ctx, out) {
          out.collect({ id: `timer ${ctx.getCurrentKey()}`, ts: timestamp, at: 'onTimer' });
        },
      }).setParallelism(2).filter((s) => s.at === 'onTimer')
        // What a timer emits carries the timer's time as its timestamp.
        .rebalance().process<Seen>((s, ctx, out) => out.collect({ id: s.id, ts: ctx.timestamp() ?? null, at: 'after the timer' }))
        .sinkTo(sinks.table('timers'));
    }, { parallelism: 2 });
    const both = input.flatMap((e) => [e, { id: `${e.id}'`, ts: e.ts }]);
    for (const at of ['chained', 'rebalanced']) {
      assert.deepEqual(multiset(await readTable(name, at)), multiset(both.map((e) => ({ id: e.id, ts: e.ts, at }))), at);
    }
    assert.deepEqual(multiset(await readTable(name, 'timers')), multiset(both.map((e) => ({ id: `timer ${e.id}`, ts: e.ts + 1, at: 'after the timer' }))));
  });

  it('without a watermark strategy, ctx.timestamp() is undefined', async () => {
    const name = uniqueJobName('et-no-timestamps');
    await runToEnd(name, (env) => {
      const source = env.fromSource(sources.fromElements(input));
      source.process<Seen>(report('plain')).sinkTo(sinks.table('plain'));
      source.keyBy((e) => e.id).process<Seen>(report('keyed')).sinkTo(sinks.table('keyed'));
    });
    assert.deepEqual(await readTable(name, 'plain'), input.map((e) => ({ id: e.id, ts: null, at: 'plain' })));
    assert.deepEqual(await readTable(name, 'keyed'), input.map((e) => ({ id: e.id, ts: null, at: 'keyed' })));
  });
});
