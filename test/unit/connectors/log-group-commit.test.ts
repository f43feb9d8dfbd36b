import 'fake-indexeddb/auto';
import { indexedDB as fakeIndexedDB } from 'fake-indexeddb';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, openLog, readTable, run, sinks, sources, WeirError, type CheckpointStorage, type LogOffsets } from 'weir';
import { FsCheckpointStorage } from '../../../src/state/backends/fs-storage.js';
import { IndexedDbCheckpointStorage } from '../../../src/state/backends/indexeddb-storage.js';
import type { MetadataCondition, MetadataConditions } from '../../../src/state/checkpoint-storage.js';
import { storageLayout } from '../../../src/state/storage-layout.js';
import { uniqueJobName } from '../api/api-test-helpers.js';
import { forwardingStorage } from '../../support/forwarding-storage.js';

// Group commit of input-log appends (log-appender.ts): the appends a handle makes while a write is
// in flight go into one write, each still atomic, resolved once durable, with dense offsets.

const backends: { name: string; open(): CheckpointStorage; again(s: CheckpointStorage): CheckpointStorage }[] = [
  { name: 'memory', open: () => new MemoryCheckpointStorage(), again: (s) => s },
  {
    name: 'fs',
    open: () => new FsCheckpointStorage({ dir: mkdtempSync(join(tmpdir(), 'weir-log-group-')) }),
    again: (s) => new FsCheckpointStorage({ dir: (s as FsCheckpointStorage).dir }),
  },
  {
    name: 'indexeddb (fake)',
    open: () => new IndexedDbCheckpointStorage({ database: `weir-log-group-${Math.random()}`, indexedDB: fakeIndexedDB }),
    again: (s) => new IndexedDbCheckpointStorage({ database: (s as IndexedDbCheckpointStorage).database, indexedDB: fakeIndexedDB }),
  },
];

async function readAll<T>(storage: CheckpointStorage, log: string): Promise<T[]> {
  const name = uniqueJobName('read-group');
  const handle = await run(job(name, (env) => {
    env.fromSource(sources.log<T>(log), { uid: 'log' }).sinkTo(sinks.table('out'), { uid: 'out' });
  }), { storage, checkpointing: false });
  await handle.done;
  return readTable<T>(name, 'out', { storage });
}

const batchCount = async (storage: CheckpointStorage, log: string) =>
  (await storage.listMetadata(`logs/${log}/partitions/`)).filter((k) => k.includes('/batches/')).length;

function holds(bytes: Uint8Array, marker: string): boolean {
  const needle = new TextEncoder().encode(marker);
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * `storage`, except that a metadata write holding `marker` in one of its values fails as a full
 * quota would (`when: 'before'`: nothing of it stored), or lands and then reports a failure once
 * (`'after'`: an fsync of the folder failing after the commit point). Counts what it injected.
 */
function injecting(storage: CheckpointStorage, marker: string, when: 'before' | 'after'): CheckpointStorage & { injected: number } {
  const wrapped: CheckpointStorage & { injected: number } = Object.assign(forwardingStorage(storage, {
    putMetadata: async (records, condition) => {
      if (!records.some((r) => holds(r.bytes, marker)) || (when === 'after' && wrapped.injected > 0)) return storage.putMetadata(records, condition);
      wrapped.injected++;
      if (when === 'after') await storage.putMetadata(records, condition);
      throw new WeirError('CHECKPOINT_STORAGE_FAILED', `injected: the quota is full (${when} the write)`, { domain: 'external', retryable: true, details: { reason: 'QuotaExceededError' } });
    },
  }), { injected: 0 });
  return wrapped;
}

/**
 * `storage`, except that before each of its first `times` claims (a write whose conditions ask that
 * the predecessor batch exists) `interfere(n)` runs on the storage underneath: another handle
 * appends, and every other time retention deletes every batch but the last, the claim's own
 * predecessor among them. Counts what it injected and how many of those claims were fenced.
 */
function interfering(storage: CheckpointStorage, times: number, interfere: (n: number) => Promise<void>): CheckpointStorage & { injected: number; fenced: number } {
  const wrapped = Object.assign(Object.create(null) as CheckpointStorage, {
    kind: storage.kind, injected: 0, fenced: 0,
    putChunk: (key: string, bytes: Uint8Array) => storage.putChunk(key, bytes),
    getChunk: (key: string) => storage.getChunk(key),
    deleteChunks: (keys: readonly string[], condition?: MetadataCondition) => storage.deleteChunks(keys, condition),
    listChunks: (prefix: string) => storage.listChunks(prefix),
    getMetadata: (key: string) => storage.getMetadata(key),
    deleteMetadata: (keys: readonly string[], condition?: MetadataCondition) => storage.deleteMetadata(keys, condition),
    listMetadata: (prefix: string) => storage.listMetadata(prefix),
    putMetadata: async (records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions) => {
      const claim = Array.isArray(condition) && condition.some((c: MetadataCondition) => 'exists' in c && c.exists);
      if (!claim || wrapped.injected >= times) return storage.putMetadata(records, condition);
      await interfere(wrapped.injected++);
      try {
        await storage.putMetadata(records, condition);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'STORAGE_FENCED') wrapped.fenced++;
        throw error;
      }
    },
  });
  return wrapped;
}

