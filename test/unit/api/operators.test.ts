// End-to-end runs of every operator, in process, through the public API. Each test computes
// what the job must output on its own and compares the whole output with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  job, run, readTable, sources, sinks, ManualClock, MemoryCheckpointStorage,
  type CheckpointStorage, type DataStream, type JobHandle, type JobResult, type RunOptions, type StreamEnvironment,
} from 'weir';
import { multiset, turns, uniqueJobName, waitUntil } from './api-test-helpers.js';

/** Runs a bounded job to its end and returns its result and the committed content of its tables. */
async function runToEnd(name: string, build: (env: StreamEnvironment) => void, options?: RunOptions): Promise<JobResult> {
  const handle = await run(job(name, build), options);
  const result = await handle.done;
  assert.equal(result.status, 'finished');
  assert.equal(handle.status(), 'finished');
  return result;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('stateless operators', () => {
  it('map, filter and flatMap (collector form, returned array, and both) give exactly the expected records, in order at parallelism 1', async () => {
    const name = uniqueJobName('ops-stateless');
    const input = range(1, 21);
    await runToEnd(name, (env) => {
      const tripledEven = env.fromSource(sources.fromElements(input)).map((n) => n * 3).filter((n) => n % 2 === 0);
      tripledEven.flatMap<number>((n, out) => {
        out.collect(n);
        out.collect(-n);
      }).sinkTo(sinks.table('collector'));
      tripledEven.flatMap((n) => [`${n}a`, `${n}b`, `${n}c`]).sinkTo(sinks.table('returned'));
      tripledEven.flatMap<string>((n, out) => {
        out.collect(`first ${n}`);
        return [`then ${n}`];
      }).sinkTo(sinks.table('both'));
      tripledEven.flatMap(() => []).sinkTo(sinks.table('nothing'));
    });
    const expectedBase: number[] = [];
    for (const n of input) if ((n * 3) % 2 === 0) expectedBase.push(n * 3);
    assert.deepEqual(expectedBase, [6, 12, 18, 24, 30, 36, 42, 48, 54, 60]);
    assert.deepEqual(await readTable(name, 'collector'), expectedBase.flatMap((n) => [n, -n]));
    assert.deepEqual(await readTable(name, 'returned'), expectedBase.flatMap((n) => [`${n}a`, `${n}b`, `${n}c`]));
    assert.deepEqual(await readTable(name, 'both'), expectedBase.flatMap((n) => [`first ${n}`, `then ${n}`]));
    assert.deepEqual(await readTable(name, 'nothing'), []);
  });

  it('empty bounded sources finish the job, with empty tables', async () => {
    const name = uniqueJobName('ops-empty');
    const result = await runToEnd(name, (env) => {
      env.fromSource(sources.fromElements<number>([])).map((n) => n + 1).sinkTo(sinks.table('elements'));
      env.fromSource(sources.sequence({ from: 7, to: 7 }), { parallelism: 2 }).keyBy((n) => n).reduce((a, b) => a + b).sinkTo(sinks.table('sequence'));
    });
    assert.equal(result.restarts, 0);
    assert.deepEqual(await readTable(name, 'elements'), []);
    assert.deepEqual(await readTable(name, 'sequence'), []);
  });

  it('union of two sources (and of a stream with a third source) delivers every record of each exactly once', async () => {
    const name = uniqueJobName('ops-union');
    await runToEnd(name, (env) => {
      const letters = env.fromSource(sources.fromElements(['a', 'b', 'c']));
      const digits = env.fromSource(sources.sequence({ from: 0, to: 4 }), { parallelism: 2 }).map((n) => String(n));
      const more = env.fromSource(sources.fromElements(['x', 'y']));
      letters.union(digits).map((s) => s.toUpperCase()).sinkTo(sinks.table('two'));
      letters.union(digits, more).sinkTo(sinks.table('three'));
    });
    assert.deepEqual(multiset(await readTable(name, 'two')), multiset(['A', 'B', 'C', '0', '1', '2', '3']));
    assert.deepEqual(multiset(await readTable(name, 'three')), multiset(['a', 'b', 'c', '0', '1', '2', '3', 'x', 'y']));
  });

  it('rebalance deals the records of every upstream subtask round-robin, where forward keeps them on their subtask', async () => {
    const name = uniqueJobName('ops-rebalance');
    const input = range(0, 12);
    type Tagged = { v: number; subtask: number };
    const tag = (v: number, ctx: { subtaskIndex: number }, out: { collect(t: Tagged): void }) => out.collect({ v, subtask: ctx.subtaskIndex });
    await runToEnd(name, (env) => {
      const source = env.fromSource(sources.fromElements(input), { parallelism: 2 });
      source.process<Tagged>(tag).setParallelism(2).sinkTo(sinks.table('forward'));
      source.rebalance().process<Tagged>(tag).setParallelism(2).sinkTo(sinks.table('rebalanced'));
    });
    // fromElements splits by index: subtask 0 reads the even indices, subtask 1 the odd ones.
    const forward = await readTable<Tagged>(name, 'forward');
    assert.deepEqual(multiset(forward), multiset(input.map((v) => ({ v, subtask: v % 2 }))));
    const rebalanced = await readTable<Tagged>(name, 'rebalanced');
    assert.deepEqual(multiset(rebalanced.map((t) => t.v)), multiset(input));
    for (const subtask of [0, 1]) {
      const got = rebalanced.filter((t) => t.subtask === subtask).map((t) => t.v);
      assert.equal(got.length, 6, `subtask ${subtask} got ${JSON.stringify(got)}`);
      // Each upstream subtask alternates between both downstream subtasks.
      assert.equal(got.filter((v) => v % 2 === 0).length, 3, `subtask ${subtask} got ${JSON.stringify(got)}`);
    }
  });

  it('broadcast to parallelism 3 gives each record 3 times, once to each subtask', async () => {
    const name = uniqueJobName('ops-broadcast');
    const input = range(0, 5);
    await runToEnd(name, (env) => {
      env.fromSource(sources.fromElements(input)).broadcast()
        .process<{ v: number; subtask: number; parallelism: number }>((v, ctx, out) => out.collect({ v, subtask: ctx.subtaskIndex, parallelism: ctx.parallelism }))
        .setParallelism(3)
        .sinkTo(sinks.table('out'));
    });
    const expected = input.flatMap((v) => [0, 1, 2].map((subtask) => ({ v, subtask, parallelism: 3 })));
    assert.deepEqual(multiset(await readTable(name, 'out')), multiset(expected));
  });

  it('a non-keyed process function, as a function and as an object with open and close, sees its runtime context', async () => {
    const name = uniqueJobName('ops-process');
    const events: string[] = [];
    await runToEnd(name, (env) => {
      const source = env.fromSource(sources.fromElements(['a', 'b', 'c']));
      source.process<string>((v, ctx, out) => out.collect(`${ctx.operatorUid}:${ctx.subtaskIndex}/${ctx.parallelism}:${v}`)).uid('plain').sinkTo(sinks.table('function'));
      let seen = 0;
      let label = '';
      source.process<string>({
        open(ctx) {
          label = `${ctx.operatorUid}@${ctx.subtaskIndex}`;
          events.push(`open ${label}`);
        },
        processElement(v, _ctx, out) {
          seen++;
          out.collect(`${label}#${seen}:${v}`);
        },
        close() {
          events.push(`close ${label}`);
        },
      }).uid('object').sinkTo(sinks.table('object'));
    });
    assert.deepEqual(await readTable(name, 'function'), ['plain:0/1:a', 'plain:0/1:b', 'plain:0/1:c']);
    assert.deepEqual(await readTable(name, 'object'), ['object@0#1:a', 'object@0#2:b', 'object@0#3:c']);
    assert.deepEqual(events, ['open object@0', 'close object@0']);
  });
});

describe('keyed operators', () => {
  const words = 'the cat and the hat and the bat sat on the mat'.split(' ');

  it('keyBy + reduce emits the running value per key; an upsert table keeps the latest per key, an append table every record', async () => {
    const name = uniqueJobName('ops-reduce');
    type Count = { word: string; count: number };
    await runToEnd(name, (env) => {
      const counts = env.fromSource(sources.fromElements(words)).map((word): Count => ({ word, count: 1 }))
        .keyBy((c) => c.word)
        .reduce((a, b) => ({ word: a.word, count: a.count + b.count }));
      counts.sinkTo(sinks.table('all'));
      counts.sinkTo(sinks.table('latest', { key: 'word' }));
      counts.sinkTo(sinks.table('latest-by-fn', { key: (c) => `w:${c.word}` }));
    }, { parallelism: 2 });
    const running: Count[] = [];
    const totals = new Map<string, number>();
    for (const word of words) {
      totals.set(word, (totals.get(word) ?? 0) + 1);
      running.push({ word, count: totals.get(word)! });
    }
    assert.deepEqual(multiset(await readTable(name, 'all')), multiset(running));
    const latest = [...totals].map(([word, count]) => ({ word, count }));
    assert.deepEqual(multiset(await readTable(name, 'latest')), multiset(latest));
    assert.deepEqual(multiset(await readTable(name, 'latest-by-fn')), multiset(latest));
    // Per key, the append table keeps the running order.
    const all = await readTable<Count>(name, 'all');
    for (const word of totals.keys()) {
      assert.deepEqual(all.filter((c) => c.word === word).map((c) => c.count), range(1, totals.get(word)! + 1));
    }
  });

  it("sum, min and max emit the key's first record with only the field replaced (Flink semantics)", async () => {
    const name = uniqueJobName('ops-aggregates');
    type Row = { k: string; v: number; tag: string };
    const input: Row[] = [
      { k: 'a', v: 3, tag: 'a1' }, { k: 'b', v: 10, tag: 'b1' }, { k: 'a', v: 1, tag: 'a2' },
      { k: 'a', v: 5, tag: 'a3' }, { k: 'b', v: 7, tag: 'b2' }, { k: 'c', v: -2, tag: 'c1' }, { k: 'b', v: 12, tag: 'b3' },
    ];
    await runToEnd(name, (env) => {
      const keyed = env.fromSource(sources.fromElements(input)).keyBy((r) => r.k);
      keyed.sum('v').sinkTo(sinks.table('sum'));
      keyed.min('v').sinkTo(sinks.table('min'));
      keyed.max('v').sinkTo(sinks.table('max'));
    });
    const expected = (combine: (a: number, b: number) => number): Row[] => {
      const first = new Map<string, Row>();
      const out: Row[] = [];
      for (const row of input) {
        const acc = first.get(row.k);
        const next = acc === undefined ? row : { ...acc, v: combine(acc.v, row.v) };
        first.set(row.k, next);
        out.push(next);
      }
      return out;
    };
    // At parallelism 1 the order is the input's.
    assert.deepEqual(await readTable(name, 'sum'), expected((a, b) => a + b));
    assert.deepEqual(await readTable(name, 'min'), expected(Math.min));
    assert.deepEqual(await readTable(name, 'max'), expected(Math.max));
    assert.deepEqual((await readTable<Row>(name, 'sum')).filter((r) => r.k === 'a'), [
      { k: 'a', v: 3, tag: 'a1' }, { k: 'a', v: 4, tag: 'a1' }, { k: 'a', v: 9, tag: 'a1' },
    ]);
  });

  it('a keyed process function keeps ValueState, ListState, MapState and ReducingState per key, and clear() forgets a key', async () => {
    const name = uniqueJobName('ops-keyed-state');
    type Order = { user: string; item: string; qty: number; clear?: boolean };
    type Snapshot = { user: string; seen: number; items: string[]; perItem: Record<string, number>; total: number | null; hadApple: boolean };
    const input: Order[] = [
      { user: 'ann', item: 'apple', qty: 2 }, { user: 'bob', item: 'pear', qty: 1 }, { user: 'ann', item: 'pear', qty: 3 },
      { user: 'cid', item: 'fig', qty: 7 }, { user: 'ann', item: 'apple', qty: 1 }, { user: 'bob', item: 'fig', qty: 4 },
      { user: 'bob', item: '', qty: 0, clear: true }, { user: 'bob', item: 'kiwi', qty: 5 }, { user: 'ann', item: 'plum', qty: 6 },
    ];
    for (const parallelism of [1, 3]) {
      const jobName = `${name}-p${parallelism}`;
      await runToEnd(jobName, (env) => {
        // One source subtask keeps each key's records in input order; the keyed operator runs at `parallelism`.
        env.fromSource(sources.fromElements(input), { parallelism: 1 }).keyBy((o) => o.user).process<Snapshot>({
          processElement(order, ctx, out) {
            const seen = ctx.getState<number>('seen', { defaultValue: 0 });
            const items = ctx.getListState<string>('items');
            const perItem = ctx.getMapState<string, number>('per-item');
            const total = ctx.getReducingState<number>('total', (a, b) => a + b);
            if (order.clear) {
              seen.clear();
              items.clear();
              perItem.clear();
              total.clear();
            } else {
              seen.update(seen.value()! + 1);
              items.add(order.item);
              perItem.put(order.item, (perItem.get(order.item) ?? 0) + order.qty);
              total.add(order.qty);
            }
            out.collect({
              user: ctx.getCurrentKey(), seen: seen.value()!, items: items.get(), perItem: Object.fromEntries(perItem.entries()),
              total: total.get() ?? null, hadApple: perItem.contains('apple'),
            });
          },
        }).sinkTo(sinks.table('out'));
      }, { parallelism });
      const expected: Snapshot[] = [];
      const state = new Map<string, { seen: number; items: string[]; perItem: Record<string, number>; total: number | null }>();
      for (const order of input) {
        const s = state.get(order.user) ?? { seen: 0, items: [], perItem: {}, total: null };
        const next = order.clear
          ? { seen: 0, items: [], perItem: {}, total: null }
          : { seen: s.seen + 1, items: [...s.items, order.item], perItem: { ...s.perItem, [order.item]: (s.perItem[order.item] ?? 0) + order.qty }, total: (s.total ?? 0) + order.qty };
        state.set(order.user, next);
        expected.push({ user: order.user, ...next, perItem: { ...next.perItem }, hadApple: 'apple' in next.perItem });
      }
      const got = await readTable<Snapshot>(jobName, 'out');
      if (parallelism === 1) assert.deepEqual(got, expected);
      else assert.deepEqual(multiset(got), multiset(expected));
    }
  });

  it('keyBy accepts string, number, bigint and boolean keys and keeps them apart (1 and "1" are different keys)', async () => {
    const name = uniqueJobName('ops-key-types');
    const keys = [1, '1', 1n, true, 'true', 2, 1, '1', true, 1n];
    await runToEnd(name, (env) => {
      env.fromSource(sources.fromElements(keys.map((k, i) => ({ i, k }))))
        .keyBy((r) => r.k)
        .process<string>((r, ctx, out) => {
          const n = ctx.getState<number>('n', { defaultValue: 0 });
          n.update(n.value()! + 1);
          out.collect(`${typeof ctx.getCurrentKey()}:${String(ctx.getCurrentKey())}#${n.value()}`);
        })
        .sinkTo(sinks.table('out'));
    }, { parallelism: 2 });
    const counts = new Map<string, number>();
    const expected = keys.map((k) => {
      const id = `${typeof k}:${String(k)}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      return `${id}#${counts.get(id)}`;
    });
    assert.deepEqual(multiset(await readTable(name, 'out')), multiset(expected));
  });
});

describe('parallelism and chaining do not change results', () => {
  const input = range(0, 300);
  const build = (tables: string) => (env: StreamEnvironment) => {
    const words = env.fromSource(sources.fromElements(input))
      .map((n) => ({ n, word: `w${n % 13}` }))
      .filter((r) => r.n % 5 !== 0)
      .flatMap<{ n: number; word: string }>((r, out) => {
        out.collect(r);
        if (r.n % 7 === 0) out.collect({ n: -r.n, word: r.word });
      });
    words.sinkTo(sinks.table(`${tables}-records`));
    words.keyBy((r) => r.word).sum('n').sinkTo(sinks.table(`${tables}-sums`, { key: 'word' }));
  };
  const expectedRecords: { n: number; word: string }[] = [];
  for (const n of input) {
    if (n % 5 === 0) continue;
    expectedRecords.push({ n, word: `w${n % 13}` });
    if (n % 7 === 0) expectedRecords.push({ n: -n, word: `w${n % 13}` });
  }
  const sums = new Map<string, number>();
  const firstN = new Map<string, number>();
  for (const r of expectedRecords) {
    sums.set(r.word, (sums.get(r.word) ?? 0) + r.n);
    if (!firstN.has(r.word)) firstN.set(r.word, r.n);
  }
  // sum() keeps the key's first record with n replaced, and word is the key: so each row is { n: total, word }.
  const expectedSums = [...sums].map(([word, n]) => ({ n, word }));

  for (const parallelism of [1, 2, 4]) {
    it(`parallelism ${parallelism} gives the same multiset of records and the same final sums`, async () => {
      const name = uniqueJobName(`ops-parallelism-${parallelism}`);
      await runToEnd(name, build('t'), { parallelism });
      assert.deepEqual(multiset(await readTable(name, 't-records')), multiset(expectedRecords));
      assert.deepEqual(multiset(await readTable(name, 't-sums')), multiset(expectedSums));
    });
  }

  it('env.setParallelism is the default for every operator and run({ parallelism }) does not override it', async () => {
    const name = uniqueJobName('ops-env-parallelism');
    await runToEnd(name, (env) => {
      env.setParallelism(3);
      env.fromSource(sources.fromElements(range(0, 9))).process<number>((_v, ctx, out) => out.collect(ctx.parallelism)).sinkTo(sinks.table('out'));
    }, { parallelism: 2 });
    assert.deepEqual(await readTable(name, 'out'), Array(9).fill(3));
  });

  it('setParallelism on one operator runs that operator, and only it, on that many subtasks', async () => {
    const name = uniqueJobName('ops-operator-parallelism');
    type Seen = { v: number; at: string };
    const where = (label: string) => (v: number, ctx: { subtaskIndex: number; parallelism: number }, out: { collect(s: Seen): void }) =>
      out.collect({ v, at: `${label} ${ctx.subtaskIndex}/${ctx.parallelism}` });
    await runToEnd(name, (env) => {
      env.fromSource(sources.fromElements(range(0, 9)))
        .process<Seen>(where('wide')).setParallelism(3)
        .map((s) => s.v)
        .process<Seen>(where('narrow'))
        .sinkTo(sinks.table('out'));
      env.fromSource(sources.fromElements(range(0, 9))).process<Seen>(where('wide')).setParallelism(3).sinkTo(sinks.table('wide'));
    });
    assert.deepEqual(multiset(await readTable(name, 'out')), multiset(range(0, 9).map((v) => ({ v, at: 'narrow 0/1' }))));
    const wide = await readTable<Seen>(name, 'wide');
    assert.deepEqual(multiset(wide.map((s) => s.v)), multiset(range(0, 9)));
    // One upstream subtask deals its 9 records round-robin over the 3 subtasks.
    for (const i of [0, 1, 2]) assert.equal(wide.filter((s) => s.at === `wide ${i}/3`).length, 3, JSON.stringify(wide));
  });

  it('operator chaining does not change results: the same pipeline with every chain broken gives the same records', async () => {
    const pipeline = (breakChains: boolean) => (env: StreamEnvironment) => {
      const split = <T>(s: DataStream<T>) => (breakChains ? s.rebalance() : s);
      const mapped = split(env.fromSource(sources.fromElements(range(0, 50)))).map((n) => n * n);
      const filtered = split(mapped).filter((n) => n % 3 !== 1);
      split(split(filtered).flatMap((n) => [n, n + 0.5])).sinkTo(sinks.table('out'));
    };
    const chained = uniqueJobName('ops-chained');
    const unchained = uniqueJobName('ops-unchained');
    const chainedHandle = await run(job(chained, pipeline(false)), { parallelism: 2 });
    await chainedHandle.done;
    const unchainedHandle = await run(job(unchained, pipeline(true)), { parallelism: 2 });
    await unchainedHandle.done;
    const expected = range(0, 50).map((n) => n * n).filter((n) => n % 3 !== 1).flatMap((n) => [n, n + 0.5]);
    assert.deepEqual(multiset(await readTable(chained, 'out')), multiset(expected));
    assert.deepEqual(multiset(await readTable(unchained, 'out')), multiset(expected));
    // The final checkpoint shows the tasks: one chain of 2 subtasks, against 5 vertices of 2 subtasks.
    const finalOf = (h: JobHandle) => h.checkpoints().find((c) => c.final && c.status === 'completed');
    assert.equal(finalOf(chainedHandle)?.subtasks.length, 2);
    assert.equal(finalOf(unchainedHandle)?.subtasks.length, 10);
  });
});

describe('processing-time timers with a manual clock', () => {
  type Out = { kind: 'element'; n: number } | { kind: 'timer'; key: number; timestamp: number; ctxTimestamp: number; now: number; count: number };

  it('fire in timestamp order, once per key and timestamp, with the right current key and state, when the clock reaches them', async () => {
    const name = uniqueJobName('ops-timers');
    const clock = new ManualClock(0);
    const printed: Out[] = [];
    // One number per millisecond of the manual clock: n is emitted when the clock reads n.
    const handle = await run(job(name, (env) => {
      const out = env.fromSource(sources.sequence({ from: 0, to: 300, ratePerSecond: 1000 }))
        .keyBy((n) => n % 3)
        .process<Out>({
          processElement(n, ctx, collector) {
            const count = ctx.getState<number>('count', { defaultValue: 0 });
            count.update(count.value()! + 1);
            if (n < 30) {
              // Registered again by every record of the key: must still fire once.
              ctx.timerService.registerProcessingTimeTimer(100 - 10 * (n % 3));
              ctx.timerService.registerProcessingTimeTimer(200);
            }
            collector.collect({ kind: 'element', n });
          },
          onTimer(timestamp, ctx, collector) {
            collector.collect({
              kind: 'timer', key: ctx.getCurrentKey(), timestamp, ctxTimestamp: ctx.timestamp()!,
              now: ctx.timerService.currentProcessingTime(), count: ctx.getState<number>('count', { defaultValue: 0 }).value()!,
            });
          },
        });
      out.sinkTo(sinks.print({ log: (line) => printed.push(JSON.parse(line) as Out) }));
      out.filter((o) => o.kind === 'timer').sinkTo(sinks.table('timers'));
    }), { clock });

    const elements = () => printed.filter((o) => o.kind === 'element').length;
    for (let t = 0; t < 300; t++) {
      // Every record up to the clock's time is processed before the clock moves on.
      await waitUntil(() => elements() === t + 1, `element ${t} was processed`);
      clock.advance(1);
    }
    const result = await handle.done;
    assert.equal(result.status, 'finished');

    // A timer at time ts fires when the clock reaches ts, before the record emitted at ts: it sees n < ts.
    const countBefore = (key: number, ts: number) => range(0, ts).filter((n) => n % 3 === key).length;
    const timer = (key: number, timestamp: number) => ({ kind: 'timer', key, timestamp, ctxTimestamp: timestamp, now: timestamp, count: countBefore(key, timestamp) });
    const expected = [timer(2, 80), timer(1, 90), timer(0, 100), timer(0, 200), timer(1, 200), timer(2, 200)];
    assert.deepEqual(await readTable(name, 'timers'), expected);
    assert.deepEqual(printed.filter((o) => o.kind === 'timer'), expected);
    assert.deepEqual(printed.filter((o) => o.kind === 'element').map((o) => (o as { n: number }).n), range(0, 300));
  });

  it('a deleted timer does not fire, and a timer registered from onTimer does', async () => {
    const name = uniqueJobName('ops-timers-delete');
    const clock = new ManualClock(1000);
    const printed: string[] = [];
    const handle = await run(job(name, (env) => {
      const out = env.fromSource(sources.sequence({ from: 0, to: 50, ratePerSecond: 1000 }))
        .keyBy((n) => (n % 2 === 0 ? 'even' : 'odd'))
        .process<string>({
          processElement(n, ctx, collector) {
            if (n === 0 || n === 1) {
              ctx.timerService.registerProcessingTimeTimer(1010);
              ctx.timerService.registerProcessingTimeTimer(1020);
            }
            if (n === 3) ctx.timerService.deleteProcessingTimeTimer(1010); // the odd key's
            collector.collect(`element ${n}`);
          },
          onTimer(timestamp, ctx, collector) {
            collector.collect(`timer ${ctx.getCurrentKey()}@${timestamp}`);
            if (timestamp === 1020 && ctx.getCurrentKey() === 'even') ctx.timerService.registerProcessingTimeTimer(1025);
          },
        });
      out.filter((s) => s.startsWith('element')).sinkTo(sinks.print({ log: (line) => printed.push(line) }));
      out.filter((s) => s.startsWith('timer')).sinkTo(sinks.table('timers'));
    }), { clock });
    for (let t = 0; t < 50; t++) {
      await waitUntil(() => printed.length === t + 1, `element ${t} was processed`);
      clock.advance(1);
    }
    await handle.done;
    assert.deepEqual(await readTable(name, 'timers'), ['timer even@1010', 'timer even@1020', 'timer odd@1020', 'timer even@1025']);
  });

  it('a job whose input ends with timers pending finishes without waiting for them, and they never fire', async () => {
    const name = uniqueJobName('ops-timers-pending');
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.fromElements([1, 2, 3])).keyBy((n) => n).process<string>({
        processElement(n, ctx, out) {
          ctx.timerService.registerProcessingTimeTimer(10_000 + n);
          out.collect(`element ${n}`);
        },
        onTimer(timestamp, _ctx, out) {
          fired.push(timestamp);
          out.collect(`timer ${timestamp}`);
        },
      }).sinkTo(sinks.table('out'));
    }), { clock });
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    clock.advance(20_000);
    await turns(20);
    assert.deepEqual(fired, []);
    assert.deepEqual(await readTable(name, 'out'), ['element 1', 'element 2', 'element 3']);
  });

  it('a timer that falls due after the input ended but before the job finished does not fire (Flink drops pending processing-time timers at end of input)', async () => {
    const name = uniqueJobName('ops-timers-after-end');
    const clock = new ManualClock(0);
    const storage = new GatedStorage(new MemoryCheckpointStorage());
    const printed: string[] = [];
    const handle = await run(job(name, (env) => {
      const out = env.fromSource(sources.fromElements([1, 2, 3])).keyBy((n) => n).process<string>({
        processElement(n, ctx, collector) {
          ctx.timerService.registerProcessingTimeTimer(50);
          collector.collect(`element ${n}`);
        },
        onTimer(timestamp, ctx, collector) {
          collector.collect(`timer ${ctx.getCurrentKey()}@${timestamp}`);
        },
      });
      out.sinkTo(sinks.print({ log: (line) => printed.push(line) }));
      out.sinkTo(sinks.table('out'));
    }), { clock, storage });
    // The final checkpoint is taken (every input ended) and waits on its metadata write.
    await waitUntil(() => storage.held.length > 0, 'the final checkpoint writes its metadata');
    assert.equal(handle.checkpoints().at(-1)?.final, true);
    clock.advance(100);
    await turns(20);
    storage.release();
    await handle.done;
    const table = await readTable<string>(name, 'out', { storage });
    // Whatever the semantics, the at-least-once print sink and the exactly-once table must agree.
    assert.deepEqual(multiset(printed), multiset(table), 'print and table disagree');
    assert.deepEqual(multiset(table), ['element 1', 'element 2', 'element 3']);
  });
});

