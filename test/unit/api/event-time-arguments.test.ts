// Wrong arguments to the event-time API (windows, watermark strategies, side outputs, dead
// letters): each gives an INVALID_ARGUMENT error that names the argument, before anything runs;
// what can only be seen while the job runs (a generator, an assigner) fails it, naming the culprit.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  job, run, sources, sinks, windows, OutputTag, WatermarkStrategy, InvalidArgumentError,
  type DataStream, type JobHandle, type KeyedStream, type StreamEnvironment,
} from 'weir';
import { bad, namesArgument, uniqueJobName } from './api-test-helpers.js';

type Row = { k: string; v: number; ts: number };
const rows: Row[] = [{ k: 'a', v: 1, ts: 10 }, { k: 'b', v: 2, ts: 20 }];
const assigned = () => WatermarkStrategy.forMonotonousTimestamps<Row>().withTimestampAssigner((r) => r.ts);
const stream = (env: StreamEnvironment): DataStream<Row> => env.fromSource(sources.fromElements(rows), { watermarks: assigned() });
const keyed = (env: StreamEnvironment): KeyedStream<Row, string> => stream(env).keyBy((r) => r.k);

/** run() of a job whose build function misuses the API must reject, naming the argument. */
async function rejectsInBuild(build: (env: StreamEnvironment) => void, argument: string): Promise<void> {
  await assert.rejects(run(job(uniqueJobName('et-bad-build'), build)), namesArgument(argument));
}

/**
 * What only shows once the job starts: run() rejects (the tasks are set up in it, in process), or
 * the job fails (no restarts), with an error matching `check`.
 */
async function failsWhileRunning(build: (env: StreamEnvironment) => void, check: (error: unknown) => true): Promise<void> {
  let handle: JobHandle;
  try {
    handle = await run(job(uniqueJobName('et-bad-run'), build), { restart: { strategy: 'none' } });
  } catch (error) {
    check(error);
    return;
  }
  await assert.rejects(handle.done, check);
  assert.equal(handle.status(), 'failed');
}

const notNumbers = [undefined, null, '1000', Number.NaN, Infinity, -Infinity, {}];

describe('window assigners refuse bad options', () => {
  it('windows.tumbling: sizeMs missing, not a number, 0 or negative; offsetMs negative or not below sizeMs; an unknown time or key', () => {
    const a = 'windows.tumbling(options)';
    for (const sizeMs of [...notNumbers, 0, -5]) assert.throws(() => windows.tumbling(bad({ sizeMs })), namesArgument(`${a}.sizeMs`), String(sizeMs));
    assert.throws(() => windows.tumbling(bad(undefined)), namesArgument(`${a}.sizeMs`));
    for (const offsetMs of [-1, Number.NaN, '0', 1000, 1500]) assert.throws(() => windows.tumbling(bad({ sizeMs: 1000, offsetMs })), namesArgument(`${a}.offsetMs`), String(offsetMs));
    for (const time of ['wall', 'Event', 1, null]) assert.throws(() => windows.tumbling(bad({ sizeMs: 1000, time })), namesArgument(`${a}.time`), String(time));
    assert.throws(() => windows.tumbling(bad({ size: 1000 })), namesArgument(`${a}.size`));
    for (const options of [1000, 'big', [1000], null]) assert.throws(() => windows.tumbling(bad(options)), namesArgument(a), String(options));
    // What is right is accepted, including both time domains.
    windows.tumbling({ sizeMs: 1000, offsetMs: 999, time: 'processing' });
    windows.tumbling({ sizeMs: 0.5, time: 'event' });
  });

  it('windows.sliding: sizeMs and slideMs positive numbers, slideMs not above sizeMs, offsetMs below slideMs', () => {
    const a = 'windows.sliding(options)';
    for (const sizeMs of [...notNumbers, 0, -1]) assert.throws(() => windows.sliding(bad({ sizeMs, slideMs: 10 })), namesArgument(`${a}.sizeMs`), String(sizeMs));
    for (const slideMs of [...notNumbers, 0, -1]) assert.throws(() => windows.sliding(bad({ sizeMs: 100, slideMs })), namesArgument(`${a}.slideMs`), String(slideMs));
    assert.throws(() => windows.sliding({ sizeMs: 100, slideMs: 101 }), namesArgument(`${a}.slideMs`));
    assert.throws(() => windows.sliding(bad({ sizeMs: 100 })), namesArgument(`${a}.slideMs`));
    for (const offsetMs of [-1, 10, 11, 'x']) assert.throws(() => windows.sliding(bad({ sizeMs: 100, slideMs: 10, offsetMs })), namesArgument(`${a}.offsetMs`), String(offsetMs));
    assert.throws(() => windows.sliding(bad({ sizeMs: 100, slideMs: 10, time: 'later' })), namesArgument(`${a}.time`));
    assert.throws(() => windows.sliding(bad({ sizeMs: 100, slideMs: 10, slide: 5 })), namesArgument(`${a}.slide`));
    windows.sliding({ sizeMs: 100, slideMs: 100 });
    windows.sliding({ sizeMs: 100, slideMs: 10, offsetMs: 9 });
  });

  it('windows.session: gapMs a positive number; an unknown time or key', () => {
    const a = 'windows.session(options)';
    for (const gapMs of [...notNumbers, 0, -1]) assert.throws(() => windows.session(bad({ gapMs })), namesArgument(`${a}.gapMs`), String(gapMs));
    assert.throws(() => windows.session(bad(undefined)), namesArgument(`${a}.gapMs`));
    assert.throws(() => windows.session(bad({ gapMs: 10, time: 'both' })), namesArgument(`${a}.time`));
    assert.throws(() => windows.session(bad({ gap: 10 })), namesArgument(`${a}.gap`));
    assert.throws(() => windows.session(bad('10s')), namesArgument(a));
  });

  it('windows.global: count required, a positive integer; no time option', () => {
    const a = 'windows.global(options)';
    for (const count of [undefined, 0, -1, 1.5, '3', Number.NaN, null]) assert.throws(() => windows.global(bad({ count })), namesArgument(`${a}.count`), String(count));
    assert.throws(() => windows.global(bad(undefined)), namesArgument(`${a}.count`));
    assert.throws(() => windows.global(bad({ count: 3, time: 'event' })), namesArgument(`${a}.time`));
  });

  it('window() refuses what is not an assigner, countWindow a size that is not a positive integer', async () => {
    for (const value of [undefined, null, { sizeMs: 1000 }, 'tumbling', { kind: 'tumbling', sizeMs: 10 }]) {
      await rejectsInBuild((env) => keyed(env).window(bad(value)).sum('v').sinkTo(sinks.print()), 'window(assigner)');
    }
    for (const size of [0, -2, 2.5, '2', undefined]) {
      await rejectsInBuild((env) => keyed(env).countWindow(bad(size)).sum('v').sinkTo(sinks.print()), 'countWindow(size)');
    }
  });
});

