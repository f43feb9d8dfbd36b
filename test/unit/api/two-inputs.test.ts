// Two inputs through the public API, in process: connect (keyed and not), the interval join and the
// window join against nested-loop references on seeded out-of-order inputs, broadcast state, and
// the errors for wrong arguments and wrong use. Faults are in test/unit/fault/two-input-faults.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { job, MapStateDescriptor, readTable, run, sinks, sources, WeirError, windows, type Collector, type ProcessContext } from 'weir';
import {
  buildBalances, buildIntervalJoin, buildRuleTotals, buildWindowJoin, expectedBalances, expectedIntervalJoin, expectedRuleTotals, expectedWindowJoin,
  seededEvents, seededRules, type JoinWindow,
} from '../../support/two-input-jobs.js';
import { bad, multiset, namesArgument, uniqueJobName } from './api-test-helpers.js';

async function finish(name: string, build: Parameters<typeof job>[1], parallelism = 2) {
  const handle = await run(job(name, build), { parallelism, checkpointing: { intervalMs: 10 } });
  const result = await handle.done;
  assert.equal(result.status, 'finished');
}

describe('connect', () => {
  it('processes each input with its own method and type, without keys', async () => {
    const name = uniqueJobName('connect-plain');
    await finish(name, (env) => {
      const numbers = env.fromSource(sources.sequence({ from: 0, to: 300 }), { uid: 'numbers' });
      const words = env.fromSource(sources.fromElements(['a', 'bb', 'ccc']), { uid: 'words' });
      numbers
        .connect(words)
        .process<string>({
          processElement1: (n: number, _ctx: ProcessContext, out: Collector<string>) => out.collect(`n${n * 2}`),
          processElement2: (w: string, _ctx: ProcessContext, out: Collector<string>) => out.collect(`w${w.length}`),
        })
        .sinkTo(sinks.table('out'), { uid: 'out' });
    }, 3);
    const expected = [...Array.from({ length: 300 }, (_, n) => `n${n * 2}`), 'w1', 'w2', 'w3'];
    assert.deepEqual(multiset(await readTable<string>(name, 'out')), multiset(expected));
  });

  it('by key: both inputs share the key\'s state and event-time timers', async () => {
    const name = uniqueJobName('connect-keyed');
    const orders = seededEvents(1, 'o', 700, 13);
    const payments = seededEvents(2, 'p', 500, 13, 7);
    await finish(name, (env) => buildBalances(env, orders, payments));
    assert.deepEqual(multiset(await readTable(name, 'balances')), multiset(expectedBalances(orders, payments)));
  });
});

describe('interval join', () => {
  for (const [lower, upper] of [[-30, 50], [0, 0], [10, 80], [-60, -5]] as const) {
    it(`between(${lower}, ${upper}) on out-of-order inputs emits exactly the nested-loop reference's pairs`, async () => {
      const name = uniqueJobName('interval-join');
      const left = seededEvents(3, 'L', 600, 17);
      const right = seededEvents(4, 'R', 600, 17);
      await finish(name, (env) => buildIntervalJoin(env, left, right, lower, upper));
      const expected = expectedIntervalJoin(left, right, lower, upper);
      assert.ok(expected.length > (upper > lower ? 100 : 0), `the inputs make pairs (${expected.length})`);
      assert.deepEqual(multiset(await readTable<string>(name, 'pairs')), multiset(expected));
    });
  }

});

describe('window join', () => {
  const cases: JoinWindow[] = [
    { kind: 'tumbling', sizeMs: 100 },
    { kind: 'sliding', sizeMs: 120, slideMs: 40 },
    { kind: 'session', gapMs: 30 },
  ];
  for (const window of cases) {
    it(`${window.kind} windows: exactly the reference's pairs, once per window they share`, async () => {
      const name = uniqueJobName(`window-join-${window.kind}`);
      const left = seededEvents(7, 'L', 500, 11, 6);
      const right = seededEvents(8, 'R', 500, 11, 6);
      await finish(name, (env) => buildWindowJoin(env, left, right, window));
      const expected = expectedWindowJoin(left, right, window);
      assert.ok(expected.length > 100, `the inputs make pairs (${expected.length})`);
      assert.deepEqual(multiset(await readTable<string>(name, 'pairs')), multiset(expected));
    });
  }
});

