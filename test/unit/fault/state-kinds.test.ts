import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, ManualClock, readTable, run, sinks, sources, type JobHandle, type Sink, type Source } from 'weir';
import { advanceUntilSettled } from '../../support/clock-steps.js';
import { FaultLog, killMoments } from '../../support/fault-log.js';
import { holdUntilCheckpoints } from '../../support/held-source.js';
import { seededRandom } from '../../support/seeded-random.js';

// AggregatingState and operator state (split and union lists) under faults: kills after awaited
// checkpoints (counted), and restores at another parallelism. In-process, so the user functions
// can report what they restored into this test's arrays.

describe('AggregatingState under faults', () => {
  const RECORDS = 30_000;
  const KEYS = 61;
  type Stats = { key: number; count: number; sum: number; sumOfSquares: number; mean: number };
  const statsOf = (key: number, acc: { n: number; s: number; q: number }): Stats => ({ key, count: acc.n, sum: acc.s, sumOfSquares: acc.q, mean: acc.s / acc.n });

  function statsJob(name: string, hold?: { after: number; checkpoints: number }) {
    const numbers = sources.sequence({ from: 0, to: RECORDS });
    return job(name, (env) => {
      env.fromSource(hold === undefined ? numbers : holdUntilCheckpoints(numbers, hold), { uid: 'numbers' })
        .keyBy((n) => n % KEYS)
        .process<Stats>({
          processElement(n, ctx, out) {
            const stats = ctx.getAggregatingState('stats', {
              create: () => ({ n: 0, s: 0, q: 0 }),
              add: (acc: { n: number; s: number; q: number }, v: number) => ({ n: acc.n + 1, s: acc.s + v, q: acc.q + v * v }),
              result: (acc) => statsOf(ctx.getCurrentKey(), acc),
            });
            stats.add(n);
            out.collect(stats.get()!);
          },
        })
        .uid('stats')
        .sinkTo(sinks.table('stats', { key: 'key' }), { uid: 'stats-table' });
    });
  }

  /** What a fault-free run must end with, computed from the input. */
  function reference(): Stats[] {
    const acc = Array.from({ length: KEYS }, () => ({ n: 0, s: 0, q: 0 }));
    for (let n = 0; n < RECORDS; n++) {
      const a = acc[n % KEYS]!;
      a.n++;
      a.s += n;
      a.q += n * n;
    }
    return acc.map((a, key) => statsOf(key, a));
  }
  const sorted = (rows: Stats[]) => [...rows].sort((a, b) => a.key - b.key);

  it('a fault-free run ends with every key aggregated exactly', async () => {
    const name = `agg-fault-free-${process.pid}`;
    const result = await (await run(statsJob(name), { parallelism: 2, checkpointing: { intervalMs: 20 } })).done;
    assert.equal(result.status, 'finished');
    assert.deepEqual(sorted(await readTable<Stats>(name, 'stats')), reference());
  });

  for (const seed of [3, 8]) {
    it(`seed ${seed}: kills after awaited checkpoints, each counted, end with the fault-free aggregates`, async () => {
      const random = seededRandom(seed);
      const name = `agg-faults-${seed}-${process.pid}`;
      const handle = await run(statsJob(name, { after: 4_000, checkpoints: 3 }), {
        parallelism: 1 + (seed % 3),
        checkpointing: { intervalMs: 10 + Math.floor(random() * 20) },
        restart: { strategy: 'fixed-delay', attempts: 100, delayMs: 0 },
      });
      const log = new FaultLog(handle).killAt({ moments: killMoments(random, 3) });
      const result = await handle.done;
      log.stop();
      assert.equal(result.status, 'finished');
      assert.equal(log.kills.length, 3, `three kills injected: ${JSON.stringify(log.faults)}`);
      assert.equal(result.restarts, 3);
      assert.equal(log.mismatch(), undefined);
      assert.deepEqual(sorted(await readTable<Stats>(name, 'stats')), reference());
    });
  }
});

