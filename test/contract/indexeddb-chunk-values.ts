// How the IndexedDB backend stores a chunk (src/state/backends/indexeddb-chunk-value.ts), for
// node:test over fake-indexeddb and for mocha in Chromium: a Blob of exactly the chunk's bytes,
// while the chunks earlier builds stored (Uint8Array values) still read back; a damaged chunk is
// still caught, by the chunk's checksum or, for a Blob that cannot be read, as corrupt data.
import { openIndexedDbStorage } from '../../src/state/backends/indexeddb-storage.js';
import { encodeChunk, verifyChunk } from '../../src/state/chunk-format.js';
import { assertBytes, assertEqual, assertRejects, patternBytes, type ContractRunner } from './storage-contract.js';

const unique = (label: string) => `${label}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const isCorrupt = (error: { code?: unknown }) => error?.code === 'CORRUPT_DATA';

export function defineIndexedDbChunkValueChecks(name: string, factory: IDBFactory, { describe, it }: ContractRunner): void {
  /** One request on a raw connection to `database`'s chunk store, in a transaction of its own. */
  const raw = (database: string, mode: IDBTransactionMode, use: (store: IDBObjectStore) => IDBRequest) => new Promise<unknown>((resolve, reject) => {
    const open = factory.open(database);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction('chunks', mode);
      let result: unknown;
      use(tx.objectStore('chunks')).onsuccess = (event) => {
        result = (event.target as IDBRequest).result;
      };
      tx.oncomplete = () => {
        db.close();
        resolve(result);
      };
      tx.onabort = () => {
        db.close();
        reject(tx.error);
      };
    };
  });

  describe(`IndexedDbCheckpointStorage chunk values: ${name}`, () => {
    it('stores a chunk as a Blob of exactly its bytes (a view into a larger buffer too), gives lent bytes back during the call, and reads it back', async () => {
      const database = unique('weir-blob-chunks');
      const storage = await openIndexedDbStorage({ database, indexedDB: factory });
      try {
        const pool = patternBytes(3_000_000, 3);
        const view = pool.subarray(1000, 1000 + 700_000);
        let given = false;
        const written = storage.putLentChunk('lent', view, () => {
          given = true;
        });
        assertEqual(given, true, 'the lent bytes were given back before putLentChunk returned');
        pool.fill(0, 1000, 1000 + 700_000); // the caller reuses its buffer at once
        await written;
        const batch = storage.openChunkBatch()!;
        let batchGiven = false;
        const batched = batch.put('batched', pool.subarray(0, 5), () => {
          batchGiven = true;
        });
        assertEqual(batchGiven, true, "a batch's put gave its bytes back before it returned");
        pool.fill(0xee, 0, 5);
        batch.end();
        await batched;
        await storage.putChunk('empty', new Uint8Array(0));
        const stored = await raw(database, 'readonly', (store) => store.get('lent'));
        assertEqual(stored instanceof Blob, true, `the stored value is a Blob (got ${Object.prototype.toString.call(stored)})`);
        assertEqual((stored as Blob).size, 700_000, "the Blob's size: the view's bytes, not its buffer's");
        assertBytes(await storage.getChunk('lent'), patternBytes(3_000_000, 3).subarray(1000, 1000 + 700_000), 'the chunk as it was when put');
        assertBytes(await storage.getChunk('batched'), patternBytes(3_000_000, 3).subarray(0, 5), 'the batched chunk as it was when put');
        assertBytes(await storage.getChunk('empty'), new Uint8Array(0), 'an empty chunk');
      } finally {
        await storage.close();
      }
    });

    it('reads the Uint8Array (and ArrayBuffer) chunks of earlier builds, and refuses a value that holds no bytes as corrupt data', async () => {
      const database = unique('weir-old-chunks');
      const storage = await openIndexedDbStorage({ database, indexedDB: factory });
      try {
        const old = encodeChunk('keyed-state', { k: 'a', v: [1, 2, 3] });
        await raw(database, 'readwrite', (store) => store.put(old, 'old'));
        await raw(database, 'readwrite', (store) => store.put(old.slice().buffer, 'old-buffer'));
        await raw(database, 'readwrite', (store) => store.put('not bytes', 'bad'));
        assertBytes(await storage.getChunk('old'), old, 'a Uint8Array value as stored by the builds before Blob values');
        assertEqual(verifyChunk((await storage.getChunk('old'))!, 'keyed-state').kind, 'keyed-state', 'and it verifies');
        assertBytes(await storage.getChunk('old-buffer'), old, 'an ArrayBuffer value');
        await assertRejects(() => storage.getChunk('bad'), isCorrupt, 'a string under a chunk key');
      } finally {
        await storage.close();
      }
    });

    it("a Blob chunk with a damaged byte fails its checksum; a Blob whose bytes cannot be read back rejects as corrupt data", async () => {
      const database = unique('weir-damaged-blob');
      const storage = await openIndexedDbStorage({ database, indexedDB: factory });
      const proto = Blob.prototype;
      const arrayBuffer = proto.arrayBuffer;
      try {
        const chunk = encodeChunk('keyed-state', { k: 'key', v: 'x'.repeat(5000) });
        await storage.putChunk('c', chunk);
        const damaged = new Uint8Array(await ((await raw(database, 'readonly', (store) => store.get('c'))) as Blob).arrayBuffer());
        damaged[damaged.length >> 1]! ^= 0x40;
        await raw(database, 'readwrite', (store) => store.put(new Blob([damaged]), 'c'));
        const read = (await storage.getChunk('c'))!;
        assertBytes(read, damaged, 'the damaged bytes are what is read');
        let caught: unknown;
        try {
          verifyChunk(read, 'keyed-state');
        } catch (error) {
          caught = error;
        }
        assertEqual(isCorrupt(caught as { code?: unknown }), true, `the chunk's checksum catches the damage (${String(caught)})`);
        proto.arrayBuffer = function () {
          return Promise.reject(new DOMException('the file is gone', 'NotReadableError'));
        };
        const failure = await assertRejects(() => storage.getChunk('c'), isCorrupt, 'an unreadable Blob');
        assertEqual(failure.details?.key, 'c', 'the error names the key');
      } finally {
        proto.arrayBuffer = arrayBuffer;
        await storage.close();
      }
    });
  });
}
