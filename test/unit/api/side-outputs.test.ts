// Side outputs end to end, in process, through the public API: dead letters of map, filter and
// flatMap (also across a kill), what happens without them, sums over values that are not numbers,
// and ctx.output from process functions and timers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { job, run, readTable, sources, sinks, windows, ManualClock, OutputTag, WatermarkStrategy, type DeadLetter, type StreamEnvironment } from 'weir';
import { advanceByCheckpoints, advanceUntilSettled, multiset, uniqueJobName } from './api-test-helpers.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function runToEnd(name: string, build: (env: StreamEnvironment) => void, options?: Parameters<typeof run>[1]): Promise<void> {
  const handle = await run(job(name, build), options);
  const result = await handle.done;
  assert.equal(result.status, 'finished');
}

describe('dead letters and bad numbers', () => {
  const picky = (n: number): number => {
    if (n % 7 === 3) throw new RangeError(`no ${n}`);
    return n * 2;
  };

  it('map (and filter, flatMap, process) with { deadLetters } sends the records it throws on, with the error and the operator, to getSideOutput(tag); nothing is dropped', async () => {
    const name = uniqueJobName('et-dead-letters');
    const input = range(0, 30);
    await runToEnd(name, (env) => {
      const tag = new OutputTag<DeadLetter<number>>('bad-numbers');
      const doubled = env.fromSource(sources.fromElements(input)).map(picky, { deadLetters: tag }).uid('doubler');
      doubled.sinkTo(sinks.table('ok'));
      doubled.getSideOutput(tag).sinkTo(sinks.table('dead'));
      // Other functions with dead letters: filter, flatMap and process.
      const filterTag = new OutputTag<DeadLetter<number>>('bad-filter');
      const kept = env.fromSource(sources.fromElements(input)).filter((n) => picky(n) > 20, { deadLetters: filterTag }).uid('picky-filter');
      kept.sinkTo(sinks.table('kept'));
      kept.getSideOutput(filterTag).sinkTo(sinks.table('filter-dead'));
      const flatTag = new OutputTag<DeadLetter<number>>('bad-flat');
      const flat = env.fromSource(sources.fromElements(input)).flatMap((n) => [picky(n)], { deadLetters: flatTag }).uid('picky-flat');
      flat.sinkTo(sinks.table('flat'));
      flat.getSideOutput(flatTag).sinkTo(sinks.table('flat-dead'));
      const processTag = new OutputTag<DeadLetter<number>>('bad-process');
      const processed = env.fromSource(sources.fromElements(input)).process<number>((n, _ctx, out) => out.collect(picky(n)), { deadLetters: processTag }).uid('picky-process');
      processed.sinkTo(sinks.table('processed'));
      processed.getSideOutput(processTag).sinkTo(sinks.table('process-dead'));
    });
    const bad = input.filter((n) => n % 7 === 3);
    const good = input.filter((n) => n % 7 !== 3);
    assert.deepEqual(bad, [3, 10, 17, 24]);
    const letters = (operator: string) => bad.map((n) => ({ value: n, error: `RangeError: no ${n}`, operator }));
    assert.deepEqual(await readTable(name, 'ok'), good.map((n) => n * 2));
    assert.deepEqual(await readTable(name, 'dead'), letters('doubler'));
    assert.deepEqual(await readTable(name, 'kept'), good.filter((n) => n * 2 > 20));
    assert.deepEqual(await readTable(name, 'filter-dead'), letters('picky-filter'));
    assert.deepEqual(await readTable(name, 'flat'), good.map((n) => n * 2));
    assert.deepEqual(await readTable(name, 'flat-dead'), letters('picky-flat'));
    assert.deepEqual(await readTable(name, 'processed'), good.map((n) => n * 2));
    assert.deepEqual(await readTable(name, 'process-dead'), letters('picky-process'));
  });

  it('dead letters are exactly once across a killed task set', async () => {
    const N = 4000;
    const build = (env: StreamEnvironment) => {
      const tag = new OutputTag<DeadLetter<number>>('bad');
      const doubled = env.fromSource(sources.sequence({ from: 0, to: N, ratePerSecond: 40_000 }), { uid: 'numbers' })
        .rebalance().map(picky, { deadLetters: tag }).uid('doubler');
      doubled.sinkTo(sinks.table('ok'), { uid: 'ok' });
      doubled.getSideOutput(tag).sinkTo(sinks.table('dead'), { uid: 'dead' });
    };
    const name = uniqueJobName('et-dead-letters-faults');
    // The source is rate-limited on a clock the test moves: until the kill, one checkpoint interval at a
    // time, each step waited out by its checkpoint's event, so the kill comes mid-stream however loaded
    // the machine (in real time a stall lets the source run to the end before checkpoint 2 completes).
    const clock = new ManualClock(0);
    const handle = await run(job(name, build), { parallelism: 2, checkpointing: { intervalMs: 10 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 }, clock });
    const restarts: unknown[] = [];
    handle.on('restart', (e) => restarts.push((e.cause as { code?: string }).code));
    await advanceByCheckpoints(clock, handle, 10, (c) => c.status === 'completed' && !c.final && c.id >= 2);
    handle.injectFailure();
    await advanceUntilSettled(clock, handle.done, 10);
    const result = await handle.done;
    // The fault counted: one kill, one restart, nothing else restarted the job.
    assert.deepEqual(restarts, ['INJECTED_FAILURE'], 'the restarts');
    assert.equal(result.restarts, 1);
    const input = range(0, N);
    assert.deepEqual(multiset(await readTable(name, 'ok')), multiset(input.filter((n) => n % 7 !== 3).map((n) => n * 2)));
    assert.deepEqual(multiset(await readTable(name, 'dead')), multiset(input.filter((n) => n % 7 === 3).map((n) => ({ value: n, error: `RangeError: no ${n}`, operator: 'doubler' }))));
  });

  it('without deadLetters, a map that throws fails the job: done rejects with an error naming the operator and the cause', async () => {
    const name = uniqueJobName('et-no-dead-letters');
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.fromElements(range(0, 10))).map(picky).uid('doubler').sinkTo(sinks.table('out'));
    }), { restart: { strategy: 'none' } });
    await assert.rejects(handle.done, (error: unknown) => {
      const e = error as { code?: string; message?: string };
      assert.equal(e.code, 'USER_FUNCTION_FAILED');
      assert.match(String(e.message), /'doubler'/);
      assert.match(String(e.message), /no 3/);
      return true;
    });
    assert.equal(handle.status(), 'failed');
    assert.deepEqual(await readTable(name, 'out'), []);
  });

  it('a key selector that throws downstream is not taken for the failure of the flatMap or process before it: no dead letter, the job fails naming keyBy', async () => {
    const throwingKey = (n: number) => {
      if (n === 5) throw new Error('no key for 5');
      return n % 2;
    };
    for (const via of ['flatMap', 'process', 'source'] as const) {
      const name = uniqueJobName(`et-key-selector-${via}`);
      const handle = await run(job(name, (env) => {
        const tag = new OutputTag<DeadLetter<number>>('dead');
        const source = env.fromSource(sources.fromElements(range(0, 10)));
        const before = via === 'flatMap' ? source.flatMap((n) => [n], { deadLetters: tag }).uid('before')
          : via === 'process' ? source.process<number>((n, _ctx, out) => out.collect(n), { deadLetters: tag }).uid('before')
          : source;
        before.keyBy(throwingKey).reduce((a, b) => a + b).sinkTo(sinks.table('out'));
        if (via !== 'source') before.getSideOutput(tag).sinkTo(sinks.table('dead'));
      }), { restart: { strategy: 'none' } });
      await assert.rejects(handle.done, (error: unknown) => {
        const message = String((error as Error).message);
        assert.match(message, /keyBy\(keySelector\).*no key for 5/, via);
        assert.doesNotMatch(message, /'before'|source threw/, via);
        return true;
      }, via);
      if (via !== 'source') assert.deepEqual(await readTable(name, 'dead'), [], via);
    }
  });

  const failsNaming = (...patterns: RegExp[]) => (error: unknown) => {
    const message = String((error as { message?: string }).message);
    for (const p of patterns) assert.match(message, p);
    return true;
  };

  for (const [label, v] of [['NaN', Number.NaN], ['a string', '3'], ['missing', undefined]] as const) {
    it(`sum over a field that is ${label} fails the job with a message naming the field (keyed and windowed, first and later records)`, async () => {
      type Row = { k: string; v: number; ts: number };
      const bad = { k: 'a', v: v as unknown as number, ts: 30 };
      for (const position of ['first', 'later']) {
        const rows: Row[] = position === 'first' ? [bad, { k: 'a', v: 1, ts: 10 }] : [{ k: 'a', v: 1, ts: 10 }, { k: 'a', v: 2, ts: 20 }, bad];
        for (const windowed of [false, true]) {
          const name = uniqueJobName('et-bad-sum');
          const handle = await run(job(name, (env) => {
            const keyed = env.fromSource(sources.fromElements(rows), {
              watermarks: WatermarkStrategy.forMonotonousTimestamps<Row>().withTimestampAssigner((r) => r.ts),
            }).keyBy((r) => r.k);
            (windowed ? keyed.window(windows.tumbling({ sizeMs: 1000 })).sum('v') : keyed.sum('v')).sinkTo(sinks.table('out'));
          }), { restart: { strategy: 'none' } });
          await assert.rejects(handle.done, failsNaming(/sum\('v'\)/, label === 'NaN' ? /NaN/ : /not a number/), `${position} record, ${windowed ? 'windowed' : 'keyed'}`);
        }
      }
    });
  }
});

