/// <reference types="mocha" />
// The CheckpointStorage contract (test/contract/storage-contract.ts) against Chromium's real
// IndexedDB, then the IndexedDB-only checks (durability per write, aborted transactions), and
// that data outlives the connection that wrote it.
import { defineIndexedDbChecks } from '../contract/indexeddb-checks.js';
import { defineIndexedDbChunkValueChecks } from '../contract/indexeddb-chunk-values.js';
import { assertBytes, assertEqual, assertKeys, defineStorageContract, patternBytes } from '../contract/storage-contract.js';
import { IndexedDbCheckpointStorage, openIndexedDbStorage, requestPersistence } from '../../src/state/backends/indexeddb-storage.js';
import type { CheckpointStorage } from '../../src/state/checkpoint-storage.js';
import { deleteDatabase } from './delete-database.js';

// Every test file shares the origin (localhost:8000): a database name of its own per storage.
const unique = (label: string) => `${label}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const opened = new Set<string>();
const bytes = (...values: number[]) => new Uint8Array(values);

const runner = { describe, it };

defineStorageContract('indexeddb (Chromium)', {
  open: async (options = {}) => {
    const database = unique('weir-contract');
    opened.add(database);
    return openIndexedDbStorage({ database, ...options });
  },
  openAgain: (storage) => openIndexedDbStorage({ database: (storage as IndexedDbCheckpointStorage).database }),
  close: (storage) => (storage as IndexedDbCheckpointStorage).close(),
}, runner);

defineIndexedDbChecks('Chromium', indexedDB, runner);
defineIndexedDbChunkValueChecks('Chromium', indexedDB, runner);

describe('IndexedDbCheckpointStorage in Chromium', () => {
  after(async () => {
    for (const name of opened) await deleteDatabase(name);
  });

  it('keeps a committed write for a new connection opened after the writer closed, in the same database by name', async () => {
    const database = unique('weir-survives');
    opened.add(database);
    const writer = await openIndexedDbStorage({ database });
    const big = patternBytes(3_000_000, 5);
    await writer.putChunk('jobs/j/chunks/1', big);
    await writer.putMetadata([{ key: 'jobs/j/checkpoints/000000000001', bytes: bytes(1) }, { key: 'jobs/j/latest', bytes: bytes(1) }], { key: 'jobs/j/latest', equals: undefined });
    await writer.close();
    const reader: CheckpointStorage = new IndexedDbCheckpointStorage({ database }); // lazily opened, as a worker does from its descriptor
    assertBytes(await reader.getChunk('jobs/j/chunks/1'), big, 'the chunk');
    assertKeys(await reader.listMetadata('jobs/j/'), ['jobs/j/checkpoints/000000000001', 'jobs/j/latest'], 'the metadata');
    assertEqual(JSON.stringify(reader.workerDescriptor), JSON.stringify({ kind: 'indexeddb', database }), 'workerDescriptor');
    await (reader as IndexedDbCheckpointStorage).close();
  });

  it('requestPersistence() resolves a boolean (never rejects)', async () => {
    const granted = await requestPersistence();
    assertEqual(typeof granted, 'boolean', 'the answer');
  });
});
