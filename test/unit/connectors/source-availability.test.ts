import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { job, ManualClock, readTable, run as runJob, sinks, WatermarkStrategy, type JobHandle, type Source, type SourceReader } from 'weir';
import { turns, uniqueJobName, waitUntil } from '../api/api-test-helpers.js';

// FLIP-27 availability: a reader with nothing says so with a promise, and the task polls it
// again only once that promise settles (no busy polling), however long the source stays quiet.

/** A push feed: the test pushes records; the reader hands them out and waits on a promise otherwise. */
function pushFeed() {
  const queue: number[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  let available = new Promise<void>((resolve) => (wake = resolve));
  const stats = { polls: 0, nothing: 0, emitted: 0 };
  const signal = () => {
    wake?.();
    available = new Promise<void>((resolve) => (wake = resolve));
  };
  const source: Source<number> = {
    kind: 'weir.source',
    name: 'push-feed',
    bounded: false,
    createSplits: () => [{ next: 0 }],
    createReader: (splits): SourceReader<number> => {
      let next = (splits[0]?.next as number | undefined) ?? 0;
      return {
        poll(max, emit) {
          stats.polls++;
          let n = 0;
          while (n < max && next < queue.length) {
            emit(queue[next++]!);
            n++;
            stats.emitted++;
          }
          if (n > 0) return { kind: 'more' };
          if (ended) return { kind: 'end' };
          stats.nothing++;
          return { kind: 'nothing', available };
        },
        snapshotSplits: () => [{ next }],
      };
    },
  };
  return {
    source,
    stats,
    push(...values: number[]) {
      queue.push(...values);
      signal();
    },
    end() {
      ended = true;
      signal();
    },
  };
}

/** Every job a test starts, cancelled after it: a failed assertion must not leave an unbounded job running. */
const started: JobHandle[] = [];
const run: typeof runJob = async (...args) => {
  const handle = await runJob(...args);
  started.push(handle);
  return handle;
};

describe('source availability (FLIP-27)', () => {
  afterEach(async () => {
    await Promise.all(started.splice(0).map((h) => h.cancel()));
  });

  it('a reader with nothing is not polled again until its promise settles, and a pushed record is processed at once', async () => {
    const feed = pushFeed();
    const name = uniqueJobName('availability');
    const seen: number[] = [];
    const handle = await run(job(name, (env) => {
      env.fromSource(feed.source, { uid: 'feed' }).map((n) => n * 10).sinkTo(sinks.print({ log: (line) => seen.push(Number(line)) }));
    }), { checkpointing: false });
    await waitUntil(() => feed.stats.nothing >= 1, 'the reader reported nothing');
    const pollsWhenIdle = feed.stats.polls;
    await turns(500);
    assert.equal(feed.stats.polls, pollsWhenIdle, 'no poll while the promise is pending (no busy polling)');
    for (let round = 1; round <= 5; round++) {
      const idleBefore = feed.stats.nothing;
      feed.push(round);
      await waitUntil(() => seen.length === round, `record ${round} processed`);
      // The poll after the one that emitted may come in a later scheduler turn: count from the reader's next "nothing".
      await waitUntil(() => feed.stats.nothing > idleBefore, `the reader went idle after record ${round}`);
      const polls = feed.stats.polls;
      await turns(200);
      assert.equal(feed.stats.polls, polls, `idle again after record ${round}: no polls`);
    }
    assert.deepEqual(seen, [10, 20, 30, 40, 50]);
    assert.ok(feed.stats.polls <= pollsWhenIdle + 5 * 3, `a few polls per record (got ${feed.stats.polls - pollsWhenIdle} for 5 records)`);
    feed.end();
    const result = await handle.done;
    assert.equal(result.status, 'finished');
  });

  it('checkpoints go on while a reader waits, and a restore replays from the position of the last one', async () => {
    const feed = pushFeed();
    const name = uniqueJobName('availability-checkpoint');
    const handle = await run(job(name, (env) => {
      env.fromSource(feed.source, { uid: 'feed' }).sinkTo(sinks.table('out'), { uid: 'out' });
    }), { checkpointing: false, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 } });
    feed.push(1, 2, 3);
    await waitUntil(() => feed.stats.emitted === 3, 'the reader emitted the first records');
    const first = await handle.triggerCheckpoint();
    assert.equal(first.status, 'completed');
    assert.deepEqual(await readTable(name, 'out'), [1, 2, 3]);
    feed.push(4, 5);
    await waitUntil(() => feed.stats.emitted === 5, 'the reader emitted the next records');
    handle.injectFailure(); // after an awaited checkpoint: 4 and 5 are replayed from the restored position
    await waitUntil(() => feed.stats.emitted === 7, 'the job restarted and the reader emitted 4 and 5 again');
    feed.end();
    const result = await handle.done;
    assert.equal(result.restarts, 1);
    assert.deepEqual(await readTable(name, 'out'), [1, 2, 3, 4, 5], 'every record once');
  });

  it("a reader's rejected availability promise fails the job with the source named", async () => {
    const name = uniqueJobName('availability-reject');
    const source: Source<number> = {
      kind: 'weir.source', name: 'broken', bounded: false, createSplits: () => [{}],
      createReader: () => ({
        poll: () => ({ kind: 'nothing', available: Promise.reject(new Error('the feed broke')) }),
        snapshotSplits: () => [{}],
      }),
    };
    const handle = await run(job(name, (env) => {
      env.fromSource(source, { uid: 'broken-feed' }).sinkTo(sinks.print({ log: () => {} }));
    }), { checkpointing: false, restart: { strategy: 'none' } });
    await assert.rejects(handle.done, (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'USER_FUNCTION_FAILED');
      assert.match(error.message ?? '', /broken-feed.*the feed broke/);
      return true;
    });
  });

  it('a quiet reader still goes idle on time: the idleness deadline wakes the task without any record', async () => {
    const feed = pushFeed();
    const clock = new ManualClock(0);
    const name = uniqueJobName('availability-idle');
    const handle = await run(job(name, (env) => {
      env.fromSource(feed.source, { uid: 'feed', watermarks: WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n).withIdleness(100) })
        .sinkTo(sinks.print({ log: () => {} }));
    }), { checkpointing: false, clock, metricsIntervalMs: 1_000_000 });
    feed.push(5);
    await waitUntil(() => feed.stats.nothing >= 1, 'the reader drained');
    const polls = feed.stats.polls;
    clock.advance(99);
    await turns(50);
    const beforeDeadline = feed.stats.polls;
    clock.advance(1);
    await waitUntil(() => feed.stats.polls > beforeDeadline, 'the task polled at the idleness deadline');
    assert.ok(beforeDeadline - polls <= 1, `at most one periodic-watermark poll before the deadline (got ${beforeDeadline - polls})`);
    feed.end();
    await handle.done;
  });
});