describe('side outputs from process functions', () => {
  it('ctx.output(tag, value) in a process function, a keyed process function and its onTimer goes to getSideOutput(tag) only', async () => {
    const name = uniqueJobName('et-side-outputs');
    const odd = new OutputTag<string>('odd');
    const late = new OutputTag<{ n: number; ts: number }>('timer-side');
    const unused = new OutputTag<string>('unused');
    await runToEnd(name, (env) => {
      const numbers = env.fromSource(sources.fromElements(range(0, 20)), {
        watermarks: WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n * 10),
      });
      const split = numbers.process<number>((n, ctx, out) => {
        if (n % 2 === 0) out.collect(n);
        else ctx.output(odd, `odd ${n}`);
      });
      split.sinkTo(sinks.table('even'));
      split.getSideOutput(odd).sinkTo(sinks.table('odd'));
      split.getSideOutput(unused).sinkTo(sinks.table('unused'));
      const keyed = numbers.keyBy((n) => n % 3).process<string>({
        processElement(n, ctx, out) {
          out.collect(`main ${n}`);
          if (n % 5 === 0) ctx.output(late, { n, ts: ctx.timestamp()! });
          ctx.timerService.registerEventTimeTimer(n * 10 + 1);
        },
        onTimer(timestamp, ctx, _out) {
          ctx.output(late, { n: -1, ts: timestamp });
        },
      });
      keyed.sinkTo(sinks.table('keyed-main'));
      keyed.getSideOutput(late).sinkTo(sinks.table('keyed-side'));
    }, { parallelism: 2 });
    const input = range(0, 20);
    assert.deepEqual(multiset(await readTable(name, 'even')), multiset(input.filter((n) => n % 2 === 0)));
    assert.deepEqual(multiset(await readTable(name, 'odd')), multiset(input.filter((n) => n % 2 === 1).map((n) => `odd ${n}`)));
    assert.deepEqual(await readTable(name, 'unused'), []);
    assert.deepEqual(multiset(await readTable(name, 'keyed-main')), multiset(input.map((n) => `main ${n}`)));
    const side = [...input.filter((n) => n % 5 === 0).map((n) => ({ n, ts: n * 10 })), ...input.map((n) => ({ n: -1, ts: n * 10 + 1 }))];
    assert.deepEqual(multiset(await readTable(name, 'keyed-side')), multiset(side));
  });
});

