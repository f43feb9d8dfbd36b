import 'fake-indexeddb/auto';
import { indexedDB as fakeIndexedDB } from 'fake-indexeddb';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, openLog, readTable, run, sinks, sources, type CheckpointStorage } from 'weir';
import { IndexedDbCheckpointStorage } from '../../../src/state/backends/indexeddb-storage.js';
import { storageLayout } from '../../../src/state/storage-layout.js';
import { LogPartitionFetcher } from '../../../src/connectors/log/log-partition-fetcher.js';
import { encodeLogBatch, encodeLogFloor, encodeLogHead, encodeLogReader } from '../../../src/connectors/log/log-records.js';
import { LogRetention } from '../../../src/connectors/log/log-retention.js';
import { findTail } from '../../../src/connectors/log/log-tail.js';
import { encodeValue } from '../../../src/state/value-codec.js';
import { uniqueJobName } from '../api/api-test-helpers.js';
import { forwardingStorage } from '../../support/forwarding-storage.js';

// The fault: an appender whose cached end is older than what retention deleted (a tab frozen while
// others appended and a job passed the records). Its claim at once (IndexedDB: no wait before
// commit()) commits a batch below the floor — a stray — which must never be acknowledged, never be
// read, and be deleted (log-tail.ts).

const LOG = 'strays';
const batchKey = (start: number) => storageLayout.logBatchKey(LOG, 0, start);

/**
 * A handle's view of the IndexedDB backend (fake-indexeddb) that records every batch its claims at
 * once committed, and can refuse the appender's deletion of a stray (the tab closed right after
 * its claim committed), so that the stray stays for readers to meet.
 */
function watched(backend: IndexedDbCheckpointStorage) {
  const committed: string[] = [];
  const state = { blockStrayDelete: false };
  const storage = forwardingStorage(backend, {
    deleteMetadata: (keys, condition) => (state.blockStrayDelete ? Promise.reject(new Error('the tab closed')) : backend.deleteMetadata(keys, condition)),
    putMetadataReading: async (records, condition, reads) => {
      const values = await backend.putMetadataReading(records, condition, reads);
      committed.push(...records.map((r) => r.key).filter((k) => k.includes('/batches/')));
      return values;
    },
  });
  return { storage, committed, state };
}

/** As a job's retention does: registers one reader at `next` and trims partition 0. */
async function retainFrom(storage: CheckpointStorage, next: number): Promise<number> {
  await storage.putMetadata([{ key: storageLayout.logReaderKey(LOG, 'job', 'uid', 0), bytes: encodeLogReader({ next }) }]);
  return new LogRetention(storage, LOG, 'job', 'uid', () => 0, 0).trim(0);
}

/** A reader restored at `next` (its checkpoint knew the batch there): what it emits, or how it fails. */
function restoredReader(storage: CheckpointStorage, next: number): Promise<unknown> {
  return new Promise((resolve) => {
    const fetcher: LogPartitionFetcher = new LogPartitionFetcher(storage, LOG, { partition: 0, next, batch: next }, {
      signal: () => {
        try {
          const got: unknown[] = [];
          fetcher.drain(100, (value) => got.push(value));
          if (got.length > 0) resolve(got);
        } catch (error) {
          resolve(error);
        }
        fetcher.close();
      },
      sleep: () => new Promise(() => undefined),
      onAppended: () => () => undefined,
      recheckMs: 1_000_000,
    });
  });
}

