/// <reference types="mocha" />
// Operators in real Web Workers (Chromium): the browser twin of test/node/workers.test.ts. A job
// module is loaded by URL in every worker (its parameters in the URL's query: WTR compiles the .ts
// whatever the query, because its esbuild plugin picks the loader from the path alone), records
// cross MessagePorts between workers, and 'memory' storage is this page's, reached from the
// workers through the runner.
import { readTable, run, type JobHandle, type MetricsEvent, type RestartEvent } from 'weir';
import { seededRandom } from '../support/seeded-random.js';
import type { PoisonAnnouncement } from './fixtures/counting.job.ts';
import { checkExactlyOnce } from '../support/counting-pipeline.js';

const RECORDS = 100_000;
const KEYS = 97;
const runId = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** Resolves with what `promise` rejects with; fails if it resolves. */
async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`${what}: expected a rejection, but it resolved`);
}

const readMemoryTable = <T,>(jobName: string, table: string) => readTable<T>(jobName, table, { storage: 'memory' });

function countingJob(name: string, params: Record<string, string | number> = {}): URL {
  const url = new URL('./fixtures/counting.job.ts', import.meta.url);
  for (const [k, v] of Object.entries({ name, records: RECORDS, keys: KEYS, ...params })) url.searchParams.set(k, String(v));
  return url;
}

/** The bundled worker entry as this server serves it: where 'weir' (→ dist/browser.js) starts its own workers. */
const WORKER_ENTRY = new URL('/dist/weir-worker.js', location.origin);

/**
 * Listens for the job module's announcements that a poisoned record is about to throw (posted on a
 * BroadcastChannel before it throws) and keeps the records thrown so far, which the test passes to
 * every worker it starts through its name.
 */
function poisonAnnouncements(jobName: string) {
  const thrownSoFar = new Set<number>();
  const announced: number[] = [];
  const channel = new BroadcastChannel(`weir-poison-${jobName}`);
  channel.onmessage = (e: MessageEvent<PoisonAnnouncement>) => {
    if (e.data.job !== jobName) return;
    announced.push(e.data.record);
    thrownSoFar.add(e.data.record);
  };
  return { channelName: channel.name, thrownSoFar, announced, close: () => channel.close() };
}

