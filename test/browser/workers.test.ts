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
import { alternatingKillMoments, FaultLog } from '../support/fault-log.js';

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
  // A worker named with `holdImport` waits for 'go' here (see fixtures/counting.job.ts): sent once a record threw.
  const go = new BroadcastChannel(`${channel.name}-go`);
  go.onmessage = (e: MessageEvent<unknown>) => {
    if (e.data === 'ready?' && announced.length > 0) go.postMessage('go');
  };
  channel.onmessage = (e: MessageEvent<PoisonAnnouncement>) => {
    if (e.data.job !== jobName) return;
    announced.push(e.data.record);
    thrownSoFar.add(e.data.record);
    go.postMessage('go');
  };
  return {
    channelName: channel.name, thrownSoFar, announced, close: () => {
      channel.close();
      go.close();
    },
  };
}

describe('operators in Web Workers', function () {
  for (const parallelism of [2, 3]) {
    it(`parallelism ${parallelism} across workers commits every record once`, async () => {
      const name = `browser-workers-p${parallelism}-${runId}`;
      const handle = await run(countingJob(name), { parallelism, storage: 'memory', checkpointing: { intervalMs: 50 }, heartbeat: { intervalMs: 1000, timeoutMs: 60_000 } });
      const result = await handle.done;
      assertEqual(result.status, 'finished', 'job status');
      assertEqual(result.restarts, 0, 'restarts');
      await checkExactlyOnce(readMemoryTable, name, RECORDS, KEYS);
    });
  }

  // A restart here (terminate, start fresh Web Workers, each importing the worker entry and the job
  // module, restore) takes ~300–600 ms in Chromium on 2 cores, so each of these runs 5–10 s.
  for (const seed of [1, 2]) {
    it(`seed ${seed}: ten workers killed after checkpoints or while replaying, each kill counted, the committed output is the fault-free one`, async () => {
      const random = seededRandom(seed);
      const name = `browser-workers-kill-${seed}-${runId}`;
      const parallelism = 2 + (seed % 2);
      // Each source reader holds after 2 000 records until 2 checkpoints of its attempt completed while it
      // held: an attempt's kill at its first checkpoint always comes before its input ends, and the ten
      // attempts use up at most 10 × 3 × 2 000 of the 100 000 records, however slow their deploys.
      const handle = await run(countingJob(name, { rate: 100_000, holdAfter: 2_000, holdCheckpoints: 2 }), {
        parallelism,
        storage: 'memory',
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
      assertEqual(result.status, 'finished', 'job status');
      assertEqual(log.kills.length, 10, `workers killed before the job finished (${JSON.stringify(log.faults)})`);
      assertEqual(log.mismatch(), undefined, 'how the restarts differ from the kills');
      assertEqual(result.restarts, 10, 'restarts: one per kill, and nothing else');
      await checkExactlyOnce(readMemoryTable, name, RECORDS, KEYS);
    });
  }

  it('a user function that throws in one worker the first time it meets a record restarts the job, and the output is still exactly once', async () => {
    const name = `browser-workers-throw-${runId}`;
    // Both in split 0 of 3 (≡ 0 mod 3), which one reader reads in order: the second can be met only in an
    // attempt after the first threw, whose 'restart' event names it before the next workers start. Two
    // records of two splits could throw in one attempt, and the second's announcement could reach the
    // page after the next workers were named (it threw twice once, under load).
    const poisoned = [54_321, 76_542];
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
        // No delay: the 'restart' event, which comes before the next workers are started, names the
        // record that threw (its cause), so they are named with it (below) however late the announcement.
        restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 },
        heartbeat: { intervalMs: 1000, timeoutMs: 60_000 }, // no WORKER_LOST for a deploy slowed by load: the restarts are the throws'
        createWorker: () => {
          spawned++;
          return new Worker(WORKER_ENTRY, { type: 'module', name: JSON.stringify([...poison.thrownSoFar]) });
        },
      });
      const restarts: RestartEvent[] = [];
      handle.on('restart', (e) => {
        restarts.push(e);
        const record = /poisoned record (\d+)\b/.exec((e.cause as { message?: string }).message ?? '')?.[1];
        if (record !== undefined) poison.thrownSoFar.add(Number(record));
      });
      const result = await handle.done;
      assertEqual(result.status, 'finished', 'job status');
      assertEqual([...poison.announced].sort(), poisoned, 'each poisoned record threw exactly once');
      // The faults counted: each restart was caused by a throw of a different poisoned record (two
      // thrown in one attempt share its restart), and nothing else restarted the job.
      const causes = restarts.map((r) => r.cause as { code?: string; message?: string });
      assertEqual(causes.map((c) => c.code), causes.map(() => 'USER_FUNCTION_FAILED'), "the restarts' causes' codes");
      const named = causes.map((c) => Number(/poisoned record (\d+)\b/.exec(c.message ?? '')?.[1]));
      assert(named.every((n) => poisoned.includes(n)) && new Set(named).size === named.length, `each restart names another poisoned record: ${JSON.stringify(causes.map((c) => c.message))}`);
      assert(restarts.length >= 1 && restarts.length <= poisoned.length, `one restart per poisoned record at most (got ${restarts.length})`);
      assertEqual(result.restarts, restarts.length, "restarts (JobResult) and 'restart' events");
      assertEqual(spawned, 3 * (result.restarts + 1), 'workers started through createWorker (3 per attempt)');
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
      heartbeat: { intervalMs: 1000, timeoutMs: 60_000 }, // no WORKER_LOST for a deploy slowed by load: the restarts are the throws'
      createWorker: () => {
        spawned++;
        return new Worker(WORKER_ENTRY, { type: 'module' });
      },
    });
    const error = (await rejection(handle.done, 'done')) as { code?: string; message?: string; details?: { restarts?: number } };
    assertEqual(error.code, 'USER_FUNCTION_FAILED', 'the error code');
    assertEqual(error.details?.restarts, 2, 'restarts tried before the strategy gave up (the error says)');
    assert(/poisoned record 100 \(throws every time\)/.test(error.message ?? ''), `the error is the user function's: ${error.message}`);
    assertEqual(handle.status(), 'failed', 'job status');
    // Counted through createWorker rather than 'restart' events, which may fire before run() resolves (see below).
    assertEqual(spawned, 2 * 3, 'workers started: 2 per attempt, the first attempt and 2 restarts');
  });

  it("a failure while the other workers are still deploying is reported through 'restart' and 'status' events", async () => {
    // Worker 1 of the first attempt finishes importing the job module only once worker 0 met
    // poisoned record 0 (the first it reads) and threw: so the failure comes while the job is still
    // deploying, however loaded the machine. The handle's listeners, added as soon as run() resolves,
    // must still see that restart.
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
        restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 0 },
        heartbeat: { intervalMs: 1000, timeoutMs: 60_000 }, // no WORKER_LOST for a deploy slowed by load: the restarts are the throws'
        createWorker: () => {
          const holdImport = spawned++ === 1;
          return new Worker(WORKER_ENTRY, { type: 'module', name: JSON.stringify({ thrown: [...poison.thrownSoFar], holdImport }) });
        },
      });
      const statusAtRun = handle.status();
      const restarts: RestartEvent[] = [];
      const statuses: string[] = [];
      handle.on('restart', (e) => {
        restarts.push(e);
        // The cause names the record that threw: the next workers are named with it, announced or not yet.
        const record = /poisoned record (\d+)\b/.exec((e.cause as { message?: string }).message ?? '')?.[1];
        if (record !== undefined) poison.thrownSoFar.add(Number(record));
      });
      handle.on('status', (s) => statuses.push(s));
      const result = await handle.done;
      assertEqual(result.status, 'finished', 'job status');
      assertEqual(poison.announced, [0], 'poisoned record 0 threw once');
      assertEqual(result.restarts, 1, 'restarts (JobResult)');
      assertEqual(spawned, 2 * 2, 'workers started: 2 for the first attempt and 2 for the restart');
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

  it('backpressure across workers keeps the records queued at the slow sinks bounded, and holds the sources back', async () => {
    // A page that is not cross-origin isolated has no SharedArrayBuffer, so records in flight between
    // workers cannot be counted at one instant (test/node/workers.test.ts does, in worker_threads), and
    // two workers' heartbeats are taken at different moments. What is exact: each worker's own counts,
    // taken at one moment in that worker. A sink subtask's input queue holds what the senders sent and
    // it has not consumed: per channel, at most `credits` batches and an overdraft (each message is one
    // batch or one event), whatever the timing — without credit it would grow with the input.
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
    let maxQueued = 0;
    let sampled = 0;
    let backpressured = 0;
    let sinkIn = 0;
    handle.on('metrics', (m: MetricsEvent) => {
      const sinks = m.subtasks.filter((s) => s.subtask.vertexId === 1);
      if (sinks.length > 0) sampled++;
      for (const s of sinks) maxQueued = Math.max(maxQueued, s.queued);
      sinkIn = Math.max(sinkIn, sinks.reduce((n, s) => n + s.recordsIn, 0));
      backpressured = Math.max(backpressured, m.subtasks.filter((s) => s.subtask.vertexId === 0).reduce((n, s) => n + s.backpressured, 0));
    });
    const result = await handle.done;
    assertEqual(result.status, 'finished', 'job status');
    assert(sampled > 0 && sinkIn > 0, `the sinks' counts were sampled while the job ran (${sampled} samples, ${sinkIn} records in)`);
    // Two input channels per sink subtask (one from each source subtask), each holding no more than the
    // documented (credits + 3) batches in flight (docs/decisions.md, Backpressure), events included.
    const bound = 2 * (credits + 3);
    console.log(`backpressure across Web Workers: at most ${maxQueued} messages queued at a sink subtask (bound ${bound}); sources without credit ${backpressured} times`);
    assert(maxQueued <= bound, `at most ${bound} messages queued at a sink subtask, saw ${maxQueued}`);
    // The sources were held back: they found their outputs without credit.
    assert(backpressured > 0, `the sources found no credit at some point (${backpressured})`);
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
