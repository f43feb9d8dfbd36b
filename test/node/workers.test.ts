import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readTable, run, type MetricsEvent } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { alternatingKillMoments, FaultLog } from '../support/fault-log.js';
import { seededRandom } from '../support/seeded-random.js';

// The job runs in worker_threads: a job module loaded by URL in every worker, records crossing
// MessagePorts, 'memory' storage in this (the runner's) realm.

const RECORDS = 100_000;
const KEYS = 97;

function countingJob(name: string, params: Record<string, string | number> = {}): URL {
  const url = new URL('./jobs/counting.job.js', import.meta.url);
  for (const [k, v] of Object.entries({ name, records: RECORDS, keys: KEYS, ...params })) url.searchParams.set(k, String(v));
  return url;
}

describe('operators in worker_threads', () => {
  for (const parallelism of [2, 3]) {
    it(`parallelism ${parallelism} across workers commits every record once`, async () => {
      const name = `workers-p${parallelism}`;
      const handle = await run(countingJob(name), { parallelism, checkpointing: { intervalMs: 50 }, heartbeat: { intervalMs: 1000, timeoutMs: 60_000 } });
      const result = await handle.done;
      assert.equal(result.status, 'finished');
      assert.equal(result.restarts, 0);
      await checkExactlyOnce(readTable, name, RECORDS, KEYS);
    });
  }

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: ten workers killed after checkpoints or while replaying, each kill counted, the committed output is the fault-free one`, async (t) => {
      const random = seededRandom(seed);
      const name = `workers-kill-${seed}`;
      const parallelism = 2 + (seed % 2);
      // Each source reader holds after 2 000 records until 2 checkpoints of its attempt completed while it
      // held: an attempt's kill at its first checkpoint always comes before its input ends, and the ten
      // attempts use up at most 10 × 3 × 2 000 of the 100 000 records, however slow their deploys.
      const handle = await run(countingJob(name, { rate: 100_000, holdAfter: 2_000, holdCheckpoints: 2 }), {
        parallelism,
        checkpointing: { intervalMs: 20 + Math.floor(random() * 40) },
        restart: { strategy: 'fixed-delay', attempts: 1000, delayMs: 0 },
        // Not what this test is about: a worker whose deploy takes longer than the heartbeat timeout is
        // taken for lost (the executor counts its silence from the spawn), which a loaded machine does —
        // an extra WORKER_LOST restart that no kill caused. A long timeout keeps the count to the kills.
        heartbeat: { intervalMs: 1000, timeoutMs: 60_000 },
      });
      const log = new FaultLog(handle).killAt({ moments: alternatingKillMoments(10), worker: () => Math.floor(random() * parallelism) });
      const result = await handle.done;
      log.stop();
      assert.equal(result.status, 'finished');
      t.diagnostic(`faults ${JSON.stringify(log.faults)}; restored from ${JSON.stringify(log.restores)}; restart causes ${JSON.stringify(log.restarts.map((r) => String((r.cause as Error).message)))}`);
      assert.equal(log.mismatch(), undefined);
      assert.equal(log.kills.length, 10, `ten workers were killed before the job finished: ${JSON.stringify(log.faults)}`);
      assert.equal(result.restarts, 10, 'each kill restarted the job, and nothing else did');
      await checkExactlyOnce(readTable, name, RECORDS, KEYS);
    });
  }

  it('a user function that throws in one worker restarts the job, and the output is still exactly once', async () => {
    const name = 'workers-throw';
    const markers = mkdtempSync(join(tmpdir(), 'weir-poison-'));
    const handle = await run(countingJob(name, { poison: '54321,76543', markers }), {
      parallelism: 3,
      checkpointing: { intervalMs: 30 },
      restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 },
      heartbeat: { intervalMs: 1000, timeoutMs: 60_000 }, // no WORKER_LOST for a deploy slowed by load: the restarts are the throws'
    });
    const causes: { code?: string; message?: string }[] = [];
    handle.on('restart', (e) => causes.push(e.cause as { code?: string; message?: string }));
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    // The faults counted: each poisoned record threw once (its marker file is written just before the
    // throw), each restart was caused by a throw of another one (two thrown in one attempt share its
    // restart), and nothing else restarted the job.
    assert.deepEqual(readdirSync(markers).sort(), ['54321', '76543'], 'each poisoned record threw, once');
    assert.deepEqual(causes.map((c) => c.code), causes.map(() => 'USER_FUNCTION_FAILED'), "the restarts' causes");
    const named = causes.map((c) => /poisoned record (54321|76543)\b/.exec(c.message ?? '')?.[1]);
    assert.ok(named.every((n) => n !== undefined) && new Set(named).size === named.length, `each restart names another poisoned record: ${JSON.stringify(causes.map((c) => c.message))}`);
    assert.ok(causes.length >= 1 && causes.length <= 2, `one restart per poisoned record at most (got ${causes.length})`);
    assert.equal(result.restarts, causes.length, "restarts (JobResult) and 'restart' events");
    await checkExactlyOnce(readTable, name, RECORDS, KEYS);
  });

  it('a user function that always throws fails the job with its error once the restart strategy gives up', async () => {
    const name = 'workers-throw-always';
    const markers = join(tmpdir(), 'weir-no-such-dir-so-every-write-fails');
    const handle = await run(countingJob(name, { poison: '100', markers }), {
      parallelism: 2,
      checkpointing: { intervalMs: 30 },
      restart: { strategy: 'fixed-delay', attempts: 2, delayMs: 0 },
      heartbeat: { intervalMs: 1000, timeoutMs: 60_000 },
    });
    const restarts: unknown[] = [];
    handle.on('restart', (e) => restarts.push(e.cause));
    await assert.rejects(handle.done, (error: { code?: string; message?: string; details?: { restarts?: number } }) => {
      assert.equal(error.code, 'USER_FUNCTION_FAILED');
      assert.match(error.message ?? '', /ENOENT|no such file/);
      // Three throws counted: the first attempt's and both restarts', after which the strategy gave up.
      assert.equal(error.details?.restarts, 2, 'the error says how many restarts were tried');
      return true;
    });
    assert.equal(restarts.length, 2, "a 'restart' event per throw but the last");
    assert.equal(handle.status(), 'failed');
  });

  it('a job module that builds another graph in a worker than in the runner is refused, naming the problem', async () => {
    await assert.rejects(run(new URL('./jobs/mismatch.job.js', import.meta.url), { parallelism: 2 }), (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'INVALID_GRAPH');
      assert.match(error.message ?? '', /built a different graph in worker \d than in the runner/);
      return true;
    });
  });

  it('backpressure across workers keeps the records in flight bounded under a slow sink', async (t) => {
    const batchSize = 256;
    const credits = 2;
    // Counters shared by the runner and both workers (see jobs/slow-sink.job.ts): exact counts, no heartbeat lag.
    const shared = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
    const counters = new Int32Array(shared);
    const channel = new BroadcastChannel(`weir-slow-sink-${process.pid}`);
    channel.onmessage = (e: MessageEvent<unknown>) => {
      if (e.data === 'counters?') channel.postMessage(shared);
    };
    try {
      const url = new URL('./jobs/slow-sink.job.js', import.meta.url);
      url.searchParams.set('counters', channel.name);
      const handle = await run(url, { parallelism: 2, checkpointing: false, network: { batchSize, credits } });
      let backpressured = 0;
      handle.on('metrics', (m: MetricsEvent) => {
        backpressured = Math.max(backpressured, m.subtasks.filter((s) => s.subtask.vertexId === 0).reduce((n, s) => n + s.backpressured, 0));
      });
      const result = await handle.done;
      assert.equal(result.status, 'finished');
      const [emitted, received, maxInFlight] = [counters[0]!, counters[1]!, counters[2]!];
      assert.deepEqual({ emitted, received }, { emitted: 150_000, received: 150_000 }, 'every record counted out of the source and into the sink');
      // 2 × 2 channels, each: the batch being filled, `credits` queued, an overdraft batch, and the batch in the sink.
      const bound = 4 * (credits + 3) * batchSize;
      assert.ok(maxInFlight <= bound, `at most ${bound} records in flight, saw ${maxInFlight}`);
      // The source really was ahead of the sink (held back by credit, not slow itself): more than a batch waited for it.
      assert.ok(maxInFlight > batchSize, `the source ran ahead of the slow sink, more than a batch: ${maxInFlight} in flight at most`);
      t.diagnostic(`records in flight at most ${maxInFlight} (bound ${bound}); the sources found no credit ${backpressured} times (last heartbeat)`);
    } finally {
      channel.close();
    }
  });
});
