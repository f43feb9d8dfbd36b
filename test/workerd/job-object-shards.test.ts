// A job object with parallelism 3 in Miniflare's workerd: subtask i of every vertex runs in the
// shard object `<name>:<i>`, records cross between shards over WebSockets, the coordinator object
// owns the checkpoints; a shard reset mid-checkpoint makes the job restart from the latest one.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Miniflare } from 'miniflare';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { bundleWorker, call, startWorker } from './support/workerd-harness.js';

const RECORDS = 20_000;
const { code } = await bundleWorker('test/workerd/fixtures/job-object-worker.ts');
const mf: Miniflare = startWorker(code, {
  durableObjects: {
    COUNTING: { className: 'Counting', useSQLite: true },
    COUNTING3: { className: 'Counting3', useSQLite: true },
    COUNTING_ABORT: { className: 'CountingAbort', useSQLite: true },
  },
});
after(() => mf.dispose());

interface Status {
  status: string;
  restarts: number;
  latestCheckpoint: { id: number } | null;
  restoredFrom: number | null;
  error?: { code: string; message: string };
}
const status = async (object: string) => (await call(mf, object.includes('/') ? `/${object}/status` : `/p/${object}/status`)).json<Status>();
async function until(object: string, done: (s: Status) => boolean, what: string): Promise<Status> {
  for (let i = 0; i < 3000; i++) {
    const s = await status(object);
    if (done(s)) return s;
    if (s.status === 'failed') assert.fail(`${object} failed while waiting for ${what}: ${JSON.stringify(s.error)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`${object}: ${what} did not happen`);
}
const table = async <T>(object: string, name: string) => (await call(mf, `/p/${object}/tables/${name}`)).json<T[]>();

describe('jobObject with parallelism 3: shard objects', () => {
  it('runs subtask i of every vertex in shard object <name>:<i> and commits every record once', async () => {
    await until('sharded', (s) => s.status === 'finished', 'the job to finish');
    const checkpoints = (await call(mf, '/p/sharded/checkpoints')).json<{ status: string; subtasks: { subtask: { subtaskIndex: number } }[] }[]>();
    const completed = checkpoints.find((c) => c.status === 'completed')!;
    assert.deepEqual([...new Set(completed.subtasks.map((s) => s.subtask.subtaskIndex))].sort(), [0, 1, 2], 'subtasks 0, 1 and 2 acked');
    await checkExactlyOnce((_, name) => table('sharded', name), 'counting-shards', RECORDS, 7);
  });

  it('a shard object reset (ctx.abort()) in the middle of a checkpoint makes the job restart from the latest checkpoint; every record once', async () => {
    const done = await until('q/aborted', (s) => s.status === 'finished', 'the job to finish');
    const { resets, shard1Instances } = (await call(mf, '/q/aborted/test/resets')).json<{ resets: number; shard1Instances: number }>();
    assert.equal(resets, 1, 'shard 1 was reset once');
    assert.equal(shard1Instances, 2, 'the reset replaced the instance of shard object 1: the restart ran on a new one');
    assert.ok(done.restarts >= 1, `the job restarted (${JSON.stringify(done)})`);
    assert.ok(done.restoredFrom !== null && done.restoredFrom >= 1, `and restored a checkpoint completed before the reset (${done.restoredFrom})`);
    await checkExactlyOnce(async <T>(_: string, name: string) => (await call(mf, `/q/aborted/tables/${name}`)).json<T[]>(), 'counting-abort', RECORDS, 7);
  });

  it('every call carries the epoch: a shard refuses an older coordinator (storage, deploy, heartbeat), a coordinator any other epoch', async () => {
    assert.deepEqual((await call(mf, '/test/fencing')).json(), {
      prepare5: 'ok', put4: 'STORAGE_FENCED', prepare4: 'STORAGE_FENCED', heartbeat4: 'WORKER_LOST',
      put6: 'ok', put5: 'STORAGE_FENCED', stored: JSON.stringify(['newer']),
      coordinatorStorage0: 'STORAGE_FENCED', coordinatorReport0: 'STORAGE_FENCED', coordinatorStored: 'ok', coordinatorStray: 'undefined',
    });
  });

  it('a coordinator reset (ctx.abort()) mid-stream: the new instance claims the next epoch, redeploys the shards and resumes; every record once', async () => {
    // Half the input until the new instance has restored: the job cannot finish before the reset.
    assert.equal((await call(mf, `/test/gate?allowed=${RECORDS / 2}`, { method: 'POST' })).status, 200);
    const before = await until('coordinator-reset', (s) => (s.latestCheckpoint?.id ?? 0) >= 2 && s.status === 'running', 'a completed checkpoint');
    assert.equal((await call(mf, '/p/coordinator-reset/test/abort', { method: 'POST' })).status, 500, 'the aborted request fails');
    const resumed = await until('coordinator-reset', (s) => s.restoredFrom !== null, 'the restore');
    assert.ok(resumed.restoredFrom! >= before.latestCheckpoint!.id, `restored checkpoint ${resumed.restoredFrom}, the old instance had completed ${before.latestCheckpoint!.id}`);
    assert.equal((await call(mf, `/test/gate?allowed=${RECORDS}`, { method: 'POST' })).status, 200);
    await until('coordinator-reset', (s) => s.status === 'finished', 'the resumed job to finish');
    await checkExactlyOnce((_, name) => table('coordinator-reset', name), 'counting-shards', RECORDS, 7);
  });
});