describe('late records without a late-data side output', () => {
  it('are dropped from the windows and counted in the metrics, every one of them', async () => {
    const name = uniqueJobName('et-late-counted');
    const RECORDS = 400;
    // Every 50th record of the first half is 5 s behind: far past its windows once watermarks flow.
    const timestampOf = (n: number) => (n > 0 && n < RECORDS / 2 && n % 50 === 0 ? n * 10 - 5000 : n * 10);
    let dropped = 0;
    // On a clock the test moves (5 ms a turn): the source releases its records, and the metrics tick
    // (every 5 ms), as the clock moves, so ticks come while the records after the late ones are read,
    // however loaded the machine; in real time the job could end before a tick saw the drops.
    const clock = new ManualClock(0);
    const handle = await run(job(name, (env) => {
      env.setAutoWatermarkInterval(0);
      env.fromSource(sources.sequence({ from: 0, to: RECORDS, ratePerSecond: 2000 }), {
        watermarks: WatermarkStrategy.forBoundedOutOfOrderness<number>(100).withTimestampAssigner(timestampOf),
      })
        .keyBy(() => 'all')
        .window(windows.tumbling({ sizeMs: 100 }))
        .aggregate({ create: () => 0, add: (count: number) => count + 1, result: (count) => count })
        .sinkTo(sinks.table<number>('counts'));
    }), { metricsIntervalMs: 5, clock });
    handle.on('metrics', (m) => {
      dropped = Math.max(dropped, m.subtasks.reduce((n, s) => n + s.lateRecordsDropped, 0));
    });
    await advanceUntilSettled(clock, handle.done, 5);
    await handle.done;
    const counted = (await readTable<number>(name, 'counts')).reduce((a, b) => a + b, 0);
    assert.ok(dropped > 0, 'some records were too late');
    assert.equal(counted + dropped, RECORDS, 'every record is either in a window or counted as dropped');
  });
});
