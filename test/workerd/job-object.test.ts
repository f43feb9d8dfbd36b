// weir/cloudflare's jobObject in Miniflare's workerd: a job that lives in a Durable Object runs,
// checkpoints into the object's SQLite storage, survives resets of the object and restarts of
// the whole runtime, and a replaced runner can neither complete a checkpoint nor commit.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { bundleWorker, call, startWorker } from './support/workerd-harness.js';

const RECORDS = 20_000;
const { code, inputs } = await bundleWorker('test/workerd/fixtures/job-object-worker.ts');
const persist = await mkdtemp(join(tmpdir(), 'weir-job-object-'));
const options = { durableObjects: { COUNTING: { className: 'Counting', useSQLite: true } }, durableObjectsPersist: persist };
let mf: Miniflare = startWorker(code, options);
after(async () => {
  await mf.dispose();
  await rm(persist, { recursive: true, force: true });
});

interface Status {
  job: string;
  status: string;
  restarts: number;
  latestCheckpoint: { id: number } | null;
  restoredFrom: number | null;
  skipped: { checkpointId: number; reason: string }[];
  error?: { code: string; message: string };
}
const status = async (object: string) => (await call(mf, `/o/${object}/status`)).json<Status>();

/** Polls the object's status until `done` holds (each poll is a request: it also resumes a reset object). */
async function until(object: string, done: (s: Status) => boolean, what: string): Promise<Status> {
  let s: Status | undefined;
  for (let i = 0; i < 300; i++) {
    s = await status(object);
    if (done(s)) return s;
    if (s.status === 'failed') assert.fail(`${object} failed while waiting for ${what}: ${JSON.stringify(s.error)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`${object}: ${what} did not happen (last status: ${JSON.stringify(s)})`);
}

const table = async <T>(object: string, name: string) => (await call(mf, `/o/${object}/tables/${name}`)).json<T[]>();

/**
 * The jobs read only records below `allowed` (fixtures/job-object-worker.ts): closed at half, a
 * job cannot finish, so a fault injected after an awaited checkpoint lands mid-stream.
 */
async function setGate(allowed: number): Promise<void> {
  assert.equal((await call(mf, `/test/gate?allowed=${allowed}`, { method: 'POST' })).json<{ allowed: number }>().allowed, allowed);
}
const HALF = RECORDS / 2;

/** The resumed run is reading, not finished: it completes a periodic checkpoint of its own while the gate holds it (before the test opens it). */
async function awaitResumedMidStream(object: string): Promise<void> {
  await until(object, (s) => s.status === 'running' && s.latestCheckpoint !== null, 'a checkpoint of the resumed run');
  const checkpoints = (await call(mf, `/o/${object}/checkpoints`)).json<{ status: string; final: boolean }[]>();
  assert.ok(checkpoints.some((c) => c.status === 'completed' && !c.final), `the resumed run's checkpoints: ${JSON.stringify(checkpoints.map((c) => [c.status, c.final]))}`);
}

describe('jobObject in workerd: a job that lives in a Durable Object', () => {
  it('bundles weir/cloudflare as dist/cloudflare.js through the package exports', () => {
    assert.ok(inputs.includes('dist/cloudflare.js'), inputs.join(', '));
  });

  it('runs the job on the first request, serves /status, /checkpoints and /tables, and finishes with every record once', async () => {
    const done = await until('plain', (s) => s.status === 'finished', 'the job to finish');
    assert.equal(done.job, 'counting-object');
    const checkpoints = (await call(mf, '/o/plain/checkpoints')).json<{ id: number; status: string; final: boolean }[]>();
    assert.ok(checkpoints.some((c) => c.status === 'completed' && c.final), 'a final checkpoint');
    await checkExactlyOnce((_, name) => table('plain', name), 'counting-object', RECORDS, 7);
  });

  it('resumes from its latest checkpoint after the object is reset (ctx.abort()) mid-stream, every record once', async () => {
    await setGate(HALF);
    const before = await until('reset', (s) => (s.latestCheckpoint?.id ?? 0) >= 2 && s.status === 'running', 'a completed checkpoint');
    assert.equal((await call(mf, '/o/reset/test/abort', { method: 'POST' })).status, 500, 'the aborted request fails');
    // A new instance: the request resumes the job from a checkpoint the old one completed.
    const resumed = await until('reset', (s) => s.restoredFrom !== null, 'the restore');
    assert.ok(resumed.restoredFrom! >= before.latestCheckpoint!.id, `restored checkpoint ${resumed.restoredFrom}, the old instance had completed ${before.latestCheckpoint!.id}`);
    await awaitResumedMidStream('reset');
    await setGate(RECORDS);
    const done = await until('reset', (s) => s.status === 'finished', 'the resumed job to finish');
    assert.equal(done.restarts, 0, 'the resumed run did not need a restart of its own');
    await checkExactlyOnce((_, name) => table('reset', name), 'counting-object', RECORDS, 7);
  });

  it('a damaged chunk of the latest checkpoint (one byte flipped in SQLite) is passed over on resume: the job falls back, every record once', async () => {
    await setGate(HALF);
    await until('corrupt', (s) => (s.latestCheckpoint?.id ?? 0) >= 3 && s.status === 'running', 'a completed checkpoint');
    // Idle at the gate (everything below it committed): its state no longer changes.
    for (let i = 0; (await table('corrupt', 'seen')).length < HALF; i++) {
      if (i === 500) assert.fail('the job did not read up to its gate');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await call(mf, '/o/corrupt/test/corrupt-and-abort', { method: 'POST' })).status, 500, 'the aborted request fails');
    const damaged = (await call(mf, '/test/corruptions/corrupt')).json<{ checkpointId: number; chunks: string[] }>();
    assert.ok(damaged.checkpointId >= 3 && damaged.chunks.length >= 1, `damaged ${JSON.stringify(damaged)}`);
    // The new instance's restore of that checkpoint fails on the chunk's checksum: it falls back to an older one, or starts over.
    const resumed = await until('corrupt', (s) => s.skipped.some((k) => k.checkpointId === damaged.checkpointId), `checkpoint ${damaged.checkpointId} passed over`);
    assert.match(resumed.skipped.find((k) => k.checkpointId === damaged.checkpointId)!.reason, /state chunk '[^']*running-sum[^']*': .*checksum/);
    assert.ok(resumed.restarts >= 1, 'the failed restore was a failure of the run');
    await setGate(RECORDS);
    const done = await until('corrupt', (s) => s.status === 'finished', 'the job to finish');
    assert.ok(done.restoredFrom === null || done.restoredFrom < damaged.checkpointId, `restored ${done.restoredFrom}, older than the damaged ${damaged.checkpointId}`);
    await checkExactlyOnce((_, name) => table('corrupt', name), 'counting-object', RECORDS, 7);
  });

  it('re-arms an alarm that is missing, and keeps one armed while the job runs', async () => {
    await setGate(HALF); // it never finishes: the test runtime's disposal ends it
    await until('alarm', (s) => s.status === 'running', 'the job to run');
    assert.equal((await call(mf, '/o/alarm/test/delete-alarm', { method: 'POST' })).json<{ at: number | null }>().at, null);
    await status('alarm'); // the watchdog runs on every request
    const { at, now } = (await call(mf, '/o/alarm/test/alarm')).json<{ at: number | null; now: number }>();
    assert.ok(at !== null && at > now, `the alarm is armed in the future (${at} vs ${now})`);
  });

  it('a replaced runner (old epoch) completes no checkpoint and commits nothing; the new one commits every record once', async () => {
    const r = (await call(mf, '/o/stale/test/stale')).json<{ aError: { code: string; message: string } | undefined; aCompletedAfterB: number; restoredFrom: number | undefined; bStatus: string; seen: number[]; running: unknown[] }>();
    assert.equal(r.aError?.code, 'STORAGE_FENCED', `the old runner stopped fenced: ${JSON.stringify(r.aError)}`);
    assert.equal(r.aCompletedAfterB, 0, 'no checkpoint of the old runner completed after the new one claimed the job');
    assert.ok(r.restoredFrom !== undefined, 'the new runner restored the old one\'s checkpoint');
    assert.equal(r.bStatus, 'finished');
    await checkExactlyOnce(async <T>(_: string, name: string) => (name === 'seen' ? r.seen : r.running) as T[], 'stale-object', RECORDS, 7);
  });

  it('answers unknown routes with 404 and wrong methods with 405, as JSON errors', async () => {
    const missing = await call(mf, '/o/plain/nothing');
    assert.equal(missing.status, 404);
    assert.equal(missing.json<{ error: { code: string } }>().error.code, 'NOT_FOUND');
    const wrong = await call(mf, '/o/plain/status', { method: 'POST' });
    assert.equal(wrong.status, 405);
  });

  it('resumes after the whole runtime is disposed and started again on the same persist folder', async () => {
    await setGate(HALF);
    await until('restart', (s) => (s.latestCheckpoint?.id ?? 0) >= 2 && s.status === 'running', 'a completed checkpoint');
    await mf.dispose();
    mf = startWorker(code, options);
    await setGate(HALF); // a new isolate: the gate starts open
    await awaitResumedMidStream('restart');
    await setGate(RECORDS);
    const done = await until('restart', (s) => s.status === 'finished', 'the job to finish after the restart');
    assert.ok(done.restoredFrom !== null && done.restoredFrom >= 2, `resumed from a checkpoint (${done.restoredFrom})`);
    await checkExactlyOnce((_, name) => table('restart', name), 'counting-object', RECORDS, 7);
  });

  it('refuses a deploy that moves the job object from parallelism 1 to 3 (its state would be in the wrong objects), saying so', async () => {
    await mf.dispose();
    const rescaled = await bundleWorker('test/workerd/fixtures/job-object-worker.ts', { WEIR_TEST_COUNTING_PARALLELISM: '3' });
    mf = startWorker(rescaled.code, options);
    const s = await status('restart');
    assert.equal(s.status, 'failed');
    assert.equal(s.error?.code, 'STATE_MISMATCH');
    assert.match(s.error!.message, /was taken with parallelism 1, this deploy runs parallelism 3; a job object cannot move between parallelism 1 .* and more/);
    assert.equal((await table('restart', 'seen')).length, RECORDS, 'the committed table is untouched');
  });
});
