// CheckpointStorage in IndexedDB, through idb: the browser's durable backend (the page and its
// workers open the same database by name). PLATFORM-LIMITS: IndexedDB is bound per request, not
// per byte, so the caller stores few large values; a commit costs ~0.5 ms, 'strict' ~0.25 ms more.
import { unwrap, type IDBPTransaction } from 'idb';
import { CorruptDataError, WeirError } from '../../errors/index.js';
import { conditionHolds, fencedError, validateStorageKey, type CheckpointStorage, type ChunkBatch, type MetadataCondition, type MetadataConditions, type StorageDescriptor } from '../checkpoint-storage.js';
import { isWholeBuffer } from './exact-bytes.js';
import { IndexedDbChunkBatch } from './indexeddb-chunk-batch.js';
import { chunkBytes, chunkValue, type ChunkValue } from './indexeddb-chunk-value.js';
import { openConnection, type Database, type StoreName, type WeirStorageSchema } from './indexeddb-connection.js';
import { checkedCondition, checkedConditions, checkedKeys, type CheckedCondition, checkedPrefix, checkedRecords, checkedBytes, storageFailed, type FailWrites } from './backend-support.js';

// Typed as readwrite so that bodies may write; #run opens readonly ones for reads.
type Transaction = IDBPTransaction<WeirStorageSchema, StoreName[], 'readwrite'>;

export interface IndexedDbStorageOptions {
  /** The database name; every context that opens the same name shares the data. Default 'weir'. */
  database?: string;
  /**
   * The IDBFactory to open it with; default the global `indexedDB`. idb recognises requests and
   * transactions by the global IDB classes (instanceof), so they must be this factory's: in Node
   * tests import 'fake-indexeddb/auto' and pass its `indexedDB`.
   */
  indexedDB?: IDBFactory;
  /** Test hook: an error returned for a key aborts that write's transaction (after the earlier puts of a batch were issued). */
  failWrites?: FailWrites;
}

/**
 * Two object stores, 'chunks' and 'metadata', keyed by the storage key; values are Uint8Array
 * copies of exactly the written bytes.
 *
 * Failures: every operation that fails rejects with a WeirError of code
 * 'CHECKPOINT_STORAGE_FAILED' whose `cause` is the DOMException that failed the transaction
 * (its `error`, e.g. QuotaExceededError, else the failed request's) and whose
 * `details.reason` is that exception's name, so `error.details.reason === 'QuotaExceededError'`
 * tells a full quota apart without unwrapping. A failed condition rejects with fencedError().
 * A transaction that aborts stores nothing of its operation.
 */
export class IndexedDbCheckpointStorage implements CheckpointStorage {
  readonly kind = 'indexeddb';
  readonly database: string;
  readonly workerDescriptor: StorageDescriptor;
  readonly #factory: IDBFactory | undefined;
  readonly #failWrites: FailWrites | undefined;
  #connection: Promise<Database> | undefined;
  #connected: Database | undefined; // what #connection resolved to
  #closed = false;

  /** Opens the database lazily, on the first operation; openIndexedDbStorage() opens it at once. */
  constructor(options: IndexedDbStorageOptions = {}) {
    this.database = options.database ?? 'weir';
    validateStorageKey(this.database, 'database');
    this.#factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    this.#failWrites = options.failWrites;
    this.workerDescriptor = { kind: 'indexeddb', database: this.database };
  }

  /** Resolves once the database is open (and created or upgraded). */
  async ready(): Promise<void> {
    await this.#db();
  }

  /** Closes the connection once running transactions finish; later operations reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    this.#connected = undefined;
    if (connection !== undefined) (await connection.catch(() => undefined))?.close();
  }

  // Chunks are stored as Blobs (indexeddb-chunk-value.ts): `new Blob([bytes])` copies exactly the
  // view's bytes at the call, once, and the browser takes them to its own process asynchronously;
  // a Uint8Array put() is cloned twice on this thread (serialised, then wrapped into a blob of its
  // own by Chromium above 64 kB). So the caller's bytes are free once the call returns, lent or not.

  // Chunk writes stay 'relaxed': nothing refers to a chunk until a strict metadata write does.
  async putChunk(key: string, bytes: Uint8Array): Promise<void> {
    return this.#putChunk(key, bytes, undefined);
  }

  /** The bytes are copied into a Blob during the call: `done` is called before this returns. */
  async putLentChunk(key: string, bytes: Uint8Array, done?: () => void): Promise<void> {
    return this.#putChunk(key, bytes, done);
  }