describe('windowed streams refuse bad arguments', () => {
  const tumbling = () => windows.tumbling({ sizeMs: 100 });

  it('allowedLateness refuses a negative or non-number, and processing-time or count windows', async () => {
    for (const ms of [-1, ...notNumbers]) {
      await rejectsInBuild((env) => keyed(env).window(tumbling()).allowedLateness(bad(ms)).sum('v').sinkTo(sinks.print()), 'allowedLateness(ms)');
    }
    for (const assigner of [
      windows.tumbling({ sizeMs: 100, time: 'processing' }),
      windows.sliding({ sizeMs: 100, slideMs: 50, time: 'processing' }),
      windows.session({ gapMs: 100, time: 'processing' }),
      windows.global({ count: 2 }),
    ]) {
      await rejectsInBuild((env) => keyed(env).window(assigner).allowedLateness(10).sum('v').sinkTo(sinks.print()), 'allowedLateness(ms)');
    }
    await rejectsInBuild((env) => keyed(env).countWindow(2).allowedLateness(0).sum('v').sinkTo(sinks.print()), 'allowedLateness(ms)');
  });

  it('sideOutputLateData and getSideOutput refuse what is not an OutputTag; getSideOutput applies only to an operator', async () => {
    for (const value of [undefined, null, 'late', { id: 'late' }, { kind: 'weir.output-tag' }]) {
      await rejectsInBuild((env) => keyed(env).window(tumbling()).sideOutputLateData(bad(value)).sum('v').sinkTo(sinks.print()), 'sideOutputLateData(tag)');
      await rejectsInBuild((env) => stream(env).map((r) => r).getSideOutput(bad(value)).sinkTo(sinks.print()), 'getSideOutput(tag)');
    }
    const tag = new OutputTag<Row>('side');
    await rejectsInBuild((env) => stream(env).union(stream(env)).getSideOutput(tag).sinkTo(sinks.print()), 'getSideOutput(tag)');
    await rejectsInBuild((env) => stream(env).rebalance().getSideOutput(tag).sinkTo(sinks.print()), 'getSideOutput(tag)');
  });

  it('aggregate refuses a non-object, a missing create/add/result, a merge that is not a function, and no merge on session windows', async () => {
    const good = { create: () => 0, add: (acc: number, r: Row) => acc + r.v, result: (acc: number) => acc, merge: (a: number, b: number) => a + b };
    for (const value of [undefined, null, 42, () => 0]) {
      await rejectsInBuild((env) => keyed(env).window(tumbling()).aggregate(bad(value)).sinkTo(sinks.print()), 'aggregate(fn)');
    }
    for (const m of ['create', 'add', 'result'] as const) {
      for (const value of [undefined, 42]) {
        await rejectsInBuild((env) => keyed(env).window(tumbling()).aggregate(bad({ ...good, [m]: value })).sinkTo(sinks.print()), `aggregate(fn).${m}`);
      }
    }
    await rejectsInBuild((env) => keyed(env).window(tumbling()).aggregate(bad({ ...good, merge: 'sum' })).sinkTo(sinks.print()), 'aggregate(fn).merge');
    const { merge: _merge, ...withoutMerge } = good;
    await rejectsInBuild((env) => keyed(env).window(windows.session({ gapMs: 50 })).aggregate(withoutMerge).sinkTo(sinks.print()), 'aggregate(fn).merge');
    // Tumbling windows never merge: no merge is fine there.
    const name = uniqueJobName('et-aggregate-no-merge');
    const handle = await run(job(name, (env) => keyed(env).window(tumbling()).aggregate(withoutMerge).sinkTo(sinks.print({ log: () => {} }))));
    assert.equal((await handle.done).status, 'finished');
  });

  it('reduce, process, sum, min and max on windows refuse bad functions and fields', async () => {
    for (const value of [undefined, null, 42, {}]) {
      await rejectsInBuild((env) => keyed(env).window(tumbling()).reduce(bad(value)).sinkTo(sinks.print()), 'reduce(fn)');
      await rejectsInBuild((env) => keyed(env).window(tumbling()).process(bad(value)).sinkTo(sinks.print()), 'process(fn)');
    }
    for (const method of ['sum', 'min', 'max'] as const) {
      for (const field of [5, undefined, '', null]) {
        await rejectsInBuild((env) => keyed(env).window(tumbling())[method](bad(field)).sinkTo(sinks.print()), `${method}(field)`);
      }
    }
  });
});