/** Asserts that the successful appends hold offsets 0..n-1 once each and that each record sits at its offset. */
function assertDense(results: { records: string[]; offsets: LogOffsets }[], stored: string[]): void {
  const offsets = results.flatMap((r) => [...r.offsets]).sort((a, b) => a - b);
  assert.deepEqual(offsets, Array.from({ length: offsets.length }, (_, i) => i), 'offsets dense, each once');
  assert.equal(stored.length, offsets.length, 'every acknowledged record stored once, nothing else');
  for (const r of results) r.records.forEach((record, i) => assert.equal(stored[r.offsets[i]!], record, `${record} at its offset`));
}

describe('input log group commit', () => {
  it('a custom storage that does not know existence conditions fails the append at once with a clear error, storing nothing of it', async () => {
    const base = new MemoryCheckpointStorage();
    let misread = 0;
    // As a storage written against the old contract reads a condition: `equals` only (missing: absent).
    const old: CheckpointStorage = Object.assign(Object.create(null) as CheckpointStorage, {
      kind: 'custom', putChunk: base.putChunk.bind(base), getChunk: base.getChunk.bind(base), deleteChunks: base.deleteChunks.bind(base), listChunks: base.listChunks.bind(base),
      getMetadata: base.getMetadata.bind(base), deleteMetadata: base.deleteMetadata.bind(base), listMetadata: base.listMetadata.bind(base),
      putMetadata: (records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions) => {
        const list = condition === undefined ? undefined : (Array.isArray(condition) ? condition : [condition]).map((c: MetadataCondition) => {
          if ('exists' in c) misread++;
          return { key: c.key, equals: (c as { equals?: Uint8Array }).equals };
        });
        return base.putMetadata(records, list);
      },
    });
    const log = await openLog<string>('old-storage', { storage: old });
    assert.deepEqual([...(await log.append('first'))], [0], 'the first batch is claimed on the head alone');
    await assert.rejects(log.append('second'), (error: WeirError) => error.code === 'CHECKPOINT_STORAGE_FAILED' && /\{ key, exists \}/.test(error.message) && error.details.backend === 'custom');
    assert.equal(misread, 3, 'given up after three claims fenced while the end stayed put');
    assert.equal(await batchCount(base, 'old-storage'), 1, 'nothing of the refused append stored');
  });

  for (const backend of backends) {
    describe(backend.name, () => {
      it('appends made while a write is in flight share one stored batch; two handles appending at once get dense offsets, call order kept', async () => {
        const storage = backend.open();
        const [a, b] = await Promise.all([openLog<string>('grouped', { storage }), openLog<string>('grouped', { storage: backend.again(storage) })]);
        const calls: { records: string[]; offsets: Promise<LogOffsets> }[] = [];
        for (let i = 0; i < 20; i++) {
          for (const [h, log] of [['a', a], ['b', b]] as const) {
            const records = i % 3 === 0 ? [`${h}${i}-x`, `${h}${i}-y`, `${h}${i}-z`] : [`${h}${i}`];
            calls.push({ records, offsets: log.append(records.length === 1 ? records[0]! : records) });
          }
        }
        const results = await Promise.all(calls.map(async (c) => ({ records: c.records, offsets: await c.offsets })));
        for (const h of ['a', 'b']) {
          const starts = results.filter((r) => r.records[0]!.startsWith(h)).map((r) => r.offsets[0]!);
          assert.deepEqual(starts, [...starts].sort((x, y) => x - y), `handle ${h}'s appends keep their call order`);
        }
        const batches = await batchCount(storage, 'grouped');
        assert.ok(batches < 40 && batches >= 2, `40 appends made at once share writes (${batches} stored batches)`);
        await a.end();
        assertDense(results, await readAll<string>(storage, 'grouped'));
      });

      it('a write that fails in the middle of a group: nothing of the failed append lands, the others do, offsets dense', async () => {
        const base = backend.open();
        const storage = injecting(base, 'POISON', 'before');
        const [a, b] = await Promise.all([openLog<string>('poisoned', { storage }), openLog<string>('poisoned', { storage: injecting(backend.again(base), 'POISON', 'before') })]);
        await a.append('first'); // the partition exists: the next appends group behind nothing but each other
        const calls: { records: string[]; offsets: Promise<LogOffsets> }[] = [];
        for (let i = 0; i < 12; i++) {
          calls.push({ records: [`a${i}`, i === 6 ? 'POISON' : `a${i}'`], offsets: a.append([`a${i}`, i === 6 ? 'POISON' : `a${i}'`]) });
          calls.push({ records: [`b${i}`], offsets: b.append(`b${i}`) });
        }
        const settled = await Promise.allSettled(calls.map((c) => c.offsets));
        const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ i, error: s.reason as { code?: string; message?: string } }] : []));
        assert.equal(failed.length, 1, 'only the poisoned append fails');
        assert.equal(calls[failed[0]!.i]!.records[1], 'POISON');
        assert.equal(failed[0]!.error.code, 'CHECKPOINT_STORAGE_FAILED');
        assert.match(failed[0]!.error.message ?? '', /quota is full/);
        assert.equal(storage.injected, 2, 'the group write failed, then the poisoned append written alone failed');
        const results = [{ records: ['first'], offsets: Object.assign([0], { partition: 0 }) as LogOffsets }];
        settled.forEach((s, i) => { if (s.status === 'fulfilled') results.push({ records: calls[i]!.records, offsets: s.value }); });
        await a.end();
        const stored = await readAll<string>(base, 'poisoned');
        assert.ok(!stored.includes('POISON') && !stored.includes('a6'), 'nothing of the failed append landed');
        assertDense(results, stored);
        assert.deepEqual((await a.append('late').catch((e: { code?: string }) => e.code)), 'LOG_ENDED');
      });

      it('an append whose claim loses (another handle took the offset; retention deleted its predecessor and what followed) finds the end and lands there: offsets dense, never in the deleted range', async () => {
        const base = backend.open();
        const other = await openLog<string>('raced', { storage: backend.again(base) });
        const batchKeys = async () => (await base.listMetadata(storageLayout.logBatchPrefix('raced', 0))).sort();
        const otherOffsets: number[] = [];
        const storage = interfering(base, 6, async (n) => {
          otherOffsets.push(...(await other.append(`o${n}`)));
          if (n % 2 === 0) return;
          // Then more, and retention deletes as it does (oldest first, never the last): the claim's
          // predecessor and its own offset are gone, a batch lies beyond.
          otherOffsets.push(...(await other.append(`o${n}+`)));
          await base.deleteMetadata((await batchKeys()).slice(0, -1));
        });
        const log = await openLog<string>('raced', { storage });
        const results: { records: string[]; offsets: LogOffsets }[] = [];
        for (let i = 0; i < 10; i++) results.push({ records: [`a${i}`], offsets: await log.append(`a${i}`) });
        assert.equal(storage.injected, 6, 'interfered with six claims');
        assert.equal(storage.fenced, 6, 'each of them lost and was claimed again after the end');
        const all = results.flatMap((r) => [...r.offsets]).concat(otherOffsets);
        assert.deepEqual([...all].sort((x, y) => x - y), Array.from({ length: 19 }, (_, i) => i), 'every acknowledged append has its own offset, dense');
        await log.end();
        const stored = await readAll<string>(base, 'raced');
        const firstKept = storageLayout.logBatchStartFromKey((await batchKeys())[0]!)!;
        const kept = results.filter((r) => r.offsets[0]! >= firstKept);
        assert.deepEqual(stored.filter((r) => r.startsWith('a')), kept.map((r) => r.records[0]), 'what retention kept of these appends, each once, in order');
        assert.ok(kept.length >= 7, `the appends after the last deletion are all kept (${kept.length})`);
      });

      it('a group write that reports a failure after it landed resolves its appends once, never writes them again', async () => {
        const base = backend.open();
        const storage = injecting(base, 'LATE', 'after');
        const log = await openLog<string>('late-failure', { storage });
        await log.append('first');
        const calls = ['x', 'LATE', 'y', 'z'].map((r) => ({ records: [r], offsets: log.append(r) }));
        const results = await Promise.all(calls.map(async (c) => ({ records: c.records, offsets: await c.offsets })));
        assert.equal(storage.injected, 1);
        await log.end();
        assertDense([{ records: ['first'], offsets: Object.assign([0], { partition: 0 }) as LogOffsets }, ...results], await readAll<string>(base, 'late-failure'));
      });
    });
  }
});
