import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openLog, readTable, run, type CheckpointStats, type JobHandle } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { seededRandom } from '../support/seeded-random.js';

// Input logs in files, read by jobs in worker_threads that are killed after awaited checkpoints,
// and appended to by several processes at once (some of them SIGKILLed mid-stream).

const KEYS = 97;
const appender = fileURLToPath(new URL('./jobs/log-appender.main.js', import.meta.url));

function logJob(name: string, log: string, partitions: number): URL {
  const url = new URL('./jobs/log-counting.job.js', import.meta.url);
  for (const [k, v] of Object.entries({ name, log, partitions, keys: KEYS })) url.searchParams.set(k, String(v));
  return url;
}

interface Acknowledged { first: number; count: number; partition: number; offsets: number[] }

/** Runs an appender process; resolves with the appends it acknowledged (printed) before it exited or was killed after `killAfter` of them. */
function runAppender(dir: string, log: string, from: number, to: number, per: number, killAfter = Infinity): Promise<Acknowledged[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [appender, dir, log, String(from), String(to), String(per)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: Acknowledged[] = [];
    let pending = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('{')) acked.push(JSON.parse(line) as Acknowledged);
        if (acked.length >= killAfter) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' || code === 0 ? resolve(acked) : reject(new Error(`appender exited with ${code}: ${err}`))));
  });
}

/** Resolves on the job's next completed checkpoint (of a running attempt). */
function nextCompletedCheckpoint(handle: JobHandle): Promise<void> {
  return new Promise((resolve) => {
    const off = handle.on('checkpoint', (c: CheckpointStats) => {
      if (c.status !== 'completed' || handle.status() !== 'running') return;
      off();
      resolve();
    });
  });
}

describe('input logs in Node: files, worker_threads, several processes', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: a job in worker_threads reading a { dir } log while it is appended, workers killed after awaited checkpoints: every record once`, async () => {
      const random = seededRandom(seed);
      const dir = mkdtempSync(join(tmpdir(), 'weir-log-node-'));
      const name = `log-workers-${seed}`;
      const partitions = 2 + (seed % 2);
      const log = await openLog<number>('numbers', { storage: { dir }, partitions });
      const handle = await run(logJob(name, 'numbers', partitions), {
        storage: { dir }, parallelism: 2, checkpointing: { intervalMs: 50 }, restart: { strategy: 'fixed-delay', attempts: 100, delayMs: 0 }, heartbeat: { intervalMs: 1000, timeoutMs: 60_000 },
      });
      const RECORDS = 5000;
      let next = 0;
      let kills = 0;
      while (next < RECORDS) {
        const count = 50 + Math.floor(random() * 200);
        const records = Array.from({ length: Math.min(count, RECORDS - next) }, (_, i) => next + i);
        await log.append(records);
        next += records.length;
        if (kills < 4 && next >= (kills + 1) * (RECORDS / 5)) {
          // After an awaited checkpoint, never after a delay: the kill lands with data on both sides of it.
          await nextCompletedCheckpoint(handle);
          handle.injectFailure({ worker: Math.floor(random() * 2) });
          kills++;
        }
      }
      await log.end();
      const result = await handle.done;
      assert.equal(kills, 4, 'four workers were killed');
      assert.equal(result.restarts, 4, 'each kill restarted the job');
      await checkExactlyOnce((job, table) => readTable(job, table, { storage: { dir } }), name, RECORDS, KEYS);
    });
  }

  it('three processes append to one { dir } log at once (one SIGKILLed mid-stream): every acknowledged append is read once, offsets unique', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-log-procs-'));
    const name = 'log-processes';
    await openLog('shared', { storage: { dir } });
    const handle = await run(logJob(name, 'shared', 1), { storage: { dir }, parallelism: 2, checkpointing: { intervalMs: 50 } });
    const results = await Promise.all([
      runAppender(dir, 'shared', 0, 1500, 50),
      runAppender(dir, 'shared', 1500, 3000, 50),
      runAppender(dir, 'shared', 3000, 4500, 50, 10), // killed after its 10th acknowledged append
    ]);
    const killed = results[2]!;
    assert.ok(killed.length >= 10 && killed.length < 30, `the third appender was killed mid-stream (after ${killed.length} appends)`);
    const acked = results.flat();
    const offsets = acked.flatMap((a) => a.offsets).sort((a, b) => a - b);
    assert.equal(new Set(offsets).size, offsets.length, 'no offset was given twice');
    const log = await openLog('shared', { storage: { dir } });
    await log.end();
    await handle.done;
    const seen = await readTable<number>(name, 'seen', { storage: { dir } });
    const counts = new Map<number, number>();
    for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1);
    for (const a of acked) for (let n = a.first; n < a.first + a.count; n++) assert.equal(counts.get(n), 1, `acknowledged record ${n} read once`);
    for (const [n, c] of counts) assert.equal(c, 1, `record ${n} read once`);
    // What the killed process appended without printing the acknowledgement may be there too, but only whole appends, in order.
    assert.ok(seen.length >= acked.reduce((s, a) => s + a.count, 0));
  });
});
