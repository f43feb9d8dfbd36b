import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createWorkerPool, readTable, run, type JobHandle } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';

// run(job, { workers: pool }): jobs take warm worker_threads from a pool and give them back when
// they end; an attempt that fails over terminates its workers (never back to the pool).

const RECORDS = 10_000;
const KEYS = 97;
const HEARTBEAT = { intervalMs: 1000, timeoutMs: 60_000 }; // no WORKER_LOST for a deploy slowed by load

function countingJob(name: string, params: Record<string, string | number> = {}): URL {
  const url = new URL('./jobs/counting.job.js', import.meta.url);
  for (const [k, v] of Object.entries({ name, records: RECORDS, keys: KEYS, ...params })) url.searchParams.set(k, String(v));
  return url;
}

/** Resolves with the first completed checkpoint's id. */
function firstCheckpoint(handle: JobHandle): Promise<number> {
  return new Promise((resolve) => {
    const off = handle.on('checkpoint', (c) => {
      if (c.status !== 'completed') return;
      off();
      resolve(c.id);
    });
  });
}

describe('a pool of warm workers', () => {
  it('jobs run one after another on the same two workers, each committing every record once', async () => {
    const pool = createWorkerPool();
    try {
      for (const name of ['pool-a', 'pool-b']) {
        const handle = await run(countingJob(name), { parallelism: 2, checkpointing: { intervalMs: 50 }, heartbeat: HEARTBEAT, workers: pool });
        assert.equal(pool.size, 2);
        assert.equal(pool.idle, 0, 'both workers run the job');
        const result = await handle.done;
        assert.equal(result.status, 'finished');
        await checkExactlyOnce(readTable, name, RECORDS, KEYS);
        assert.equal(pool.idle, 2, `after ${name} both workers wait for the next job`);
        assert.equal(pool.size, 2, 'no job started workers of its own');
      }
    } finally {
      await pool.close();
    }
    assert.equal(pool.size, 0, 'close() terminated the idle workers');
  });

  it('a job at a higher parallelism adds workers; a cancelled job gives its workers back', async () => {
    const pool = createWorkerPool();
    try {
      const first = await run(countingJob('pool-p2'), { parallelism: 2, checkpointing: { intervalMs: 50 }, heartbeat: HEARTBEAT, workers: pool });
      await first.done;
      const second = await run(countingJob('pool-p3', { holdAfter: 1_000, holdCheckpoints: 1_000_000 }), { parallelism: 3, checkpointing: { intervalMs: 50 }, heartbeat: HEARTBEAT, workers: pool });
      assert.equal(pool.size, 3, 'two warm workers and one new one');
      await firstCheckpoint(second);
      await second.cancel();
      assert.equal((await second.done).status, 'cancelled');
      assert.equal(pool.idle, 3);
      const third = await run(countingJob('pool-after-cancel'), { parallelism: 3, checkpointing: { intervalMs: 50 }, heartbeat: HEARTBEAT, workers: pool });
      assert.equal((await third.done).status, 'finished');
      await checkExactlyOnce(readTable, 'pool-after-cancel', RECORDS, KEYS);
      assert.equal(pool.size, 3);
    } finally {
      await pool.close();
    }
  });

  it('a worker killed after a checkpoint: the attempt fails over to other workers, the output is exactly once, and the killed attempt\'s workers never return', async () => {
    const pool = createWorkerPool();
    try {
      const name = 'pool-kill';
      // Each source reader holds after 2 000 records until 2 checkpoints of its attempt completed: the kill comes before the input ends.
      const handle = await run(countingJob(name, { rate: 100_000, holdAfter: 2_000, holdCheckpoints: 2 }), {
        parallelism: 2, checkpointing: { intervalMs: 30 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 }, heartbeat: HEARTBEAT, workers: pool,
      });
      await firstCheckpoint(handle);
      let kills = 0;
      handle.injectFailure({ worker: 1 });
      kills++;
      const result = await handle.done;
      assert.equal(kills, 1);
      assert.equal(result.status, 'finished');
      assert.equal(result.restarts, 1, 'the kill restarted the job, and nothing else did');
      await checkExactlyOnce(readTable, name, RECORDS, KEYS);
      // The first attempt's two workers were terminated; the second attempt's two came back.
      assert.equal(pool.size, 2);
      assert.equal(pool.idle, 2);
    } finally {
      await pool.close();
    }
  });

  it('a job that fails terminates its workers; a closed pool still runs jobs, on workers of their own', async () => {
    const pool = createWorkerPool();
    const handle = await run(countingJob('pool-fail', { poison: '100', markers: '/nonexistent/weir-pool-markers' }), {
      parallelism: 2, checkpointing: { intervalMs: 30 }, restart: { strategy: 'none' }, heartbeat: HEARTBEAT, workers: pool,
    });
    await assert.rejects(handle.done, (error: { code?: string }) => error.code === 'USER_FUNCTION_FAILED');
    assert.equal(pool.size, 0, "the failed attempt's workers were terminated");
    await pool.close();
    const late = await run(countingJob('pool-closed'), { parallelism: 2, checkpointing: { intervalMs: 50 }, heartbeat: HEARTBEAT, workers: pool });
    assert.equal((await late.done).status, 'finished');
    await checkExactlyOnce(readTable, 'pool-closed', RECORDS, KEYS);
    assert.equal(pool.size, 0, 'a closed pool keeps no worker');
  });

  it('a worker a user function holds is terminated when its job is cancelled, not kept', async () => {
    const pool = createWorkerPool();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'weir-pool-hang-'));
      const marker = join(dir, 'hung');
      const url = new URL('./jobs/hang.job.js', import.meta.url);
      for (const [k, v] of Object.entries({ name: 'pool-hang', hangAt: 1000, marker })) url.searchParams.set(k, String(v));
      const handle = await run(url, { parallelism: 2, checkpointing: false, heartbeat: HEARTBEAT, workers: pool });
      // The map writes the marker just before it loops forever: wait for that event.
      await new Promise<void>((resolve) => {
        const watcher = watch(dir, () => {
          if (!existsSync(marker)) return;
          watcher.close();
          resolve();
        });
        if (existsSync(marker)) {
          watcher.close();
          resolve();
        }
      });
      await handle.cancel();
      assert.equal((await handle.done).status, 'cancelled');
      assert.equal(pool.size, 1, 'the held worker was terminated');
      assert.equal(pool.idle, 1, 'the other one came back');
    } finally {
      await pool.close();
    }
  });

  it('refuses a workers option that is not a pool, naming it', async () => {
    await assert.rejects(run(countingJob('pool-bad'), { parallelism: 2, workers: {} as never }), (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message ?? '', /run\(job, options\)\.workers: expected a pool from createWorkerPool\(\), got/);
      return true;
    });
  });
});