  /** One transaction for a snapshot's chunks (indexeddb-chunk-batch.ts); none while the connection opens. */
  openChunkBatch(): ChunkBatch | undefined {
    const db = this.#closed ? undefined : this.#connected;
    if (db === undefined) return undefined;
    return new IndexedDbChunkBatch(unwrap(db) as IDBDatabase, this.database, (key, value) => this.#putValue(key, value), this.#failWrites);
  }

  #putChunk(key: string, bytes: Uint8Array, done: (() => void) | undefined): Promise<void> {
    let value: ChunkValue;
    try {
      validateStorageKey(key, 'key');
      value = chunkValue(checkedBytes(bytes, 'bytes'));
    } finally {
      done?.();
    }
    return this.#putValue(key, value);
  }

  #putValue(key: string, value: ChunkValue): Promise<void> {
    return this.#run('chunks', 'readwrite', 'relaxed', 'putChunk', { key }, (tx) => {
      const failure = this.#failWrites?.('putChunk', key);
      if (failure !== undefined) throw failure;
      return tx.objectStore('chunks').put(value, key);
    }).then(() => undefined);
  }

  async getChunk(key: string): Promise<Uint8Array | undefined> {
    validateStorageKey(key, 'key');
    const value: unknown = await this.#run('chunks', 'readonly', 'default', 'getChunk', { key }, (tx) => tx.objectStore('chunks').get(key));
    return chunkBytes(value, key);
  }

  async deleteChunks(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    checkedKeys(keys);
    const expected = condition === undefined ? undefined : checkedCondition(condition);
    if (keys.length > 0 || expected !== undefined) await this.#deleteAll('chunks', 'relaxed', keys, expected);
  }

  async listChunks(prefix: string): Promise<string[]> {
    return this.#list('chunks', checkedPrefix(prefix));
  }

  /**
   * Must commit all records in ONE 'strict' readwrite transaction and resolve only after
   * tx.done: that is the commit point. The condition is read inside the same transaction, so no
   * other writer (another tab, a worker) can slip in between the check and the puts.
   */
  async putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions): Promise<void> {
    await this.#putMetadata(records, condition, []);
  }

  /** putMetadata that also gets `reads` first in its transaction; with only add() conditions, commit() goes out with the requests. */
  putMetadataReading(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition: MetadataConditions | undefined, reads: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    try {
      return this.#putMetadata(records, condition, checkedKeys(reads));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition: MetadataConditions | undefined, reads: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    const entries = checkedRecords(records).map(({ key, bytes }) => ({ key, value: clonedAsIs(bytes) }));
    const conditions = checkedConditions(condition);
    // A condition that a key the batch writes is absent (an input log's claim of its next offset)
    // is that key's add(): IndexedDB refuses it (ConstraintError) where the key exists, in the
    // same request, saving a read (PLATFORM-LIMITS: a request costs ~62 µs).
    const added = new Map(conditions.filter((c) => c.expect === 'absent' && entries.filter((e) => e.key === c.key).length === 1).map((c) => [c.key, c.original]));
    const read = conditions.filter((c) => c.expect !== 'absent' || !added.has(c.key));
    return this.#run('metadata', 'readwrite', 'strict', 'putMetadata', { keys: entries.map((r) => r.key) }, (tx) => {
      // Every request is issued now, the conditions' reads first: requests run in order, so they
      // read the state before these puts, and an abort after them rolls the puts back.
      const store = tx.objectStore('metadata');
      const current = read.map((expected) => readFor(store, expected));
      for (const get of current) get.catch(() => undefined); // awaited below unless a failure below comes first
      const looked = reads.map((key) => store.get(key).then((value) => stored(value, key)));
      for (const get of looked) get.catch(() => undefined);
      const puts: Promise<unknown>[] = [];
      for (const { key, value } of entries) {
        const failure = this.#failWrites?.('putMetadata', key);
        if (failure !== undefined) throw failure; // settleTransaction aborts: the puts issued so far roll back
        const condition = added.get(key);
        const put = condition === undefined ? store.put(value, key) : store.add(value, key).catch((error: unknown) => {
          throw (error as { name?: unknown }).name === 'ConstraintError' ? fencedError(condition) : error;
        });
        put.catch(() => undefined); // rejects with AbortError if the transaction aborts; settleTransaction reports why
        puts.push(put);
      }
      if (read.length === 0) {
        commitNow(tx);
        return Promise.all(puts).then(() => Promise.all(looked));
      }
      return (async () => {
        for (const [i, expected] of read.entries()) {
          if (!conditionHolds(expected.expect, await current[i])) throw fencedError(expected.original);
        }
        commitNow(tx);
        await Promise.all(puts);
        return Promise.all(looked);
      })();
    }, () => { for (const entry of entries) entry.value = entry.value.slice(); });
  }

  async getMetadata(key: string): Promise<Uint8Array | undefined> {
    validateStorageKey(key, 'key');
    return stored(await this.#run('metadata', 'readonly', 'default', 'getMetadata', { key }, (tx) => tx.objectStore('metadata').get(key)), key);
  }

  async deleteMetadata(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    checkedKeys(keys);
    const expected = condition === undefined ? undefined : checkedCondition(condition);
    if (keys.length > 0 || expected !== undefined) await this.#deleteAll('metadata', 'strict', keys, expected);
  }

  async listMetadata(prefix: string): Promise<string[]> {
    return this.#list('metadata', checkedPrefix(prefix));
  }

  /**
   * Must read a condition in the same transaction as the deletes (a chunk delete's then spans
   * both stores) and abort before any delete runs when it does not hold: requests run in order,
   * so the deletes are issued only after the condition's get answered.
   */
  #deleteAll(store: StoreName, durability: IDBTransactionDurability, keys: readonly string[], expected?: CheckedCondition): Promise<void> {
    const stores: StoreName[] = expected === undefined || store === 'metadata' ? [store] : [store, 'metadata'];
    return this.#run(stores, 'readwrite', durability, store === 'chunks' ? 'deleteChunks' : 'deleteMetadata', { keys }, async (tx) => {
      if (expected !== undefined && !conditionHolds(expected.expect, await readFor(tx.objectStore('metadata'), expected))) throw fencedError(expected.original);
      const deletes = keys.map((key) => tx.objectStore(store).delete(key));
      commitNow(tx);
      await Promise.all(deletes);
    });
  }

  async #list(store: StoreName, prefix: string): Promise<string[]> {
    // IndexedDB orders string keys by UTF-16 code units, as the contract asks.
    const keys = await this.#run(store, 'readonly', 'default', store === 'chunks' ? 'listChunks' : 'listMetadata', { prefix },
      (tx) => tx.objectStore(store).getAllKeys(prefixRange(prefix)));
    return keys as string[];
  }

  /**
   * Runs `body` in a new transaction and resolves with its result once it committed. With a
   * connection open, the transaction is created and `body` called before this returns (the
   * caller has not regained control); otherwise `snapshot` runs first, still synchronously, and
   * `body` once a connection is open.
   */
  #run<T>(store: StoreName | StoreName[], mode: IDBTransactionMode, durability: IDBTransactionDurability, op: string,
    details: Record<string, unknown>, body: (tx: Transaction) => T | Promise<T>, snapshot?: () => void): Promise<T> {
    const info = { database: this.database, ...details };
    const db = this.#closed ? undefined : this.#connected;
    const stores = Array.isArray(store) ? store : [store];
    if (db !== undefined) {
      try {
        return settleTransaction(db.transaction(stores, mode, { durability }) as unknown as Transaction, op, info, body);
      } catch {
        this.#forget(db); // closed under us (InvalidStateError): the path below reopens, or reports the error
      }
    }
    snapshot?.();
    return this.#transaction(stores, mode, durability, op, details).then((tx) => settleTransaction(tx, op, info, body));
  }

  async #transaction(stores: StoreName[], mode: IDBTransactionMode, durability: IDBTransactionDurability, op: string, details: Record<string, unknown>): Promise<Transaction> {
    for (let attempt = 0; ; attempt++) {
      const db = await this.#db().catch((error: unknown) => {
        throw error instanceof WeirError ? error : storageFailed('indexeddb', op, error, { database: this.database, ...details });
      });
      try {
        return db.transaction(stores, mode, { durability }) as unknown as Transaction;
      } catch (error) {
        // InvalidStateError: the connection was closed under us (versionchange); open a new one once.
        if (attempt === 0 && (error as { name?: unknown }).name === 'InvalidStateError' && !this.#closed) {
          this.#forget(db);
          continue;
        }
        throw storageFailed('indexeddb', op, error, { database: this.database, ...details });
      }
    }
  }

  #db(): Promise<Database> {
    if (this.#closed) return Promise.reject(new WeirError('CHECKPOINT_STORAGE_FAILED', `indexeddb storage '${this.database}' is closed`, { domain: 'internal', retryable: false, details: { backend: 'indexeddb', database: this.database } }));
    if (this.#connection === undefined) {
      const factory = this.#factory;
      if (factory === undefined) {
        return Promise.reject(new WeirError('CHECKPOINT_STORAGE_FAILED', 'IndexedDB is not available in this context', { domain: 'external', retryable: false, details: { backend: 'indexeddb', database: this.database } }));
      }
      const connection = openConnection(factory, this.database, (db) => this.#forget(db));
      this.#connection = connection;
      connection.then((db) => { if (this.#connection === connection) this.#connected = db; }, () => { if (this.#connection === connection) this.#connection = undefined; });
    }
    return this.#connection;
  }

  /** Drops a connection that closed (another context upgrades or deletes the database); the next operation reopens. */
  #forget(db: Database): void {
    if (this.#connected !== db) return;
    this.#connection = undefined;
    this.#connected = undefined;
  }
}

/**
 * Runs `body` in the (idb-wrapped) transaction `tx` and resolves with its result once `tx`
 * completed. Must abort `tx` when `body` throws or rejects (requests it already issued must not
 * commit), and must reject, never throw: a WeirError other than a storage failure (fenced,
 * corrupt data) as it is, anything else as storageFailed() with the transaction's error (a
 * QuotaExceededError is reported there; the failed request's own error is then often only an
 * AbortError) or else the thrown error as cause. Exported for the Chromium abort tests.
 */
export async function settleTransaction<Tx extends { readonly done: Promise<void>; readonly error: DOMException | null; abort(): void }, T>(
  tx: Tx, op: string, details: Record<string, unknown>, body: (tx: Tx) => T | Promise<T>): Promise<T> {
  const done = tx.done;
  done.catch(() => undefined); // observed below; a rejection must never go unhandled
  try {
    const result = await body(tx);
    await done;
    return result;
  } catch (error) {
    abortQuietly(tx);
    await done.catch(() => undefined);
    if (error instanceof WeirError && error.code !== 'CHECKPOINT_STORAGE_FAILED') throw error;
    throw storageFailed('indexeddb', op, tx.error ?? error, details);
  }
}

/** Opens (creating if needed) the database and resolves once it is usable. */
export async function openIndexedDbStorage(options: IndexedDbStorageOptions = {}): Promise<IndexedDbCheckpointStorage> {
  const storage = new IndexedDbCheckpointStorage(options);
  await storage.ready();
  return storage;
}

/**
 * Asks the browser not to evict this origin's storage (DESIGN: checkpoints must survive storage
 * pressure). Resolves false where the Storage API is missing, refuses, or fails.
 */
export async function requestPersistence(): Promise<boolean> {
  const storage = (globalThis as { navigator?: { storage?: { persist?: () => Promise<boolean> } } }).navigator?.storage;
  if (typeof storage?.persist !== 'function') return false;
  try {
    return (await storage.persist()) === true;
  } catch {
    return false;
  }
}

/** Keys that start with `prefix`: [prefix, the first string after all of them). */
export function prefixRange(prefix: string): IDBKeyRange | undefined {
  if (prefix === '') return undefined;
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--;
  if (end === 0) return IDBKeyRange.lowerBound(prefix);
  const upper = prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1);
  return IDBKeyRange.bound(prefix, upper, false, true);
}

// A structured-clone read is already a fresh copy; older or foreign writers may have stored an ArrayBuffer.
function stored(value: unknown, key: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new CorruptDataError(`indexeddb storage: the value under '${key}' is not bytes`, { key });
}

/**
 * What a condition needs of its record, as it is now in this transaction: only its key when the
 * condition asks whether it exists (getKey: its value is neither read nor sent to this thread),
 * else its bytes. Resolves with the bytes, or for getKey with any bytes when the key is there.
 */
function readFor(store: { get(key: string): Promise<unknown>; getKey(key: string): Promise<unknown> }, expected: CheckedCondition): Promise<Uint8Array | undefined> {
  if (typeof expected.expect !== 'string') return store.get(expected.key).then((value) => stored(value, expected.key));
  return store.getKey(expected.key).then((key) => (key === undefined ? undefined : PRESENT));
}

const PRESENT = new Uint8Array(0);

/**
 * Tells IndexedDB that every request of `tx` is issued: it commits once they are done, without
 * waiting for their results to reach this thread first (a round trip; up to ~⅓ of a small strict
 * transaction in Chromium). A request that fails still aborts it (its error event is not
 * cancelled), so a failed add() rolls back the whole batch. Where commit() is missing, or the
 * transaction is no longer active, it commits on its own as before.
 */
function commitNow(tx: { commit?: () => void }): void {
  try {
    tx.commit?.();
  } catch {
    // not active any more: it commits by itself once its requests are done
  }
}

/** `bytes` itself when IndexedDB's clone of it holds exactly its bytes (exact-bytes.ts), else a copy. */
function clonedAsIs(bytes: Uint8Array): Uint8Array {
  return isWholeBuffer(bytes) ? bytes : bytes.slice();
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // already committed or aborted
  }
}
