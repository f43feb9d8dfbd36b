// The CheckpointStorage contract (test/contract/storage-contract.ts) in Node, against memory,
// files (a temporary directory) and IndexedDB over fake-indexeddb; then what only the file and
// IndexedDB backends have: crash recovery, the lock, key names, error mapping, connections.
import 'fake-indexeddb/auto'; // idb recognises IDB objects by the global classes (instanceof)
import { indexedDB as fakeIndexedDB } from 'fake-indexeddb';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineStorageContract, type FailWrites } from '../../contract/storage-contract.js';
import { defineIndexedDbChecks } from '../../contract/indexeddb-checks.js';
import { defineIndexedDbChunkValueChecks } from '../../contract/indexeddb-chunk-values.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';
import { FsCheckpointStorage, openFsStorage } from '../../../src/state/backends/fs-storage.js';
import { IndexedDbCheckpointStorage, openIndexedDbStorage, prefixRange, requestPersistence } from '../../../src/state/backends/indexeddb-storage.js';
import { decodeKeyName, encodeKeyName, keyFromPathSegments, keyPathSegments, SEGMENT_LENGTH } from '../../../src/state/backends/fs-key-names.js';
import { decodeJournal, encodeJournal } from '../../../src/state/backends/fs-metadata-journal.js';
import type { CheckpointStorage } from '../../../src/state/checkpoint-storage.js';