describe('operator state through a kill and a rescale', () => {
  const RECORDS = 12_000;
  /** What each open (of a process function, a sink writer, a source reader) found restored. */
  interface Opened {
    readonly who: 'process' | 'sink' | 'source';
    readonly run: number;
    readonly subtask: number;
    readonly parallelism: number;
    readonly split: number[];
    readonly union: string[];
  }

  /** A sink that keeps what it wrote in a split list (at least once: no committer). */
  const recordingSink = (opened: Opened[], runNo: () => number): Sink<number> => ({
    kind: 'weir.sink', name: 'recording', guarantee: 'at-least-once',
    createWriter(ctx) {
      const written = ctx.getOperatorListState<number>('written');
      const union = ctx.getUnionListState<string>('writers');
      opened.push({ who: 'sink', run: runNo(), subtask: ctx.subtaskIndex, parallelism: ctx.parallelism, split: written.get(), union: union.get() });
      union.update([`w${ctx.subtaskIndex}/${ctx.parallelism}`]);
      return { write: (n) => written.add(n), prepareCommit: () => undefined };
    },
  });

  /** The sequence, its readers marking themselves in a union list. */
  const markingSource = (inner: Source<number>, opened: Opened[], runNo: () => number): Source<number> => ({
    ...inner,
    createReader(splits, ctx) {
      const union = ctx.getUnionListState<string>('readers');
      opened.push({ who: 'source', run: runNo(), subtask: ctx.subtaskIndex, parallelism: ctx.parallelism, split: [], union: union.get() });
      union.update([`r${ctx.subtaskIndex}/${ctx.parallelism}`]);
      return inner.createReader(splits, ctx);
    },
  });

  function listsJob(name: string, opened: Opened[], runNo: () => number, hold: boolean, processed: number[] = []) {
    const numbers = sources.sequence({ from: 0, to: RECORDS });
    return job(name, (env) => {
      const seen = env.fromSource(markingSource(hold ? holdUntilCheckpoints(numbers, { after: 1_500, checkpoints: Infinity }) : numbers, opened, runNo), { uid: 'numbers' })
        .process<number>({
          open(ctx) {
            const union = ctx.getUnionListState<string>('members');
            opened.push({
              who: 'process', run: runNo(), subtask: ctx.subtaskIndex, parallelism: ctx.parallelism,
              split: ctx.getOperatorListState<number>('seen').get(), union: union.get(),
            });
            // Flink's union-state idiom: read everything, keep only this subtask's own part.
            union.update([`p${ctx.subtaskIndex}/${ctx.parallelism}`]);
          },
          processElement(n, ctx, out) {
            processed.push(n);
            ctx.getOperatorListState<number>('seen').add(n);
            out.collect(n);
          },
        })
        .uid('seen');
      seen.sinkTo(sinks.table('out'), { uid: 'out' });
      seen.sinkTo(recordingSink(opened, runNo), { uid: 'recording' });
    });
  }

  const onNext = (handle: JobHandle, event: 'restore') => new Promise<void>((resolve) => {
    const off = handle.on(event, () => {
      off();
      resolve();
    });
  });

  for (const [from, to] of [[2, 3], [3, 2]] as const) {
    it(`split lists give every element to one subtask, union lists every element to every subtask: ${from} → kill → ${to}`, async () => {
      const name = `op-lists-${from}-${to}-${process.pid}`;
      const opened: Opened[] = [];
      let runNo = 1;
      const first = await run(listsJob(name, opened, () => runNo, true), {
        parallelism: from, checkpointing: { intervalMs: 15 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 },
      });
      const log = new FaultLog(first).killAt({ moments: [{ checkpoint: 0 }] });
      const restored = onNext(first, 'restore');
      await restored; // the first deploy's
      await onNext(first, 'restore'); // after the kill
      await first.triggerCheckpoint();
      await first.cancel();
      log.stop();
      assert.equal(log.kills.length, 1);
      assert.equal(log.restarts.length, 1);
      assert.equal(log.mismatch(), undefined);
      const committed = (await readTable<number>(name, 'out')).sort((a, b) => a - b);
      assert.ok(committed.length > 0 && committed.length < RECORDS, `the first run committed part of the input (${committed.length})`);

      runNo = 2;
      const processedAfter: number[] = [];
      const second = await run(listsJob(name, opened, () => runNo, false, processedAfter), { parallelism: to, checkpointing: { intervalMs: 15 } });
      assert.equal((await second.done).status, 'finished');

      // The restore after the kill, at the same parallelism, found every member of the attempt before.
      for (const who of ['process', 'sink', 'source'] as const) {
        const prefix = { process: 'p', sink: 'w', source: 'r' }[who];
        const members = (p: number) => Array.from({ length: p }, (_, i) => `${prefix}${i}/${p}`).sort();
        const afterKill = opened.filter((o) => o.who === who && o.run === 1 && o.union.length > 0);
        assert.equal(afterKill.length, from, `${who}: every subtask restored after the kill`);
        for (const o of afterKill) assert.deepEqual([...o.union].sort(), members(from), `${who} subtask ${o.subtask} after the kill`);
        // At the new parallelism: every subtask got the whole union list.
        const rescaled = opened.filter((o) => o.who === who && o.run === 2);
        assert.equal(rescaled.length, to);
        for (const o of rescaled) {
          assert.equal(o.parallelism, to);
          assert.deepEqual([...o.union].sort(), members(from), `${who} subtask ${o.subtask} at parallelism ${to}`);
        }
        if (who === 'source') continue;
        // Split lists: what the restored checkpoint held, each element at exactly one subtask, evenly. The
        // checkpoint restored may be newer than the commits read above (one can complete just before
        // cancel() and commit at the restore), so its content is checked against what the second run did:
        // together, every record exactly once; and it holds at least what was committed.
        const split = rescaled.flatMap((o) => o.split).sort((a, b) => a - b);
        const whole = [...split, ...processedAfter].sort((a, b) => a - b);
        assert.deepEqual(whole, Array.from({ length: RECORDS }, (_, i) => i), `${who}: the split list's elements and the records processed after the restore, each once`);
        const inSplit = new Set(split);
        assert.ok(committed.every((n) => inSplit.has(n)), `${who}: the split list holds every record committed before the restore`);
        const sizes = rescaled.map((o) => o.split.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${who}: dealt evenly (${sizes.join(', ')})`);
      }
      const out = (await readTable<number>(name, 'out')).sort((a, b) => a - b);
      assert.deepEqual(out, Array.from({ length: RECORDS }, (_, i) => i), 'every record once across both runs');
    });
  }
});

describe('state time-to-live in a running job', () => {
  it('on the job\'s ManualClock, across a kill: a value is seen exactly while younger than ttlMs, list elements one by one', async () => {
    const TTL = 5;
    const RECORDS = 3_000;
    const name = `ttl-job-${process.pid}`;
    type Seen = { key: string; now: number; prev: number | null; recent: number[] };
    const clock = new ManualClock(0);
    const handle = await run(job(name, (env) => {
      // 10 records per clock-ms: every key gets records closer and farther apart than the TTL.
      env.fromSource(holdUntilCheckpoints(sources.sequence({ from: 0, to: RECORDS, ratePerSecond: 10_000 }), { after: 600, checkpoints: 2 }), { uid: 'numbers' })
        .keyBy((n) => (n % 97 === 0 ? 'rare' : `k${n % 3}`))
        .process<Seen>((n, ctx, out) => {
          const now = ctx.timerService.currentProcessingTime();
          const last = ctx.getState<number>('last', { ttlMs: TTL });
          const recent = ctx.getListState<number>('recent', { ttlMs: TTL });
          out.collect({ key: ctx.getCurrentKey(), now, prev: last.value() ?? null, recent: recent.get() });
          last.update(now);
          recent.add(now);
        })
        .uid('ttl')
        .sinkTo(sinks.table('seen'), { uid: 'seen' });
    }), { parallelism: 1, checkpointing: { intervalMs: 20 }, clock, restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 0 } });
    const log = new FaultLog(handle).killAt({ moments: [{ checkpoint: 0 }] });
    await advanceUntilSettled(clock, handle.done, 1);
    log.stop();
    assert.equal((await handle.done).status, 'finished');
    assert.equal(log.kills.length, 1);
    assert.equal(log.mismatch(), undefined);
    const rows = await readTable<Seen>(name, 'seen');
    assert.equal(rows.length, RECORDS);
    // Per key, in the order processed (one subtask: commit order): what each record saw follows from the writes before it.
    const writes = new Map<string, number[]>();
    let expired = 0;
    for (const r of rows) {
      const before = writes.get(r.key) ?? [];
      const last = before.at(-1);
      const live = last !== undefined && r.now - last < TTL;
      if (last !== undefined && !live) expired++;
      assert.equal(r.prev, live ? last : null, `${r.key} at ${r.now}: the last write (${last}) is ${live ? 'live' : 'expired or absent'}`);
      assert.deepEqual(r.recent, before.filter((t) => r.now - t < TTL), `${r.key} at ${r.now}: the list holds the elements younger than ${TTL} ms`);
      before.push(r.now);
      writes.set(r.key, before);
    }
    assert.ok(expired > 0, 'some values expired between their key\'s records');
  });
});