describe('operators in Web Workers', function () {
  for (const parallelism of [2, 3]) {
    it(`parallelism ${parallelism} across workers commits every record once`, async () => {
      const name = `browser-workers-p${parallelism}-${runId}`;
      const handle = await run(countingJob(name), { parallelism, storage: 'memory', checkpointing: { intervalMs: 50 } });
      const result = await handle.done;
      assertEqual(result.status, 'finished', 'job status');
      assertEqual(result.restarts, 0, 'restarts');
      await checkExactlyOnce(readMemoryTable, name, RECORDS, KEYS);
    });
  }

  // A restart here (terminate, start fresh Web Workers, each importing the worker entry and the job
  // module, restore) takes ~300–600 ms in Chromium on 2 cores, so each of these runs 5–10 s.
  for (const seed of [1, 2]) {
    it(`seed ${seed}: ten workers killed at random moments, the committed output is the fault-free one`, async () => {
      const random = seededRandom(seed);
      const name = `browser-workers-kill-${seed}-${runId}`;
      const parallelism = 2 + (seed % 2);
      const handle = await run(countingJob(name, { rate: 100_000 }), {
        parallelism,
        storage: 'memory',
        checkpointing: { intervalMs: 20 + Math.floor(random() * 40) },
        restart: { strategy: 'fixed-delay', attempts: 1000, delayMs: 0 },
      });
      let kills = 0;
      const killer = (async () => {
        while (kills < 10 && handle.status() !== 'finished') {
          await new Promise((r) => setTimeout(r, 40 + Math.floor(random() * 160)));
          if (handle.status() === 'running') {
            handle.injectFailure({ worker: Math.floor(random() * parallelism) });
            kills++;
          }
        }
      })();
      const result = await handle.done;
      await killer;
      assertEqual(result.status, 'finished', 'job status');
      assert(kills >= 10, `ten workers were killed before the job finished (got ${kills}); the job ran long enough`);
      assert(result.restarts >= 10, `each kill restarted the job (got ${result.restarts})`);
      await checkExactlyOnce(readMemoryTable, name, RECORDS, KEYS);
    });
  }

  it('a user function that throws in one worker the first time it meets a record restarts the job, and the output is still exactly once', async () => {
    const name = `browser-workers-throw-${runId}`;
    const poisoned = [54_321, 76_543];
    // The worker entry must be where this test says, or createWorker below would start nothing useful.
    const entry = await fetch(WORKER_ENTRY);
    assert(entry.ok && /javascript/.test(entry.headers.get('content-type') ?? ''), `${WORKER_ENTRY} serves the worker entry (${entry.status} ${entry.headers.get('content-type')})`);

    // "The first time" must survive restarts, which start fresh workers: every worker is named
    // with the poisoned records that already threw, which the job module reads from self.name.
    const poison = poisonAnnouncements(name);
    let spawned = 0;
    try {
      const handle = await run(countingJob(name, { poison: poisoned.join(','), announce: poison.channelName }), {
        parallelism: 3,
        storage: 'memory',
        checkpointing: { intervalMs: 30 },
        // The delay lets the worker's announcement reach this page before the next workers are named.
        restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 50 },
        createWorker: () => {
          spawned++;
          return new Worker(WORKER_ENTRY, { type: 'module', name: JSON.stringify([...poison.thrownSoFar]) });
        },
      });
      const restarts: RestartEvent[] = [];
      handle.on('restart', (e) => restarts.push(e));
      const result = await handle.done;
      assertEqual(result.status, 'finished', 'job status');
      assert(result.restarts >= 1 && result.restarts <= poisoned.length, `one restart per poisoned record at most (got ${result.restarts})`);
      assertEqual(restarts.length, result.restarts, "'restart' events");
      assertEqual(spawned, 3 * (result.restarts + 1), 'workers started through createWorker (3 per attempt)');
      const cause = restarts[0]!.cause as { code?: string; message?: string };
      assertEqual(cause.code, 'USER_FUNCTION_FAILED', "the first restart's cause's code");
      assert(/poisoned record (54321|76543)\b/.test(cause.message ?? ''), `the cause names the poisoned record: ${cause.message}`);
      assertEqual([...poison.announced].sort(), poisoned, 'each poisoned record threw exactly once');
      await checkExactlyOnce(readMemoryTable, name, RECORDS, KEYS);
    } finally {
      poison.close();
    }
  });

  it('a user function that always throws fails the job with its error once the restart strategy gives up', async () => {
    const name = `browser-workers-throw-always-${runId}`;
    let spawned = 0;
    const handle = await run(countingJob(name, { poison: 100, poisonMode: 'always' }), {
      parallelism: 2,
      storage: 'memory',
      checkpointing: { intervalMs: 30 },
      restart: { strategy: 'fixed-delay', attempts: 2, delayMs: 0 },
      createWorker: () => {
        spawned++;
        return new Worker(WORKER_ENTRY, { type: 'module' });
      },
    });
    const error = (await rejection(handle.done, 'done')) as { code?: string; message?: string };
    assertEqual(error.code, 'USER_FUNCTION_FAILED', 'the error code');
    assert(/poisoned record 100 \(throws every time\)/.test(error.message ?? ''), `the error is the user function's: ${error.message}`);
    assertEqual(handle.status(), 'failed', 'job status');
    // Counted through createWorker rather than 'restart' events, which may fire before run() resolves (see below).
    assertEqual(spawned, 2 * 3, 'workers started: 2 per attempt, the first attempt and 2 restarts');
  });

  it("a failure while the other workers are still deploying is reported through 'restart' and 'status' events", async () => {
    // Worker 1 of the first attempt imports the job module 300 ms late, so worker 0 meets poisoned
    // record 0 (the first it reads) while the job is still deploying. The handle's listeners, added
    // as soon as run() resolves, must still see that restart.
    const name = `browser-workers-throw-deploying-${runId}`;
    const records = 2_000;
    const keys = 7;
    const poison = poisonAnnouncements(name);
    let spawned = 0;
    try {
      const handle = await run(countingJob(name, { records, keys, poison: 0, announce: poison.channelName }), {
        parallelism: 2,
        storage: 'memory',
        checkpointing: { intervalMs: 30 },
        restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 50 },
        createWorker: () => {
          const importDelayMs = spawned++ === 1 ? 300 : 0;
          return new Worker(WORKER_ENTRY, { type: 'module', name: JSON.stringify({ thrown: [...poison.thrownSoFar], importDelayMs }) });
        },
      });
      const statusAtRun = handle.status();
      const restarts: RestartEvent[] = [];
      const statuses: string[] = [];
      handle.on('restart', (e) => restarts.push(e));
      handle.on('status', (s) => statuses.push(s));
      const result = await handle.done;
      assertEqual(result.status, 'finished', 'job status');
      assertEqual(poison.announced, [0], 'poisoned record 0 threw once');
      assertEqual(result.restarts, 1, 'restarts (JobResult)');
      assertEqual(
        { restartEvents: restarts.length, statuses },
        { restartEvents: 1, statuses: ['restarting', 'running', 'finished'] },
        `events seen by listeners added as soon as run() resolved (status then: '${statusAtRun}')`,
      );
      const cause = restarts[0]!.cause as { code?: string; message?: string };
      assertEqual(cause.code, 'USER_FUNCTION_FAILED', "the restart's cause's code");
      await checkExactlyOnce(readMemoryTable, name, records, keys);
    } finally {
      poison.close();
    }
  });

  it('backpressure across workers keeps the records in flight bounded under a slow sink', async () => {
    const batchSize = 256;
    const credits = 2;
    const records = 40_000;
    const url = new URL('./fixtures/slow-sink.job.ts', import.meta.url);
    url.searchParams.set('name', `browser-slow-sink-${runId}`);
    url.searchParams.set('records', String(records));
    const handle = await run(url, {
      parallelism: 2,
      storage: 'memory',
      checkpointing: false,
      network: { batchSize, credits },
      heartbeat: { intervalMs: 20 },
      metricsIntervalMs: 20,
    });
    let maxInFlight = 0;
    let samples = 0;
    let firstSample: { at: number; received: number } | undefined;
    let lastSample = { at: 0, received: 0 };
    handle.on('metrics', (m: MetricsEvent) => {
      const emitted = m.subtasks.filter((s) => s.subtask.vertexId === 0).reduce((n, s) => n + s.recordsOut, 0);
      const received = m.subtasks.filter((s) => s.subtask.vertexId === 1).reduce((n, s) => n + s.recordsIn, 0);
      if (emitted > 0) {
        samples++;
        firstSample ??= { at: m.timestamp, received };
        lastSample = { at: m.timestamp, received };
      }
      maxInFlight = Math.max(maxInFlight, emitted - received);
    });
    const result = await handle.done;
    assertEqual(result.status, 'finished', 'job status');
    assert(samples >= 10, `metrics were sampled while the job ran (${samples})`);
    const sinkRate = (lastSample.received - firstSample!.received) / Math.max(1, lastSample.at - firstSample!.at); // records/ms, both sinks
    // 2 × 2 channels, each: the batch being filled, `credits` queued, an overdraft batch, and the batch in the sink;
    // plus the skew between the two workers' counters. Each worker answers its heartbeat only between batches, so
    // its numbers may be one heartbeat (20 ms) plus one batch of writes (256 × 20 µs ≈ 5 ms) older than the other's:
    // ≤ 25 ms of the sinks' measured throughput (two subtasks at ~20 µs a record: ~100 records/ms at most on 2 cores).
    assert(sinkRate <= 110, `the sink is the bottleneck: ≥ 20 µs a record, two subtasks (measured ${sinkRate.toFixed(1)} records/ms)`);
    const bound = 4 * (credits + 3) * batchSize + Math.ceil(25 * sinkRate);
    assert(maxInFlight <= bound, `at most ${bound} records in flight, saw ${maxInFlight}`);
  });

  it("'memory' storage is the page's: the sinks ran in workers, readTable in the page sees their rows", async () => {
    const name = `browser-workers-memory-${runId}`;
    const records = 2_000;
    const keys = 7;
    const handle: JobHandle = await run(countingJob(name, { records, keys }), { parallelism: 2, storage: 'memory', checkpointing: { intervalMs: 30 } });
    const result = await handle.done;
    assertEqual(result.status, 'finished', 'job status');
    await checkExactlyOnce(readMemoryTable, name, records, keys);
    // 'memory' is one store per realm: another worker's own store has none of it.
    const worker = new Worker(new URL('./fixtures/read-memory-table.worker.ts', import.meta.url), { type: 'module' });
    try {
      const answer = await new Promise<{ rows?: unknown[]; error?: string }>((resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(`the worker failed: ${e.message}`));
        worker.postMessage({ jobName: name, table: 'seen' });
      });
      assertEqual(answer, { rows: [] }, "the 'seen' table in a fresh worker's own 'memory' store");
    } finally {
      worker.terminate();
    }
  });
});