const bytes = (...values: number[]) => new Uint8Array(values);
const unique = (label: string) => `${label}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const RACE_CHILD = process.env.WEIR_FS_RACE_CHILD;

// This file is also the child process of the cross-process race below (same bundle, one role each).
if (RACE_CHILD !== undefined) {
  await raceChild(JSON.parse(RACE_CHILD) as { dir: string; who: number; increments: number });
} else {
  const scratch = await mkdtemp(join(tmpdir(), 'weir-storage-contract-'));
  after(() => rm(scratch, { recursive: true, force: true }));
  const freshDir = () => join(scratch, unique('fs'));
  const runner = { describe, it }; // both called from the contract module: node:test files each result by its call site

  defineStorageContract('memory', { open: async (options) => new MemoryCheckpointStorage(options) }, runner);

  defineStorageContract('fs (temporary directory)', {
    open: (options: { failWrites?: FailWrites } = {}) => openFsStorage({ dir: freshDir(), ...options }),
    openAgain: (storage) => openFsStorage({ dir: (storage as FsCheckpointStorage).dir }),
    close: (storage) => (storage as FsCheckpointStorage).close(),
  }, runner);

  defineStorageContract('indexeddb (fake-indexeddb)', {
    open: (options: { failWrites?: FailWrites } = {}) => openIndexedDbStorage({ database: unique('weir-contract'), indexedDB: fakeIndexedDB, ...options }),
    openAgain: (storage) => openIndexedDbStorage({ database: (storage as IndexedDbCheckpointStorage).database, indexedDB: fakeIndexedDB }),
    close: (storage) => (storage as IndexedDbCheckpointStorage).close(),
  }, runner);

  defineIndexedDbChecks('fake-indexeddb', fakeIndexedDB, runner);
  defineIndexedDbChunkValueChecks('fake-indexeddb', fakeIndexedDB, runner);

  describe('fs storage: file names', () => {
    it('encodes keys reversibly into lower-case names without / . or ~, and decodes them back', () => {
      const keys = ['jobs/a/chunks/000000000001/0/op%2F1/00000/keyed', 'Key', 'key', '.hidden', 'end.', 'a.b', '%', '^', '+', '~', '\ud800', '😀', 'é', ' '];
      const names = keys.map(encodeKeyName);
      assert.deepStrictEqual(names.slice(0, 6), ['jobs+a+chunks+000000000001+0+op%252^f1+00000+keyed', '^key', 'key', '%2ehidden', 'end%2e', 'a.b']);
      for (const [i, name] of names.entries()) {
        assert.match(name, /^[a-z0-9_.%^+-]+$/, `name of ${JSON.stringify(keys[i])}`);
        assert.ok(!name.startsWith('.') && !name.endsWith('.'), name);
        assert.equal(decodeKeyName(name), keys[i]);
      }
      assert.equal(new Set(names.map((n) => n.toLowerCase())).size, keys.length, 'no two names differ only in case');
      for (const stray of ['Upper', '%zz', '%2', '^1', 'a~', '', '%61', '.tmp']) assert.equal(decodeKeyName(stray), undefined, `stray name ${stray}`);
    });

    it('cuts a long name into directories ending in ~ and files no longer than the segment length', () => {
      const key = `jobs/${'É'.repeat(200)}/${'x'.repeat(250)}`;
      const segments = keyPathSegments(key);
      assert.ok(segments.length > 1);
      for (const [i, segment] of segments.entries()) {
        assert.ok(segment.length <= SEGMENT_LENGTH + 1, `segment ${i} has ${segment.length} characters`);
        assert.equal(segment.endsWith('~'), i < segments.length - 1);
      }
      assert.equal(keyFromPathSegments(segments), key);
      assert.equal(keyFromPathSegments([...segments.slice(0, -1), segments.at(-1)! + 'x']), key + 'x');
      assert.equal(keyFromPathSegments(['ab~', 'c']), undefined, 'a short first segment is not this encoding');
      assert.deepStrictEqual(keyPathSegments('short'), ['short']);
    });
  });

  describe('fs storage: metadata journal and crash recovery', () => {
    it('encodes a batch into a checksummed journal and refuses a damaged one', () => {
      const records = [{ key: 'a/\ud800', bytes: bytes(1, 2) }, { key: 'b', bytes: new Uint8Array(0) }];
      const file = encodeJournal(records);
      assert.deepStrictEqual(decodeJournal(file, 'j'), records);
      const flipped = file.slice();
      flipped[14] ^= 1;
      assert.throws(() => decodeJournal(flipped, 'j'), { code: 'CORRUPT_DATA', message: /checksum mismatch/ });
      assert.throws(() => decodeJournal(file.subarray(0, file.length - 3), 'j'), { code: 'CORRUPT_DATA' });
      assert.throws(() => decodeJournal(new TextEncoder().encode('NOTAJRNL00000000'), 'j'), /not a Weir metadata journal/);
    });

    it('treats a journal left by a writer that died after its commit as committed: readers see it, the next lock holder applies it', async () => {
      const dir = freshDir();
      const storage = await openFsStorage({ dir });
      await storage.putMetadata([{ key: 'j/latest', bytes: bytes(1) }, { key: 'j/chk-1', bytes: bytes(1) }]);
      // What a writer leaves when it dies between the journal's rename and applying the records.
      await writeFile(join(dir, 'metadata.journal'), encodeJournal([{ key: 'j/latest', bytes: bytes(2) }, { key: 'j/chk-2', bytes: bytes(2) }]));
      const reader = new FsCheckpointStorage({ dir });
      assert.deepStrictEqual(await reader.getMetadata('j/latest'), bytes(2), 'the journal is read before the record file');
      assert.deepStrictEqual(await reader.getMetadata('j/chk-2'), bytes(2));
      assert.deepStrictEqual(await reader.getMetadata('j/chk-1'), bytes(1), 'records outside the journal come from their files');
      assert.deepStrictEqual(await reader.listMetadata('j/'), ['j/chk-1', 'j/chk-2', 'j/latest'], 'listing applies the journal first');
      await assert.rejects(stat(join(dir, 'metadata.journal')), { code: 'ENOENT' }, 'the applied journal is gone');
      assert.deepStrictEqual(await readFile(join(dir, 'metadata', 'j+latest')), Buffer.from([2]), 'the record file now holds the committed bytes');
      await storage.putMetadata([{ key: 'j/latest', bytes: bytes(3) }], { key: 'j/latest', equals: bytes(2) });
      assert.deepStrictEqual(await reader.getMetadata('j/latest'), bytes(3));
    });

    it('applies a pending journal before checking a condition, so the condition sees the committed value', async () => {
      const dir = freshDir();
      const storage = await openFsStorage({ dir });
      await storage.putMetadata([{ key: 'epoch', bytes: bytes(1) }]);
      await writeFile(join(dir, 'metadata.journal'), encodeJournal([{ key: 'epoch', bytes: bytes(2) }, { key: 'owner', bytes: bytes(2) }]));
      await assert.rejects(storage.putMetadata([{ key: 'epoch', bytes: bytes(9) }], { key: 'epoch', equals: bytes(1) }), { code: 'STORAGE_FENCED' });
      await storage.putMetadata([{ key: 'epoch', bytes: bytes(3) }], { key: 'epoch', equals: bytes(2) });
      assert.deepStrictEqual(await storage.getMetadata('owner'), bytes(2));
    });

    it('rejects reads with CORRUPT_DATA while a damaged journal is in place, and never applies it', async () => {
      const dir = freshDir();
      const storage = await openFsStorage({ dir });
      await storage.putMetadata([{ key: 'a', bytes: bytes(1) }]);
      await writeFile(join(dir, 'metadata.journal'), new Uint8Array(20));
      await assert.rejects(storage.getMetadata('a'), { code: 'CORRUPT_DATA' });
      await assert.rejects(storage.putMetadata([{ key: 'a', bytes: bytes(2) }]), { code: 'CORRUPT_DATA' });
      await rm(join(dir, 'metadata.journal'));
      assert.deepStrictEqual(await storage.getMetadata('a'), bytes(1));
    });

    it('keeps temporary files out of listings and sweeps only old ones when opened', async () => {
      const dir = freshDir();
      const storage = await openFsStorage({ dir });
      await storage.putChunk('c', bytes(1));
      assert.deepStrictEqual(await readdir(join(dir, 'tmp')), [], 'a finished write leaves no temporary file');
      await writeFile(join(dir, 'tmp', 'old.tmp'), 'x');
      await writeFile(join(dir, 'tmp', 'young.tmp'), 'x');
      await writeFile(join(dir, 'chunks', 'Stray File'), 'x'); // not a name of this encoding
      const hourAgo = new Date(Date.now() - 2 * 60 * 60_000);
      await utimes(join(dir, 'tmp', 'old.tmp'), hourAgo, hourAgo);
      await openFsStorage({ dir });
      assert.deepStrictEqual((await readdir(join(dir, 'tmp'))).sort(), ['young.tmp']);
      assert.deepStrictEqual(await storage.listChunks(''), ['c']);
    });

    it('writes records, chunks and the journal under the layout it documents', async () => {
      const dir = freshDir();
      const storage = await openFsStorage({ dir });
      await storage.putChunk('jobs/j/chunks/1', bytes(1));
      await storage.putMetadata([{ key: 'jobs/j/checkpoints/1', bytes: bytes(2) }, { key: 'jobs/j/latest', bytes: bytes(3) }]);
      assert.deepStrictEqual((await readdir(dir)).sort(), ['chunks', 'metadata', 'tmp']);
      assert.deepStrictEqual(await readdir(join(dir, 'chunks')), ['jobs+j+chunks+1']);
      assert.deepStrictEqual((await readdir(join(dir, 'metadata'))).sort(), ['jobs+j+checkpoints+1', 'jobs+j+latest']);
      assert.deepStrictEqual(storage.workerDescriptor, { kind: 'fs', dir });
      assert.equal(storage.kind, 'fs');
    });
  });

  describe('fs storage: the metadata lock', () => {
    it('waits for a live lock held elsewhere and rejects with CHECKPOINT_STORAGE_FAILED when it outlasts lockTimeoutMs', async () => {
      const dir = freshDir();
      const storage = await openFsStorage({ dir, lockTimeoutMs: 300, lockStaleMs: 60_000 });
      await writeFile(join(dir, 'metadata.lock'), JSON.stringify({ token: 'other', pid: process.pid, host: 'elsewhere', at: Date.now() }));
      const started = Date.now();
      await assert.rejects(storage.putMetadata([{ key: 'a', bytes: bytes(1) }]), (error: { code?: string; details?: { reason?: string } }) => {
        assert.equal(error.code, 'CHECKPOINT_STORAGE_FAILED');
        assert.equal(error.details?.reason, 'LockTimeoutError');
        return true;
      });
      assert.ok(Date.now() - started >= 250, 'it waited for the lock');
      assert.equal(await storage.getMetadata('a'), undefined);
      assert.deepStrictEqual(await readdir(join(dir, 'tmp')), [], 'the staged record file was removed');
      await rm(join(dir, 'metadata.lock'));
      await storage.putMetadata([{ key: 'a', bytes: bytes(1) }]);
      assert.deepStrictEqual(await storage.getMetadata('a'), bytes(1), 'the lock released, the next write goes through');
      assert.deepStrictEqual(await readdir(dir).then((d) => d.includes('metadata.lock')), false, 'the writer released its lock');
    });

    it('takes over a lock whose holder stopped refreshing it (older than lockStaleMs)', async () => {
      const dir = freshDir();
      const storage = await openFsStorage({ dir, lockStaleMs: 200, lockTimeoutMs: 5_000 });
      await writeFile(join(dir, 'metadata.lock'), JSON.stringify({ token: 'dead', pid: process.pid, host: 'elsewhere', at: 0 }));
      const old = new Date(Date.now() - 1_000);
      await utimes(join(dir, 'metadata.lock'), old, old);
      await storage.putMetadata([{ key: 'a', bytes: bytes(1) }]);
      assert.deepStrictEqual(await storage.getMetadata('a'), bytes(1));
    });

    it('takes over at once a fresh lock of a process on this host that has exited', async () => {
      const dir = freshDir();
      // lockTimeoutMs 1: a writer that waited for the lock at all would time out. Taking it over at
      // once is a matter of what it reads, not of how fast it runs.
      const storage = await openFsStorage({ dir, lockStaleMs: 60_000, lockTimeoutMs: 1 });
      const exited = spawn(process.execPath, ['-e', '0']);
      const pid = exited.pid!;
      await new Promise((resolve) => exited.on('exit', resolve));
      const { hostname } = await import('node:os');
      await writeFile(join(dir, 'metadata.lock'), JSON.stringify({ token: 'gone', pid, host: hostname(), at: Date.now() }));
      await storage.putMetadata([{ key: 'a', bytes: bytes(1) }]);
      assert.deepStrictEqual(await storage.getMetadata('a'), bytes(1));
    });

    it('serialises conditional writers across processes: concurrent compare-and-set increments lose no update', async () => {
      const dir = freshDir();
      await openFsStorage({ dir });
      const self = fileURLToPath(import.meta.url);
      const increments = 15;
      const children = [0, 1, 2].map((who) => new Promise<number[]>((resolve, reject) => {
        const env: NodeJS.ProcessEnv = { ...process.env, WEIR_FS_RACE_CHILD: JSON.stringify({ dir, who, increments }) };
        delete env.NODE_TEST_CONTEXT; // a plain process, not a node:test child
        const child = spawn(process.execPath, [self], { env, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => { out += d; });
        child.on('exit', (status) => (status === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as number[]) : reject(new Error(`child ${who} exited with ${status}: ${out}`))));
      }));
      const won = (await Promise.all(children)).flat().sort((a, b) => a - b);
      const storage = await openFsStorage({ dir });
      assert.deepStrictEqual(await storage.getMetadata('counter'), encodeCounter(3 * increments), 'every increment landed once');
      assert.deepStrictEqual(won, Array.from({ length: 3 * increments }, (_, i) => i + 1), 'each value was won by exactly one process');
      assert.equal((await storage.listMetadata('log/')).length, 3 * increments, 'each win wrote its log record in the same batch');
    });
  });

  describe('fs storage: failures', () => {
    it('rejects with CHECKPOINT_STORAGE_FAILED and the I/O error as cause when the directory cannot be used', async () => {
      const file = join(scratch, unique('a-file'));
      await writeFile(file, 'not a directory');
      const storage = new FsCheckpointStorage({ dir: join(file, 'sub') });
      await assert.rejects(storage.putChunk('k', bytes(1)), (error: { code?: string; cause?: { code?: string }; details?: Record<string, unknown> }) => {
        assert.equal(error.code, 'CHECKPOINT_STORAGE_FAILED');
        assert.equal(error.cause?.code, 'ENOTDIR');
        assert.equal(error.details?.reason, 'ENOTDIR');
        return true;
      });
      await assert.rejects(openFsStorage({ dir: join(file, 'sub') }), { code: 'CHECKPOINT_STORAGE_FAILED' });
    });

    it("stores bytes as they were at the call also before the directories exist (the first calls copy the caller's bytes)", async () => {
      const dir = freshDir();
      const storage = new FsCheckpointStorage({ dir });
      const chunk = bytes(1, 2, 3);
      const pending = storage.putChunk('c', chunk);
      chunk.fill(9);
      const record = bytes(6);
      const pendingRecord = new FsCheckpointStorage({ dir }).putMetadata([{ key: 'm', bytes: record }]);
      record.fill(9);
      await Promise.all([pending, pendingRecord]);
      assert.deepStrictEqual(await storage.getMetadata('m'), bytes(6));
      const opened = await openFsStorage({ dir });
      const late = bytes(4, 5);
      const second = opened.putChunk('d', late); // directories exist: written before the call returns
      late.fill(9);
      await second;
      assert.deepStrictEqual(await opened.getChunk('c'), bytes(1, 2, 3));
      assert.deepStrictEqual(await opened.getChunk('d'), bytes(4, 5));
      assert.deepStrictEqual(await readdir(join(dir, 'tmp')), [], 'no temporary file is left');
    });

    it('leaves no temporary file behind a fenced batch or one that failed', async () => {
      const dir = freshDir();
      let fail = false;
      const storage = await openFsStorage({ dir, failWrites: () => (fail ? new Error('injected') : undefined) });
      await storage.putMetadata([{ key: 'epoch', bytes: bytes(1) }]);
      await assert.rejects(storage.putMetadata([{ key: 'epoch', bytes: bytes(2) }], { key: 'epoch', equals: bytes(7) }), { code: 'STORAGE_FENCED' });
      await assert.rejects(storage.putMetadata([{ key: 'epoch', bytes: bytes(2) }, { key: 'b', bytes: bytes(2) }], { key: 'epoch', equals: undefined }), { code: 'STORAGE_FENCED' });
      fail = true;
      await assert.rejects(storage.putMetadata([{ key: 'a', bytes: bytes(2) }, { key: 'b', bytes: bytes(2) }]), { code: 'CHECKPOINT_STORAGE_FAILED' });
      await assert.rejects(storage.putChunk('c', bytes(1)), { code: 'CHECKPOINT_STORAGE_FAILED' });
      assert.deepStrictEqual(await readdir(join(dir, 'tmp')), []);
      assert.deepStrictEqual((await readdir(dir)).sort(), ['chunks', 'metadata', 'tmp'], 'no journal, no lock');
      assert.deepStrictEqual(await storage.listMetadata(''), ['epoch']);
    });

    it('rejects every operation after close()', async () => {
      const storage = await openFsStorage({ dir: freshDir() });
      await storage.close();
      await assert.rejects(storage.putChunk('k', bytes(1)), { code: 'CHECKPOINT_STORAGE_FAILED', message: /closed/ });
      await assert.rejects(storage.listMetadata(''), { code: 'CHECKPOINT_STORAGE_FAILED' });
    });

    it('refuses a missing dir synchronously, as a constructor argument error', () => {
      assert.throws(() => new FsCheckpointStorage({ dir: '' }), { code: 'INVALID_ARGUMENT' });
    });
  });

  describe('indexeddb storage (fake-indexeddb)', () => {
    const open = (database = unique('weir-idb'), extra = {}) => openIndexedDbStorage({ database, indexedDB: fakeIndexedDB, ...extra });

    it("names itself 'indexeddb' with a descriptor workers open it by, and defaults to the database 'weir'", async () => {
      const storage = await open('weir-named');
      assert.equal(storage.kind, 'indexeddb');
      assert.deepStrictEqual(storage.workerDescriptor, { kind: 'indexeddb', database: 'weir-named' });
      assert.equal(new IndexedDbCheckpointStorage({ indexedDB: fakeIndexedDB }).database, 'weir');
      await storage.close();
    });

    it('creates the chunks and metadata object stores', async () => {
      const database = unique('weir-stores');
      const storage = await open(database);
      await storage.close();
      const names = await new Promise<string[]>((resolve, reject) => {
        const request = fakeIndexedDB.open(database);
        request.onsuccess = () => { resolve(Array.from({ length: request.result.objectStoreNames.length }, (_, i) => request.result.objectStoreNames.item(i)!)); request.result.close(); };
        request.onerror = () => reject(request.error);
      });
      assert.deepStrictEqual(names.sort(), ['chunks', 'metadata']);
    });

    it('rejects (not throws) when no IndexedDB exists, and after close()', async () => {
      const saved = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
      try {
        delete (globalThis as { indexedDB?: unknown }).indexedDB;
        const storage = new IndexedDbCheckpointStorage();
        await assert.rejects(storage.getChunk('k'), { code: 'CHECKPOINT_STORAGE_FAILED', message: /not available/ });
      } finally {
        if (saved) Object.defineProperty(globalThis, 'indexedDB', saved);
      }
      const storage = await open();
      await storage.close();
      await assert.rejects(storage.getChunk('k'), { code: 'CHECKPOINT_STORAGE_FAILED', message: /closed/ });
    });

    it('bounds a prefix listing exactly, also for prefixes ending in \\uffff', () => {
      assert.equal(prefixRange(''), undefined);
      const range = prefixRange('ab')!;
      assert.deepStrictEqual([range.lower, range.upper, range.lowerOpen, range.upperOpen], ['ab', 'ac', false, true]);
      const wide = prefixRange('a\uffff\uffff')!;
      assert.deepStrictEqual([wide.lower, wide.upper], ['a\uffff\uffff', 'b']);
      const all = prefixRange('\uffff')!;
      assert.deepStrictEqual([all.lower, all.upper], ['\uffff', undefined]);
    });

    it('requestPersistence() answers false where there is no Storage API', async () => {
      assert.equal(await requestPersistence(), false);
    });
  });
}

function encodeCounter(n: number): Uint8Array {
  return new TextEncoder().encode(String(n));
}

/** One process of the cross-process race: compare-and-set increments of 'counter', retried when fenced. */
async function raceChild({ dir, who, increments }: { dir: string; who: number; increments: number }): Promise<void> {
  const storage: CheckpointStorage = await openFsStorage({ dir });
  const won: number[] = [];
  while (won.length < increments) {
    const current = await storage.getMetadata('counter');
    const next = current === undefined ? 1 : Number(new TextDecoder().decode(current)) + 1;
    try {
      await storage.putMetadata([{ key: 'counter', bytes: encodeCounter(next) }, { key: `log/${String(next).padStart(4, '0')}`, bytes: bytes(who) }], { key: 'counter', equals: current });
      won.push(next);
    } catch (error) {
      if ((error as { code?: string }).code !== 'STORAGE_FENCED') throw error;
    }
  }
  process.stdout.write(`${JSON.stringify(won)}\n`);
}
