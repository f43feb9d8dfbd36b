import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readTable, run, type JobHandle, type MetricsEvent } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
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
      const handle = await run(countingJob(name), { parallelism, checkpointing: { intervalMs: 50 } });
      const result = await handle.done;
      assert.equal(result.status, 'finished');
      assert.equal(result.restarts, 0);
      await checkExactlyOnce(readTable, name, RECORDS, KEYS);
    });
  }

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: ten workers killed at random moments, the committed output is the fault-free one`, async () => {
      const random = seededRandom(seed);
      const name = `workers-kill-${seed}`;
      const parallelism = 2 + (seed % 2);
      const handle = await run(countingJob(name, { rate: 100_000 }), {
        parallelism,
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
      assert.equal(result.status, 'finished');
      assert.ok(kills >= 10, `ten workers were killed before the job finished (got ${kills}); the job ran long enough`);
      assert.ok(result.restarts >= 10, `each kill restarted the job (got ${result.restarts})`);
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
    });
    const causes: unknown[] = [];
    handle.on('restart', (e) => causes.push(e.cause));
    const result = await handle.done;
    assert.ok(result.restarts >= 1 && result.restarts <= 2, `one restart per poisoned record (got ${result.restarts})`);
    const first = causes[0] as { code?: string; message?: string };
    assert.equal(first.code, 'USER_FUNCTION_FAILED');
    assert.match(first.message ?? '', /poisoned record (54321|76543)/);
    await checkExactlyOnce(readTable, name, RECORDS, KEYS);
  });

  it('a user function that always throws fails the job with its error once the restart strategy gives up', async () => {
    const name = 'workers-throw-always';
    const markers = join(tmpdir(), 'weir-no-such-dir-so-every-write-fails');
    const handle = await run(countingJob(name, { poison: '100', markers }), {
      parallelism: 2,
      checkpointing: { intervalMs: 30 },
      restart: { strategy: 'fixed-delay', attempts: 2, delayMs: 0 },
    });
    await assert.rejects(handle.done, (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'USER_FUNCTION_FAILED');
      assert.match(error.message ?? '', /ENOENT|no such file/);
      return true;
    });
    assert.equal(handle.status(), 'failed');
  });

  it('a job module that builds another graph in a worker than in the runner is refused, naming the problem', async () => {
    await assert.rejects(run(new URL('./jobs/mismatch.job.js', import.meta.url), { parallelism: 2 }), (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'INVALID_GRAPH');
      assert.match(error.message ?? '', /built a different graph in worker \d than in the runner/);
      return true;
    });
  });

  it('backpressure across workers keeps the records in flight bounded under a slow sink', async () => {
    const batchSize = 256;
    const credits = 2;
    const handle = await run(new URL('./jobs/slow-sink.job.js', import.meta.url), {
      parallelism: 2,
      checkpointing: false,
      network: { batchSize, credits },
      heartbeat: { intervalMs: 20 },
      metricsIntervalMs: 20,
    });
    let maxInFlight = 0;
    let samples = 0;
    handle.on('metrics', (m: MetricsEvent) => {
      const emitted = m.subtasks.filter((s) => s.subtask.vertexId === 0).reduce((n, s) => n + s.recordsOut, 0);
      const received = m.subtasks.filter((s) => s.subtask.vertexId === 1).reduce((n, s) => n + s.recordsIn, 0);
      if (emitted > 0) samples++;
      maxInFlight = Math.max(maxInFlight, emitted - received);
    });
    await handle.done;
    // 2 × 2 channels, each: the batch being filled, `credits` queued, an overdraft batch, and the batch in the sink;
    // plus one heartbeat of skew between the two workers' counters (≤ 20 ms of a ~50 k rec/s sink).
    const bound = 4 * (credits + 3) * batchSize + 2_000;
    assert.ok(samples >= 10, `metrics were sampled while the job ran (${samples})`);
    assert.ok(maxInFlight <= bound, `at most ${bound} records in flight, saw ${maxInFlight}`);
  });
});