describe('broadcast state', () => {
  it('rules broadcast while events flow reach every subtask: each bucket is multiplied by the rule in force', async () => {
    const name = uniqueJobName('broadcast-rules');
    const events = seededEvents(9, 'e', 800, 23);
    const rules = seededRules(10, 12, 300);
    await finish(name, (env) => buildRuleTotals(env, events, rules), 3);
    assert.deepEqual(multiset(await readTable(name, 'totals')), multiset(expectedRuleTotals(events, rules)));
  });

  it('is read-only in processElement: a put there fails the job with READ_ONLY_STATE naming the rule', async () => {
    const name = uniqueJobName('broadcast-read-only');
    const limits = new MapStateDescriptor<string, number>('limits');
    const handle = await run(job(name, (env) => {
      const limitStream = env.fromSource(sources.fromElements([5]), { uid: 'limits' }).broadcast(limits);
      env.fromSource(sources.sequence({ from: 0, to: 10 }), { uid: 'numbers' })
        .connect(limitStream)
        .process<number>({
          processElement: (n, ctx) => (ctx.getBroadcastState(limits) as unknown as { put(k: string, v: number): void }).put('x', n),
          processBroadcastElement: (limit, ctx) => ctx.getBroadcastState(limits).put('max', limit),
        })
        .sinkTo(sinks.table('out'), { uid: 'out' });
    }), { restart: { strategy: 'none' } });
    await assert.rejects(handle.done, (error: unknown) => {
      assert.ok(error instanceof WeirError);
      assert.equal(error.code, 'READ_ONLY_STATE');
      assert.match(error.message, /broadcast state 'limits' is read-only in processElement.*only processBroadcastElement may change it/);
      return true;
    });
  });

  it('refuses a broadcast state the operator was not given, naming the ones it has', async () => {
    const name = uniqueJobName('broadcast-unknown');
    const known = new MapStateDescriptor<string, number>('known');
    const other = new MapStateDescriptor<string, number>('other');
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.sequence({ from: 0, to: 3 }), { uid: 'numbers' })
        .connect(env.fromSource(sources.fromElements([1]), { uid: 'b' }).broadcast(known))
        .process<number>({ processElement: (n, ctx, out) => out.collect(ctx.getBroadcastState(other).size), processBroadcastElement: () => {} })
        .sinkTo(sinks.table('out'), { uid: 'out' });
    }), { restart: { strategy: 'none' } });
    await assert.rejects(handle.done, /has no broadcast state 'other'; it has 'known'/);
  });
});

describe('two-input arguments', () => {
  const build = (fn: Parameters<typeof job>[1]) => job('bad-two-inputs', fn);
  const numbers = (env: Parameters<Parameters<typeof job>[1]>[0]) => env.fromSource(sources.sequence({ from: 0, to: 3 }));

  it('names the bad argument', async () => {
    const expectBuild = async (fn: Parameters<typeof job>[1], check: (e: unknown) => true) => {
      await assert.rejects(async () => (await run(build(fn))).done, check);
    };
    await expectBuild((env) => void numbers(env).connect(bad(42)), namesArgument('connect(other)'));
    await expectBuild((env) => void numbers(env).connect(numbers(env)).process(bad({ processElement1: () => {} })), namesArgument('process(fn).processElement2'));
    await expectBuild((env) => void numbers(env).connect(numbers(env)).keyBy((n) => n, bad('x')), namesArgument('keyBy(keySelector1, keySelector2)'));
    await expectBuild((env) => void numbers(env).keyBy((n) => n).intervalJoin(bad(numbers(env))), namesArgument('intervalJoin(other)'));
    await expectBuild((env) => void numbers(env).keyBy((n) => n).intervalJoin(numbers(env).keyBy((n) => n)).between(10, 5), namesArgument('between(lowerMs, upperMs)'));
    await expectBuild((env) => void numbers(env).keyBy((n) => n).intervalJoin(numbers(env).keyBy((n) => n)).between(bad('0'), 5), namesArgument('between(lowerMs)'));
    await expectBuild((env) => void numbers(env).join(numbers(env)).where((n) => n).equalTo((n) => n).window(bad({})), namesArgument('window(assigner)'));
    await expectBuild((env) => void numbers(env).join(numbers(env)).where(bad(1)), namesArgument('where(keySelector)'));
    await expectBuild((env) => void numbers(env).broadcast(bad({ name: 'x' })), namesArgument('broadcast(descriptors[0])'));
    await expectBuild((env) => void numbers(env).broadcast(new MapStateDescriptor('a'), new MapStateDescriptor('a')), namesArgument('broadcast(descriptors)'));
    await expectBuild((env) => void numbers(env).connect(numbers(env).broadcast(new MapStateDescriptor('a'))).process(bad({ processElement: () => {} })), namesArgument('process(fn).processBroadcastElement'));
    assert.throws(() => new MapStateDescriptor(bad('')), namesArgument('new MapStateDescriptor(name)'));
  });

  it('an interval join without event time fails with a message saying so', async () => {
    const handle = await run(job(uniqueJobName('interval-no-time'), (env) => {
      numbers(env).keyBy((n) => n % 2).intervalJoin(numbers(env).keyBy((n) => n % 2)).between(0, 1).process<number>((l, r, _c, out) => out.collect(l + r)).sinkTo(sinks.print());
    }), { restart: { strategy: 'none' } });
    await assert.rejects(handle.done, /an interval join needs event time/);
  });

  it('the window join takes the assigners of windows.*', () => {
    assert.doesNotThrow(() => build((env) => void numbers(env).join(numbers(env)).where((n) => n).equalTo((n) => n).window(windows.tumbling({ sizeMs: 5 }))).build);
  });
});
