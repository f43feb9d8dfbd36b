import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readTable, run, sinks, watchTable, type JobHandle, type TableUpdate } from 'weir';
import { compactTable } from '../../../src/connectors/sinks/table-compaction.js';
import { tableLayout } from '../../../src/connectors/sinks/table-layout.js';
import { isTableChanged, TABLE_CHANGED } from '../../../src/connectors/sinks/table-notices.js';
import { createNoticeHub } from '../../../src/connectors/notice-hub.js';
import { gatedSequence, type Gate } from '../../support/gated-source.js';
import { bad, namesArgument, uniqueJobName, waitUntil } from '../api/api-test-helpers.js';

// watchTable shows a table's committed output as it commits, and only output no restore can take
// back; the table's commit records are compacted into a snapshot once settled. Faults: workers
// killed after awaited checkpoints; the watcher must never see a row twice or a row taken back.

/** Checkpoints until the table holds `rows` committed rows. */
async function commitUntil(handle: JobHandle, storage: MemoryCheckpointStorage, table: string, rows: number): Promise<void> {
  for (let round = 0; (await readTable(handle.jobName, table, { storage })).length < rows; round++) {
    assert.ok(round < 500, `the table never reached ${rows} rows`);
    await handle.triggerCheckpoint();
  }
}

/** Watches a table and checks every update against what came before: nothing shown twice, nothing taken back. */
function watchChecked(name: string, table: string, storage: MemoryCheckpointStorage) {
  const seen = { updates: 0, shown: new Set<number>(), rows: [] as number[], lastCheckpoint: -1, errors: [] as unknown[] };
  const unsubscribe = watchTable<number>(name, table, (update: TableUpdate<number>) => {
    seen.updates++;
    assert.equal(update.reset, undefined, 'a watcher of a job that only restored never sees a reset');
    assert.ok(update.checkpointId >= seen.lastCheckpoint, `checkpoint ids never go backwards (${seen.lastCheckpoint} → ${update.checkpointId})`);
    seen.lastCheckpoint = update.checkpointId;
    for (const row of update.changes) {
      assert.ok(!seen.shown.has(row), `row ${row} shown twice`);
      seen.shown.add(row);
    }
    assert.equal(update.rows.length, seen.shown.size, 'rows are exactly what the changes added');
    assert.deepEqual(update.rows.slice(0, seen.rows.length), seen.rows, 'the rows shown before stay, in order');
    seen.rows = update.rows;
  }, { storage, recheckMs: 0, onError: (error) => seen.errors.push(error) });
  return { seen, unsubscribe };
}