/** Holds back checkpoint metadata writes until released: a checkpoint stays in flight as long as the test wants. */
class GatedStorage implements CheckpointStorage {
  readonly kind = 'gated';
  readonly held: (() => void)[] = [];
  private open = false;
  constructor(private readonly inner: CheckpointStorage) {}
  release(): void {
    this.open = true;
    for (const go of this.held.splice(0)) go();
  }
  putChunk(key: string, bytes: Uint8Array) { return this.inner.putChunk(key, bytes); }
  getChunk(key: string) { return this.inner.getChunk(key); }
  deleteChunks(keys: readonly string[]) { return this.inner.deleteChunks(keys); }
  listChunks(prefix: string) { return this.inner.listChunks(prefix); }
  async putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>): Promise<void> {
    if (!this.open && records.some((r) => r.key.includes('/checkpoints/'))) await new Promise<void>((resolve) => this.held.push(resolve));
    return this.inner.putMetadata(records);
  }
  getMetadata(key: string) { return this.inner.getMetadata(key); }
  deleteMetadata(keys: readonly string[]) { return this.inner.deleteMetadata(keys); }
  listMetadata(prefix: string) { return this.inner.listMetadata(prefix); }
}

describe('the job handle', () => {
  type Sum = { parity: number; sum: number };

  it('triggerCheckpoint resolves with a completed checkpoint that commits exactly what came before it; checkpoints() lists it; cancel ends the job', async () => {
    const name = uniqueJobName('ops-handle');
    const clock = new ManualClock(5000);
    const printed: string[] = [];
    const handle = await run(job(name, (env) => {
      const sums = env.fromSource(sources.sequence({ from: 0, ratePerSecond: 1000 }))
        .map((n): Sum => ({ parity: n % 2, sum: n }))
        .keyBy((s) => s.parity)
        .reduce((a, b) => ({ parity: a.parity, sum: a.sum + b.sum }));
      sums.sinkTo(sinks.table('sums', { key: 'parity' }));
      sums.sinkTo(sinks.table('log'));
      sums.sinkTo(sinks.print({ log: (line) => printed.push(line) }));
    }), { clock });
    assert.equal(handle.jobName, name);
    const statuses: string[] = [];
    const checkpointEvents: unknown[] = [];
    handle.on('status', (s) => statuses.push(s));
    handle.on('checkpoint', (c) => checkpointEvents.push(c));
    assert.deepEqual(handle.checkpoints(), []);

    for (let t = 0; t < 10; t++) {
      await waitUntil(() => printed.length === t + 1, `record ${t} was processed`);
      if (t < 9) clock.advance(1);
    }
    const stats = await handle.triggerCheckpoint();
    assert.equal(stats.status, 'completed');
    assert.equal(stats.id, 1);
    assert.equal(stats.final, false);
    assert.equal(stats.triggerTimestamp, 5009);
    assert.equal(stats.durationMs, 0); // the manual clock did not move
    assert.equal(stats.subtasks.length, 2); // the source chain and the keyed chain, one subtask each
    assert.ok(stats.stateSize > 0, `stateSize ${stats.stateSize}`);
    assert.equal(stats.stateSize, stats.subtasks.reduce((n, s) => n + s.stateSize, 0));
    assert.deepEqual(handle.checkpoints(), [stats]);
    assert.deepEqual(checkpointEvents, [stats]);
    assert.deepEqual(multiset(await readTable(name, 'sums')), [{ parity: 0, sum: 0 + 2 + 4 + 6 + 8 }, { parity: 1, sum: 1 + 3 + 5 + 7 + 9 }]);
    assert.equal((await readTable(name, 'log')).length, 10);

    // More records after the checkpoint are not committed until the next one.
    clock.advance(5);
    await waitUntil(() => printed.length === 15, 'records 10..14 were processed');
    assert.equal((await readTable(name, 'log')).length, 10);
    const second = await handle.triggerCheckpoint();
    assert.equal(second.id, 2);
    assert.equal((await readTable(name, 'log')).length, 15);

    await handle.cancel();
    assert.equal(handle.status(), 'cancelled');
    const result = await handle.done;
    assert.deepEqual({ ...result, durationMs: 0 }, { jobName: name, status: 'cancelled', restarts: 0, lastCheckpointId: 2, durationMs: 0 });
    assert.deepEqual(statuses, ['cancelled']);
    await assert.rejects(handle.triggerCheckpoint(), (error: unknown) => (error as { code?: string }).code === 'CHECKPOINT_DECLINED');
    // Cancelling again is a no-op; nothing after checkpoint 2 was committed.
    await handle.cancel();
    assert.equal((await readTable(name, 'log')).length, 15);
  });

  it("on('status') reports every transition of a failing job: restarting, running, …, failed", async () => {
    const name = uniqueJobName('ops-status-failing');
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.fromElements([1, 2, 3])).map((n) => {
        if (n === 2) throw new Error('two is not allowed');
        return n;
      }).uid('picky').sinkTo(sinks.table('out'));
    }), { restart: { strategy: 'fixed-delay', attempts: 2, delayMs: 0 } });
    const statuses: string[] = [];
    const restarts: number[] = [];
    handle.on('status', (s) => statuses.push(s));
    handle.on('restart', (r) => restarts.push(r.restart));
    await assert.rejects(handle.done, (error: unknown) => {
      const e = error as { code?: string; message?: string };
      assert.equal(e.code, 'USER_FUNCTION_FAILED');
      assert.match(String(e.message), /picky.*two is not allowed/);
      return true;
    });
    assert.deepEqual(statuses, ['restarting', 'running', 'restarting', 'running', 'restarting', 'failed']);
    assert.deepEqual(restarts, [1, 2]);
    assert.equal(handle.status(), 'failed');
  });

  it("on('status') of a job that runs to its end reports only 'finished', and an unsubscribed listener hears nothing", async () => {
    const name = uniqueJobName('ops-status-finishing');
    const handle = await run(job(name, (env) => env.fromSource(sources.fromElements([1])).sinkTo(sinks.table('out'))));
    const heard: string[] = [];
    const notHeard: string[] = [];
    handle.on('status', (s) => heard.push(s));
    const unsubscribe = handle.on('status', (s) => notHeard.push(s));
    unsubscribe();
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    assert.equal(result.restarts, 0);
    assert.equal(result.lastCheckpointId, 1);
    assert.deepEqual(heard, ['finished']);
    assert.deepEqual(notHeard, []);
  });

  it('sinks.print({ log, prefix }) receives every record once, tagged with the subtask when the sink runs in parallel', async () => {
    const single = uniqueJobName('ops-print-1');
    const lines1: string[] = [];
    await runToEnd(single, (env) => {
      env.fromSource(sources.fromElements<unknown>(['a', 'b'])).union(env.fromSource(sources.fromElements<unknown>([{ x: 1 }]))).sinkTo(sinks.print({ prefix: 'out> ', log: (l) => lines1.push(l) }));
    });
    assert.deepEqual(multiset(lines1), multiset(['out> a', 'out> b', 'out> {"x":1}']));

    const parallel = uniqueJobName('ops-print-2');
    const lines2: string[] = [];
    await runToEnd(parallel, (env) => {
      env.fromSource(sources.sequence({ from: 0, to: 40 })).sinkTo(sinks.print({ log: (l) => lines2.push(l) }));
    }, { parallelism: 2 });
    assert.equal(lines2.length, 40);
    const parsed = lines2.map((l) => /^([12])> (\d+)$/.exec(l));
    assert.ok(parsed.every((m) => m !== null), JSON.stringify(lines2));
    assert.deepEqual(multiset(parsed.map((m) => Number(m![2]))), multiset(range(0, 40)));
    // sequence splits by stride: subtask 1 (tag "1> ") prints the even numbers.
    assert.ok(parsed.every((m) => Number(m![2]) % 2 === Number(m![1]) - 1), JSON.stringify(lines2));
  });
});
