// What only the IndexedDB backend promises, for node:test over fake-indexeddb and for mocha in
// Chromium: which durability each write asks for, and how an aborted transaction surfaces.
import { wrap, type IDBPDatabase } from 'idb';
import { IndexedDbCheckpointStorage, openIndexedDbStorage, settleTransaction } from '../../src/state/backends/indexeddb-storage.js';
import { lazyStorage } from '../../src/state/backends/lazy-storage.js';
import { assertBytes, assertEqual, assertKeys, assertRejects, type ContractRunner } from './storage-contract.js';

const bytes = (...values: number[]) => new Uint8Array(values);
const unique = (label: string) => `${label}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

type StorageFailure = { code?: unknown; cause?: unknown; details?: Record<string, unknown> };
const failedWith = (name: string) => (error: StorageFailure) =>
  error?.code === 'CHECKPOINT_STORAGE_FAILED' && (error.cause as { name?: unknown })?.name === name && error.details?.reason === name;

/** The transactions `action` opens, as 'store:mode:durability'. */
async function transactionsOf(action: () => Promise<unknown>): Promise<string[]> {
  const proto = IDBDatabase.prototype;
  const original = proto.transaction;
  const seen: string[] = [];
  proto.transaction = function (this: IDBDatabase, stores: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) {
    seen.push(`${[stores].flat().join(',')}:${mode ?? 'readonly'}:${options?.durability ?? 'default'}`);
    return original.call(this, stores, mode, options);
  } as typeof original;
  try {
    await action();
  } finally {
    proto.transaction = original;
  }
  return seen;
}

export function defineIndexedDbChecks(name: string, factory: IDBFactory, { describe, it }: ContractRunner): void {
  const open = (database = unique('weir-idb-checks')) => openIndexedDbStorage({ database, indexedDB: factory });
  /** A second, raw connection (idb-wrapped) to the storage's database. */
  const rawConnection = (database: string) => new Promise<IDBPDatabase>((resolve, reject) => {
    const request = factory.open(database);
    request.onsuccess = () => resolve(wrap(request.result));
    request.onerror = () => reject(request.error);
  });

  describe(`IndexedDbCheckpointStorage: ${name}`, () => {
    it("commits metadata writes and deletes with durability 'strict' and chunk writes 'relaxed', one transaction per call", async () => {
      const storage = await open();
      try {
        const writes = await transactionsOf(async () => {
          await storage.putChunk('c', bytes(1));
          await storage.putMetadata([{ key: 'a', bytes: bytes(1) }, { key: 'b', bytes: bytes(2) }, { key: 'c', bytes: bytes(3) }], { key: 'a', equals: undefined });
          await storage.deleteMetadata(['a', 'b']);
          await storage.deleteChunks(['c', 'd']);
        });
        assertKeys(writes, ['chunks:readwrite:relaxed', 'metadata:readwrite:strict', 'metadata:readwrite:strict', 'chunks:readwrite:relaxed'], 'transactions');
        const reads = await transactionsOf(async () => {
          await storage.getChunk('c');
          await storage.listMetadata('');
        });
        assertKeys(reads, ['chunks:readonly:default', 'metadata:readonly:default'], 'read transactions');
      } finally {
        await storage.close();
      }
    });

    it('putMetadataReading commits with its requests when its only condition is the add() of a key it writes, and resolves with what the reads held before the write', async () => {
      const storage = await open();
      const proto = IDBTransaction.prototype;
      const commit = proto.commit;
      const order: string[] = [];
      try {
        await storage.putMetadata([{ key: 'floor', bytes: bytes(7) }]);
        proto.commit = function (this: IDBTransaction) {
          order.push('commit');
          return commit.call(this);
        };
        const read = storage.putMetadataReading([{ key: 'batch/1', bytes: bytes(1) }, { key: 'floor', bytes: bytes(8) }], { key: 'batch/1', exists: false }, ['floor', 'missing', 'batch/1'])
          .then((values) => {
            order.push('answered');
            return values;
          });
        const values = await read;
        assertEqual(order.join(','), 'commit,answered', 'commit() asked for before any answer came back');
        assertEqual(values.length, 3, 'one value per read');
        assertBytes(values[0], bytes(7), 'the floor as it was before the write');
        assertEqual(values[1], undefined, 'a missing record reads as undefined');
        assertEqual(values[2], undefined, 'the written key as it was before the write');
        assertBytes(await storage.getMetadata('batch/1'), bytes(1), 'written');
        assertBytes(await storage.getMetadata('floor'), bytes(8), 'written');
        // The key taken: the add() fails after commit() was asked for, and the whole write rolls back.
        order.length = 0;
        await assertRejects(() => storage.putMetadataReading([{ key: 'batch/1', bytes: bytes(2) }, { key: 'floor', bytes: bytes(9) }], { key: 'batch/1', exists: false }, ['floor']),
          (error) => error?.code === 'STORAGE_FENCED', 'a taken key fences the write');
        assertEqual(order.join(','), 'commit', 'asked to commit at once');
        assertBytes(await storage.getMetadata('batch/1'), bytes(1), 'nothing of the fenced write landed');
        assertBytes(await storage.getMetadata('floor'), bytes(8), 'nothing of the fenced write landed');
        // Any other condition is checked before the commit, as putMetadata does.
        order.length = 0;
        await assertRejects(() => storage.putMetadataReading([{ key: 'batch/2', bytes: bytes(3) }], [{ key: 'batch/2', exists: false }, { key: 'floor', equals: bytes(7) }], ['floor']),
          (error) => error?.code === 'STORAGE_FENCED', 'a failing equals condition fences the write');
        assertEqual(order.join(','), '', 'never asked to commit');
        assertEqual(await storage.getMetadata('batch/2'), undefined, 'nothing written');
      } finally {
        proto.commit = commit;
        await storage.close();
      }
    });

    it("writes a chunk batch's puts, handed over in different tasks, in one 'relaxed' transaction per 4 MiB; a failing put rolls back all of its transaction", async () => {
      const injected = new Error('injected disk failure');
      const storage = await openIndexedDbStorage({ database: unique('weir-batch'), indexedDB: factory, failWrites: (op, key) => (op === 'putChunk' && key === 'x/3' ? injected : undefined) });
      // A turn as the browser's task scheduler takes them (a MessageChannel message, no timer's clamp):
      // the batch's pump gets about one answer per turn, as between a worker's encoding slices. A
      // timer's millisecond lets fake-indexeddb answer dozens of times: a caller that stopped putting.
      const nextTask = () => new Promise<void>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          channel.port1.close();
          resolve();
        };
        channel.port2.postMessage(0);
      });
      const putSpread = async (prefix: string) => {
        const batch = storage.openChunkBatch();
        if (batch === undefined) throw new Error('no batch with the connection open');
        const writes: Promise<unknown>[] = [];
        for (let i = 0; i < 4; i++) {
          writes.push(batch.put(`${prefix}/${i}`, bytes(i), () => {}).then(() => 'stored', (error: unknown) => error));
          await nextTask();
        }
        batch.end();
        return Promise.all(writes);
      };
      try {
        let outcomes: unknown[] = [];
        const opened = await transactionsOf(async () => (outcomes = await putSpread('ok')));
        assertKeys(opened, ['chunks:readwrite:relaxed'], 'transactions of the batch');
        assertKeys(outcomes as string[], ['stored', 'stored', 'stored', 'stored'], 'outcomes');
        assertKeys(await storage.listChunks('ok/'), ['ok/0', 'ok/1', 'ok/2', 'ok/3'], 'its chunks');
        const big = await transactionsOf(async () => {
          const batch = storage.openChunkBatch()!;
          const writes: Promise<void>[] = [];
          for (let i = 0; i < 5; i++) {
            writes.push(batch.put(`big/${i}`, new Uint8Array(1_500_000).fill(i), () => {}));
            await nextTask();
          }
          batch.end();
          await Promise.all(writes);
        });
        // Two transactions of at most 4 MiB each; a third when the pump fell behind the puts (on a
        // loaded machine its answers come slower than the caller's turns) and a chunk past 4 MiB of
        // waiting bytes went in a transaction of its own. A transaction per put would be five.
        assertEqual(big.length === 2 || big.length === 3, true, `a 7.5 MB batch in 2 or 3 transactions (got ${big.length})`);
        assertEqual(big.every((t) => t === 'chunks:readwrite:relaxed'), true, `every transaction of the batch is the chunk store's, 'relaxed' (got ${big.join(', ')})`);
        for (let i = 0; i < 5; i++) assertEqual((await storage.getChunk(`big/${i}`))?.[1_499_999], i, `big/${i}`);
        const failed = (await putSpread('x')) as StorageFailure[];
        for (const [i, f] of failed.entries()) assertEqual(f?.code === 'CHECKPOINT_STORAGE_FAILED' && f.cause === injected, true, `put ${i} rejects with the injected failure`);
        assertKeys(await storage.listChunks('x/'), [], 'nothing of the failed batch');
      } finally {
        await storage.close();
      }
    });

    it("makes a batch while the connection opens (lazyStorage: a worker's first checkpoint): its puts wait for the opening and share one transaction", async () => {
      let opened: IndexedDbCheckpointStorage | undefined;
      const storage = lazyStorage('indexeddb', async () => (opened = await open()));
      try {
        const writes = await transactionsOf(async () => {
          const batch = storage.openChunkBatch?.();
          if (batch === undefined) throw new Error('no batch while the connection opens');
          const given: string[] = [];
          const puts = ['l/0', 'l/1', 'l/2'].map((key, i) => batch.put(key, bytes(i, 7), () => given.push(key)));
          batch.end();
          await Promise.all(puts);
          assertKeys(given, ['l/0', 'l/1', 'l/2'], 'lent bytes given back');
        });
        assertKeys(writes.filter((w) => w.startsWith('chunks')), ['chunks:readwrite:relaxed'], 'chunk transactions of the batch (the opening has its own)');
        for (let i = 0; i < 3; i++) assertBytes(await storage.getChunk(`l/${i}`), bytes(i, 7), `l/${i}`);
      } finally {
        await opened?.close();
      }
    });

    it('commits a batch whose caller stopped putting without end() (a task held mid-snapshot): a read and a delete of the chunk store proceed', async () => {
      const storage = await open();
      try {
        const batch = storage.openChunkBatch();
        if (batch === undefined) throw new Error('no batch with the connection open');
        const stored = batch.put('held/1', bytes(7, 8), () => {}); // no end(): its transaction is open, its pump going
        assertBytes(await storage.getChunk('held/1'), bytes(7, 8), 'read after the batch\'s transaction'); // waits for it
        await stored;
        await storage.deleteChunks(['held/1']);
        assertKeys(await storage.listChunks('held/'), [], 'deleted');
        const later = batch.put('held/2', bytes(9), () => {}); // the batch goes on in a transaction of its own
        batch.end();
        await later;
        assertBytes(await storage.getChunk('held/2'), bytes(9), 'a later put of the same batch');
      } finally {
        await storage.close();
      }
    });

    it("copies the caller's bytes when no connection is open yet, and stores them as they were at the call", async () => {
      const database = unique('weir-lazy');
      const chunk = bytes(1, 2, 3);
      const first = new IndexedDbCheckpointStorage({ database, indexedDB: factory });
      const pendingChunk = first.putChunk('c', chunk);
      chunk.fill(9);
      await pendingChunk;
      const meta = bytes(4, 5);
      const second = new IndexedDbCheckpointStorage({ database, indexedDB: factory });
      const pendingMeta = second.putMetadata([{ key: 'm', bytes: meta }], { key: 'm', equals: undefined });
      meta.fill(9);
      await pendingMeta;
      assertBytes(await second.getChunk('c'), bytes(1, 2, 3), 'the chunk');
      assertBytes(await first.getMetadata('m'), bytes(4, 5), 'the record');
      await first.close();
      await second.close();
    });

    it('with its connection open, issues a write before the call returns (so it needs no copy of the bytes)', async () => {
      const storage = await open();
      try {
        const proto = IDBDatabase.prototype;
        const original = proto.transaction;
        const opened: string[] = [];
        proto.transaction = function (this: IDBDatabase, ...args: Parameters<typeof original>) {
          opened.push(`${[args[0]].flat().join(',')}:${args[1]}:${args[2]?.durability}`);
          return original.apply(this, args);
        } as typeof original;
        let pending: Promise<unknown>;
        try {
          pending = Promise.all([storage.putChunk('c', bytes(1)), storage.putMetadata([{ key: 'm', bytes: bytes(2) }])]);
        } finally {
          proto.transaction = original; // only transactions opened within the calls themselves count
        }
        await pending;
        assertKeys(opened, ['chunks:readwrite:relaxed', 'metadata:readwrite:strict'], 'transactions opened synchronously');
      } finally {
        await storage.close();
      }
    });

    it('rejects when a value cannot be cloned inside a transaction, and rolls back the puts issued before it', async () => {
      const storage = await open();
      const db = await rawConnection(storage.database);
      try {
        const tx = db.transaction('metadata', 'readwrite');
        await assertRejects(() => settleTransaction(tx, 'putMetadata', { test: true }, (t) => {
          void t.objectStore('metadata').put(bytes(1), 'first').catch(() => undefined);
          return t.objectStore('metadata').put(() => 'a function cannot be cloned', 'second');
        }), failedWith('DataCloneError'), 'a DataCloneError');
        assertEqual(tx.error, null, 'a transaction aborted by script has no error of its own');
        assertBytes(await storage.getMetadata('first'), undefined, 'the put before the failing one');
      } finally {
        db.close();
        await storage.close();
      }
    });

    it('rejects with the DOMException of a request that fails and aborts the transaction, and rolls back the rest', async () => {
      const storage = await open();
      await storage.putMetadata([{ key: 'taken', bytes: bytes(1) }]);
      const db = await rawConnection(storage.database);
      try {
        const tx = db.transaction('metadata', 'readwrite');
        const error = await assertRejects(() => settleTransaction(tx, 'putMetadata', { keys: ['first', 'taken'] }, async (t) => {
          void t.objectStore('metadata').put(bytes(2), 'first').catch(() => undefined);
          await t.objectStore('metadata').add(bytes(3), 'taken'); // ConstraintError: aborts the transaction
        }), failedWith('ConstraintError'), 'a ConstraintError');
        // Chromium runs the rejection's continuation inside the error event's dispatch, before
        // the transaction aborts itself: settleTransaction's abort comes first, so tx.error may be
        // null there and the cause is the request's error.
        const txError = tx.error as DOMException | null;
        if (txError !== null) assertEqual(error.cause, txError, "the cause is the transaction's error");
        assertKeys(error.details?.keys as string[], ['first', 'taken'], 'details keep the keys');
        assertBytes(await storage.getMetadata('first'), undefined, 'the put before the failing request');
        assertBytes(await storage.getMetadata('taken'), bytes(1), 'the record the failing request met');
      } finally {
        db.close();
        await storage.close();
      }
    });

    it('fails an open that a newer schema of the database refuses with the VersionError as cause, and never throws', async () => {
      const database = unique('weir-newer');
      await new Promise<void>((resolve, reject) => {
        const request = factory.open(database, 7);
        request.onsuccess = () => { request.result.close(); resolve(); };
        request.onerror = () => reject(request.error);
      });
      const storage = new IndexedDbCheckpointStorage({ database, indexedDB: factory });
      await assertRejects(() => storage.putMetadata([{ key: 'a', bytes: bytes(1) }]), failedWith('VersionError'), 'putMetadata');
      await assertRejects(() => openIndexedDbStorage({ database, indexedDB: factory }), failedWith('VersionError'), 'openIndexedDbStorage');
    });

    it('opens a new connection once when its connection was closed under it (InvalidStateError), and keeps the data', async () => {
      const storage = await open();
      try {
        await storage.putMetadata([{ key: 'a', bytes: bytes(1) }]);
        let connection: IDBDatabase | undefined;
        await transactionsOf(async () => {
          const proto = IDBDatabase.prototype;
          const spy = proto.transaction;
          proto.transaction = function (this: IDBDatabase, ...args: Parameters<typeof spy>) {
            connection ??= this;
            return spy.apply(this, args);
          } as typeof spy;
          try {
            await storage.getMetadata('a');
          } finally {
            proto.transaction = spy;
          }
        });
        if (connection === undefined) throw new Error('no transaction was seen');
        connection.close(); // as the browser may; no event tells the storage
        assertBytes(await storage.getMetadata('a'), bytes(1), 'read through a new connection');
        await storage.putMetadata([{ key: 'b', bytes: bytes(2) }]);
        assertKeys(await storage.listMetadata(''), ['a', 'b'], 'written through the new connection');
      } finally {
        await storage.close();
      }
    });

    it('does not block another context that deletes the database, and works again afterwards', async () => {
      const storage = await open();
      await storage.putChunk('k', bytes(1));
      await new Promise<void>((resolve, reject) => {
        const request = factory.deleteDatabase(storage.database);
        request.onblocked = () => reject(new Error('deleteDatabase was blocked by the open storage'));
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error);
      });
      assertBytes(await storage.getChunk('k'), undefined, 'after the delete');
      await storage.putChunk('k', bytes(2));
      assertBytes(await storage.getChunk('k'), bytes(2), 'written again');
      await storage.close();
    });
  });
}