describe('watermark strategies refuse bad arguments', () => {
  it('forBoundedOutOfOrderness refuses a negative or non-finite bound', () => {
    for (const ms of [-1, ...notNumbers]) {
      assert.throws(() => WatermarkStrategy.forBoundedOutOfOrderness(bad(ms)), namesArgument('WatermarkStrategy.forBoundedOutOfOrderness(maxOutOfOrdernessMs)'), String(ms));
    }
    WatermarkStrategy.forBoundedOutOfOrderness(0);
  });

  it('forGenerator, withTimestampAssigner refuse what is not a function; withIdleness a timeout that is not a positive number', () => {
    for (const value of [undefined, null, 42, {}, { onEvent() {}, onPeriodicEmit() {} }]) {
      assert.throws(() => WatermarkStrategy.forGenerator(bad(value)), namesArgument('WatermarkStrategy.forGenerator(createGenerator)'));
      assert.throws(() => WatermarkStrategy.forMonotonousTimestamps().withTimestampAssigner(bad(value)), namesArgument('withTimestampAssigner(assigner)'));
    }
    for (const ms of [0, -1, ...notNumbers]) {
      assert.throws(() => WatermarkStrategy.forMonotonousTimestamps().withIdleness(bad(ms)), namesArgument('withIdleness(idleMs)'), String(ms));
    }
  });

  it('strategies are immutable: with… returns a new one, the original keeps no assigner', async () => {
    const base = WatermarkStrategy.forMonotonousTimestamps<Row>();
    const withAssigner = base.withTimestampAssigner((r) => r.ts);
    assert.notEqual(withAssigner, base);
    await rejectsInBuild((env) => env.fromSource(sources.fromElements(rows), { watermarks: base }).sinkTo(sinks.print()), 'fromSource(source, options).watermarks');
  });

  it('fromSource refuses watermarks that are not a strategy, or a strategy without a timestamp assigner', async () => {
    for (const value of [null, 42, 'bounded', {}, { kind: 'weir.watermark-strategy' }, WatermarkStrategy.forMonotonousTimestamps, (r: Row) => r.ts]) {
      await rejectsInBuild((env) => env.fromSource(sources.fromElements(rows), { watermarks: bad(value) }).sinkTo(sinks.print()), 'fromSource(source, options).watermarks');
    }
    for (const strategy of [
      WatermarkStrategy.forMonotonousTimestamps<Row>(),
      WatermarkStrategy.forBoundedOutOfOrderness<Row>(10).withIdleness(100),
      WatermarkStrategy.forGenerator<Row>(() => ({ onEvent() {}, onPeriodicEmit() {} })),
    ]) {
      await assert.rejects(run(job(uniqueJobName('et-no-assigner'), (env) => env.fromSource(sources.fromElements(rows), { watermarks: strategy }).sinkTo(sinks.print()))), (error: unknown) => {
        namesArgument('fromSource(source, options).watermarks')(error);
        assert.match(String((error as Error).message), /withTimestampAssigner/);
        return true;
      });
    }
  });

  it('while running: a generator factory that returns no generator, an assigner that returns no finite number, and a generator that emits NaN each fail the job, naming the culprit', async () => {
    const withStrategy = (watermarks: WatermarkStrategy<Row>) => (env: StreamEnvironment) => {
      env.fromSource(sources.fromElements(rows), { uid: 'rows', watermarks }).sinkTo(sinks.print({ log: () => {} }));
    };
    for (const generator of [undefined, null, {}, { onEvent() {} }, { onEvent() {}, onPeriodicEmit: 1 }]) {
      await failsWhileRunning(withStrategy(WatermarkStrategy.forGenerator<Row>(() => bad(generator)).withTimestampAssigner((r) => r.ts)),
        namesArgument('WatermarkStrategy.forGenerator(createGenerator)'));
    }
    for (const ts of [Number.NaN, '10', undefined, Infinity]) {
      await failsWhileRunning(withStrategy(WatermarkStrategy.forMonotonousTimestamps<Row>().withTimestampAssigner(() => bad(ts))), (error: unknown) => {
        const e = error as { code?: string; message?: string };
        assert.equal(e.code, 'USER_FUNCTION_FAILED');
        assert.match(String(e.message), /'rows'.*timestamp assigner/);
        return true;
      });
    }
    const emitsNaN = WatermarkStrategy.forGenerator<Row>(() => ({ onEvent: (_r, _t, out) => out.emitWatermark(Number.NaN), onPeriodicEmit() {} }));
    await failsWhileRunning(withStrategy(emitsNaN.withTimestampAssigner((r) => r.ts)), (error: unknown) => {
      assert.match(String((error as Error).message), /'rows'.*watermark generator.*emitWatermark/);
      return true;
    });
  });
});