describe('watchTable and table compaction', () => {
  it('shows every committed row exactly once across worker kills, compacts the table, and reads it whole', async () => {
    const TOTAL = 3_000;
    const ROUNDS = 60;
    const storage = new MemoryCheckpointStorage();
    const gate: Gate = { allowed: 0 };
    const name = uniqueJobName('watch-kills');
    const handle = await run(job(name, (env) => {
      env.fromSource(gatedSequence(TOTAL, gate), { uid: 'numbers' }).sinkTo(sinks.table('seen'), { uid: 'seen' });
    }), { storage, parallelism: 2, checkpointing: { intervalMs: 3_600_000, retained: 2 }, restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 } });
    const { seen, unsubscribe } = watchChecked(name, 'seen', storage);
    let kills = 0;
    let restarts = 0;
    handle.on('restart', () => void restarts++);
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        gate.allowed = Math.round((TOTAL * round) / (ROUNDS + 1));
        await commitUntil(handle, storage, 'seen', gate.allowed);
        if (round % 12 === 6) {
          const restarted = new Promise<void>((resolve) => {
            const off = handle.on('status', (status) => {
              if (status !== 'running') return;
              off();
              resolve();
            });
          });
          handle.injectFailure();
          kills++;
          await restarted;
        }
      }
      gate.allowed = TOTAL;
      assert.equal((await handle.done).status, 'finished');
      await waitUntil(() => seen.shown.size === TOTAL || seen.errors.length > 0, 'the watcher shows the whole table');
      assert.deepEqual(seen.errors, []);
      assert.equal(kills, 5);
      assert.ok(restarts >= kills, `every kill restarted the job (${restarts} restarts)`);
      assert.deepEqual([...seen.shown].sort((a, b) => a - b), Array.from({ length: TOTAL }, (_, i) => i));
      const read = (await readTable<number>(name, 'seen', { storage })).sort((a, b) => a - b);
      assert.deepEqual(read, Array.from({ length: TOTAL }, (_, i) => i), 'readTable: every row once');
      // Compacted: a snapshot record, and far fewer commit records than the transactions committed.
      const keys = await storage.listMetadata(tableLayout.prefix(name, 'seen'));
      assert.ok(keys.includes(tableLayout.snapshotKey(name, 'seen')), 'the table has a snapshot');
      const commits = keys.filter(tableLayout.isCommitKey);
      assert.ok(commits.length < 40, `settled commit records were folded (${commits.length} left)`);
      const dataChunks = await storage.listChunks(tableLayout.dataPrefix(name, 'seen'));
      assert.ok(dataChunks.length <= commits.length, `folded data chunks are deleted (${dataChunks.length} left for ${commits.length} commits)`);
    } finally {
      unsubscribe();
      await handle.cancel();
    }
  });

  it('a second watcher started late gets the whole committed content at once; unsubscribe stops updates', async () => {
    const storage = new MemoryCheckpointStorage();
    const gate: Gate = { allowed: 100 };
    const name = uniqueJobName('watch-late');
    const handle = await run(job(name, (env) => {
      env.fromSource(gatedSequence(300, gate), { uid: 'numbers' }).sinkTo(sinks.table('seen'), { uid: 'seen' });
    }), { storage, checkpointing: { intervalMs: 3_600_000, retained: 1 } });
    try {
      await commitUntil(handle, storage, 'seen', 100);
      const first: TableUpdate<number>[] = [];
      const stop = watchTable<number>(name, 'seen', (u) => first.push(u), { storage, recheckMs: 0 });
      await waitUntil(() => first.length === 1, 'the first update');
      assert.equal(first[0]!.rows.length, 100);
      assert.deepEqual(first[0]!.changes, first[0]!.rows);
      stop();
      gate.allowed = 300;
      assert.equal((await handle.done).status, 'finished');
      const late: TableUpdate<number>[] = [];
      const stopLate = watchTable<number>(name, 'seen', (u) => late.push(u), { storage, recheckMs: 0 });
      await waitUntil(() => late.length === 1, 'the late watcher\'s first update');
      stopLate();
      assert.equal(late[0]!.rows.length, 300, 'a finished job\'s table is shown whole');
      assert.equal(first.length, 1, 'an unsubscribed listener hears nothing more');
    } finally {
      await handle.cancel();
    }
  });

  it('compaction of an upsert table keeps the latest row per key, in order of latest write', async () => {
    const storage = new MemoryCheckpointStorage();
    const gate: Gate = { allowed: 0 };
    const name = uniqueJobName('watch-upsert');
    const handle = await run(job(name, (env) => {
      env.fromSource(gatedSequence(400, gate), { uid: 'numbers' })
        .map((n) => ({ key: n % 7, last: n })).uid('pairs')
        .sinkTo(sinks.table('latest', { key: 'key' }), { uid: 'latest' });
    }), { storage, checkpointing: { intervalMs: 3_600_000, retained: 1 } });
    try {
      for (let round = 1; round < 40; round++) {
        gate.allowed = round * 10;
        for (let i = 0; i < 3; i++) await handle.triggerCheckpoint();
      }
      gate.allowed = 400;
      assert.equal((await handle.done).status, 'finished');
      const keys = await storage.listMetadata(tableLayout.prefix(name, 'latest'));
      assert.ok(keys.includes(tableLayout.snapshotKey(name, 'latest')), 'compacted');
      const rows = await readTable<{ key: number; last: number }>(name, 'latest', { storage });
      assert.deepEqual(rows, [393, 394, 395, 396, 397, 398, 399].map((last) => ({ key: last % 7, last })));
    } finally {
      await handle.cancel();
    }
  });

  it('a compaction that a fenced (superseded) runner attempts changes nothing', async () => {
    const storage = new MemoryCheckpointStorage();
    const name = uniqueJobName('compact-fenced');
    const handle = await run(job(name, (env) => {
      env.fromSource(gatedSequence(50, { allowed: 50 }), { uid: 'numbers' }).sinkTo(sinks.table('seen'), { uid: 'seen' });
    }), { storage, checkpointing: { intervalMs: 3_600_000, retained: 1 } });
    assert.equal((await handle.done).status, 'finished');
    const before = await storage.listMetadata(tableLayout.prefix(name, 'seen'));
    const fence = { key: `jobs/${name}/nobody-owns-this`, equals: new Uint8Array([1]) };
    await assert.rejects(compactTable({ jobName: name, sinkUid: 'seen', storage, fence, attemptId: 'stale' }, 'seen', Number.MAX_SAFE_INTEGER, 1),
      (error: { code?: string }) => error.code === 'STORAGE_FENCED');
    assert.deepEqual(await storage.listMetadata(tableLayout.prefix(name, 'seen')), before);
    assert.equal((await readTable(name, 'seen', { storage })).length, 50);
  });

  it('cross-tab table notices: only well-formed ones are heard; the rest are counted', () => {
    const malformed: unknown[] = [null, 7, {}, { kind: 'weir.table-changed', job: 'j' }, { kind: 'weir.table-changed', job: '', table: 't' },
      { kind: 'weir.table-changed', job: 'j', table: 'x'.repeat(20_000) }, { kind: 'weir.table-changed', job: 'j', table: 5 },
      { __proto__: { kind: 'weir.table-changed', job: 'j', table: 't' } }, ['weir.table-changed', 'j', 't']];
    for (const m of malformed) assert.equal(isTableChanged(m), false, JSON.stringify(m));
    const channel = { onmessage: null as ((event: { data: unknown }) => void) | null, postMessage() {}, close() {} };
    const hub = createNoticeHub(TABLE_CHANGED, () => channel);
    let heard = 0;
    hub.subscribe(TABLE_CHANGED.topicOf({ kind: 'weir.table-changed', job: 'j', table: 't' }), () => void heard++);
    for (const data of malformed) channel.onmessage!({ data });
    channel.onmessage!({ data: { kind: 'weir.table-changed', job: 'j', table: 't' } });
    assert.equal(hub.malformed, malformed.length);
    assert.equal(heard, 1);
  });

  it('bad arguments are refused, naming the argument', () => {
    const listener = () => {};
    assert.throws(() => watchTable(bad(42), 't', listener), namesArgument('watchTable(jobName)'));
    assert.throws(() => watchTable('j', bad(''), listener), namesArgument('watchTable(jobName, table)'));
    assert.throws(() => watchTable('j', 't', bad<() => void>('no')), namesArgument('watchTable(jobName, table, listener)'));
    assert.throws(() => watchTable('j', 't', listener, bad({ storag: 'memory' })), namesArgument('watchTable(jobName, table, listener, options).storag'));
    assert.throws(() => watchTable('j', 't', listener, { recheckMs: -1 }), namesArgument('watchTable(jobName, table, listener, options).recheckMs'));
    assert.throws(() => watchTable('j', 't', listener, { storage: bad('disk') }), namesArgument('watchTable(jobName, table, listener, options).storage'));
  });
});