describe('input log: an appender whose cached end is older than what retention deleted', () => {
  it('commits a stray below the floor (IndexedDB, at once): never acknowledged there, never read by a fresh or a restored reader, deleted; every record once', async () => {
    const database = `weir-strays-${Math.random()}`;
    const open = () => new IndexedDbCheckpointStorage({ database, indexedDB: fakeIndexedDB });
    const plain = open();
    const stale = [watched(open()), watched(open())];
    const a = await openLog<string>(LOG, { storage: stale[0]!.storage });
    const d = await openLog<string>(LOG, { storage: stale[1]!.storage });
    const b = await openLog<string>(LOG, { storage: open() });
    assert.deepEqual([...(await a.append('a0'))], [0]);
    assert.deepEqual([...(await d.append('d1'))], [1]);
    for (const n of [2, 3, 4]) assert.deepEqual([...(await b.append(`b${n}`))], [n]);
    assert.equal(await retainFrom(plain, 4), 4, 'retention deleted batches 0–3 (a\'s and d\'s own among them)');
    // a's cached end is 1, d's is 2: both free now. d's clean-up of its stray is refused (it stays).
    stale[1]!.state.blockStrayDelete = true;
    const late = [await a.append('a-late'), await d.append('d-late')];
    stale[1]!.state.blockStrayDelete = false;
    assert.deepEqual(late.map((o) => [...o]), [[5], [6]], 'each acknowledged at the end, never at its stale offset (1, 2) below the floor (4)');
    const acknowledged = [[0, 5], [1, 6]].map((starts) => new Set(starts.map(batchKey))); // a's, d's
    const strays = stale.flatMap((s, i) => s.committed.filter((k) => !acknowledged[i]!.has(k)));
    assert.deepEqual(strays, [batchKey(1), batchKey(2)], 'exactly two batches committed and not acknowledged: one per stale append');
    assert.equal(await plain.getMetadata(batchKey(1)), undefined, 'a deleted its stray at once');
    assert.notEqual(await plain.getMetadata(batchKey(2)), undefined, 'd\'s stray is still there (its clean-up was refused)');
    // A reader restored at d's stray offset (a checkpoint older than retention) finds it deleted.
    const restored = await restoredReader(plain, 2);
    assert.equal((restored as { code?: unknown }).code, 'LOG_TRUNCATED', `the restored reader read no stray: ${String(restored)}`);
    // A fresh reader starts at the oldest batch kept, not at the stray below it.
    await b.append('b7');
    await b.end();
    const name = uniqueJobName('strays');
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.log<string>(LOG), { uid: 'log' }).sinkTo(sinks.table('out'), { uid: 'out' });
    }), { storage: plain, checkpointing: false });
    assert.equal((await handle.done).status, 'finished');
    assert.deepEqual(await readTable(name, 'out', { storage: plain }), ['b4', 'a-late', 'd-late', 'b7'], 'every record kept, once, in offset order');
    assert.equal(await retainFrom(plain, 4), 1, 'the next trim deleted the stray left behind');
    assert.deepEqual((await plain.listMetadata(storageLayout.logBatchPrefix(LOG, 0))).map((k) => storageLayout.logBatchStartFromKey(k)), [4, 5, 6, 7, 8]);
  });

  it('findTail never takes a stray for the end, even when its predecessor is a batch the appender saw (a waiting claim would then land)', async () => {
    const storage = new MemoryCheckpointStorage();
    const batch = (start: number, records: string[]) => ({ key: batchKey(start), bytes: encodeLogBatch(start, records.length, encodeValue(records)) });
    // Kept: 4 and 5 (the end at 6), the floor at 4; a stray at 1 (one record, so "ending" at 2, where nothing is).
    await storage.putMetadata([
      batch(1, ['stray']), batch(4, ['b4']), batch(5, ['b5']),
      { key: storageLayout.logFloorKey(LOG, 0), bytes: encodeLogFloor(4) },
      { key: storageLayout.logHeadKey(LOG, 0), bytes: encodeLogHead({ next: 5, last: 4, ended: false }) },
    ]);
    const tail = await findTail(storage, LOG, 0, { kind: 'batch', start: 0, next: 1, end: false });
    assert.deepEqual(tail, { kind: 'batch', start: 5, next: 6, end: false }, 'the end of the kept batches, not the stray ending at 2');
  });
});