describe('side outputs and dead letters refuse bad arguments', () => {
  it('new OutputTag refuses an id that is not a non-empty string', () => {
    for (const id of ['', '  ', 42, undefined, null]) assert.throws(() => new OutputTag(bad(id)), namesArgument('new OutputTag(id)'));
  });

  it('map, filter, flatMap and process refuse deadLetters that is not an OutputTag, an unknown option, and options that are not an object', async () => {
    const methods = [
      ['map', (s: DataStream<Row>, o: never) => s.map((r) => r, o)],
      ['filter', (s: DataStream<Row>, o: never) => s.filter(() => true, o)],
      ['flatMap', (s: DataStream<Row>, o: never) => s.flatMap((r) => [r], o)],
      ['process', (s: DataStream<Row>, o: never) => s.process<Row>((r, _ctx, out) => out.collect(r), o)],
    ] as const;
    for (const [method, call] of methods) {
      for (const deadLetters of ['bad-records', 42, null, { id: 'x' }, {}]) {
        await rejectsInBuild((env) => (call(stream(env), bad({ deadLetters })) as DataStream<unknown>).sinkTo(sinks.print()), `${method}(fn, options).deadLetters`);
      }
      await rejectsInBuild((env) => (call(stream(env), bad({ deadletters: new OutputTag('x') })) as DataStream<unknown>).sinkTo(sinks.print()), `${method}(fn, options).deadletters`);
      for (const options of ['dead', 42, [new OutputTag('x')], null]) {
        await rejectsInBuild((env) => (call(stream(env), bad(options)) as DataStream<unknown>).sinkTo(sinks.print()), `${method}(fn, options)`);
      }
    }
  });

  it('ctx.output with something that is not an OutputTag fails the job, naming ctx.output(tag)', async () => {
    for (const tag of ['side', null, 42]) {
      await failsWhileRunning((env) => {
        stream(env).process<Row>((r, ctx) => ctx.output(bad(tag), r)).sinkTo(sinks.print({ log: () => {} }));
      }, namesArgument('ctx.output(tag)'));
    }
  });

  it('event-time timers refuse a timestamp that is not a finite number, naming the operator', async () => {
    for (const timestamp of [Number.NaN, Infinity, '10', undefined]) {
      await failsWhileRunning((env) => {
        keyed(env).process<Row>((_r, ctx) => ctx.timerService.registerEventTimeTimer(bad(timestamp))).uid('timers').sinkTo(sinks.print({ log: () => {} }));
      }, (error: unknown) => {
        const e = error as { code?: string; message?: string };
        assert.equal(e.code, 'USER_FUNCTION_FAILED');
        assert.match(String(e.message), /'timers'.*timer/);
        return true;
      });
    }
  });

  it('InvalidArgumentError is what the public API throws', () => {
    assert.throws(() => windows.session(bad({ gapMs: 0 })), InvalidArgumentError);
    assert.throws(() => WatermarkStrategy.forBoundedOutOfOrderness(-1), InvalidArgumentError);
  });
});
