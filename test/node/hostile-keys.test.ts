import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openLog, readTable, run, type CheckpointStats, type JobHandle } from 'weir';
import { hostileRecords, reduceHostile, type HostileRecord } from '../support/hostile-records.js';

// Prototype pollution end to end (issue 17): records whose '__proto__', 'constructor' and
// 'prototype' keys came from JSON go through an input log in files, a job in worker_threads
// (MessageChannels, keyed reduce state in a checkpoint, a worker killed after an awaited
// checkpoint and restored) and two tables, and come back as the same plain data. No realm's
// Object.prototype learns a thing.

const KEYS = 5;
const FIRST = 40;
const SECOND = 35;

function hostileJob(name: string, log: string): URL {
  const url = new URL('./jobs/hostile-keys.job.js', import.meta.url);
  url.searchParams.set('name', name);
  url.searchParams.set('log', log);
  return url;
}

function nextCompletedCheckpoint(handle: JobHandle): Promise<void> {
  return new Promise((resolve) => {
    const off = handle.on('checkpoint', (c: CheckpointStats) => {
      if (c.status !== 'completed' || handle.status() !== 'running') return;
      off();
      resolve();
    });
  });
}

/** What the job must commit: the reduce run per key in log order, as the job's map marks it. */
function expectedRows(records: HostileRecord[]): HostileRecord[] {
  const latest = new Map<number, HostileRecord>();
  const rows: HostileRecord[] = [];
  for (const r of records) {
    const marked = { ...r, pollutedInWorker: null };
    const before = latest.get(r.id);
    const next = before === undefined ? marked : reduceHostile(before, marked);
    latest.set(r.id, next);
    rows.push(next);
  }
  return rows;
}

const byIdThenCount = (a: HostileRecord, b: HostileRecord) => a.id - b.id || a.count - b.count;

describe('records with __proto__, constructor and prototype keys, end to end', () => {
  it('stay own data through a log, workers, keyed state restored after a kill, and tables; no prototype is polluted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-hostile-'));
    const storage = { dir };
    const first = hostileRecords(0, FIRST, KEYS);
    const second = hostileRecords(FIRST, SECOND, KEYS);
    assert.equal(Object.getOwnPropertyDescriptor(first[0], '__proto__')?.enumerable, true, 'JSON.parse made __proto__ an own key');

    const log = await openLog<HostileRecord>('hostile', { storage });
    await log.append(first);
    const name = 'hostile-keys';
    const handle = await run(hostileJob(name, 'hostile'), {
      storage, parallelism: 2, checkpointing: { intervalMs: 50 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 },
    });
    // Kill a worker once a checkpoint holding the first records' reduce state completed.
    let kills = 0;
    for (;;) {
      await nextCompletedCheckpoint(handle);
      if ((await readTable(name, 'rows', { storage })).length === FIRST) break;
    }
    handle.injectFailure({ worker: 1 });
    kills++;
    await log.append(second);
    await log.end();
    const result = await handle.done;
    assert.equal(kills, 1);
    assert.equal(result.restarts, 1, 'the kill restarted the job from its checkpoint');

    const expected = expectedRows([...first, ...second]);
    const rows = (await readTable<HostileRecord>(name, 'rows', { storage })).sort(byIdThenCount);
    assert.equal(rows.length, FIRST + SECOND, 'every record once');
    assert.deepStrictEqual(rows, expected.sort(byIdThenCount));
    const latest = (await readTable<HostileRecord>(name, 'latest', { storage })).sort(byIdThenCount);
    assert.deepStrictEqual(latest, expected.filter((r) => r.count === Math.max(...expected.filter((e) => e.id === r.id).map((e) => e.count))));
    for (const row of [...rows, ...latest]) {
      assert.equal(Object.getPrototypeOf(row), Object.prototype);
      assert.ok(Object.hasOwn(row, '__proto__') && Object.hasOwn(row, 'constructor') && Object.hasOwn(row, 'prototype'), 'the hostile keys are own data');
      assert.equal((row as { polluted?: unknown }).polluted, undefined, 'the row did not inherit from its __proto__ key');
      assert.equal(row.pollutedInWorker, null, 'no worker realm was polluted');
    }
    assert.equal(({} as { polluted?: unknown }).polluted, undefined, 'this realm was not polluted');
    assert.equal((Object as unknown as { polluted?: unknown }).polluted, undefined);
  });
});
