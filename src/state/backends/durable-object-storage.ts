// CheckpointStorage in a Durable Object's SQLite storage (`ctx.storage` of a class declared
// under `new_sqlite_classes`): Cloudflare's durable backend. EDGE.md has the platform facts.
//
// Two tables, weir_chunks and weir_metadata: (key BLOB, part INTEGER, bytes BLOB), primary key
// (key, part). A value is split into rows of at most 1 MiB: Cloudflare refuses rows over 2 MB,
// and Miniflare does not (it fails only near 2.2 MB), so Weir keeps its own limit well below
// it. Keys are stored as ordered-key-bytes, so SQLite's memcmp order of BLOBs is the contract's
// UTF-16 order and lone surrogates survive.
//
// Every write runs inside `transactionSync`: its statements commit together or not at all,
// and a throw inside it (a failed condition, an injected failure, SQLITE_FULL) rolls back what
// it wrote, which a plain write followed by a throw would not (EDGE.md, verified). The condition
// of a metadata batch is read inside the same transaction as its writes. Everything runs
// synchronously during the call: the bytes are stored as they are at the call, with no copy. A
// checkpoint's chunks go through a chunk batch (durable-object-chunk-batch.ts), one transaction
// when the snapshot ends, since every turn that writes costs a commit.
// Durability: the object's output gate holds every response and outgoing message until the
// transaction is durable, so nothing outside the object learns of a write that could be lost.
import { InvalidArgumentError, WeirError } from '../../errors/index.js';
import { conditionHolds, fencedError, validateStorageKey, type CheckpointStorage, type ChunkBatch, type MetadataCondition, type MetadataConditions } from '../checkpoint-storage.js';
import { checkedBytes, checkedCondition, checkedConditions, type CheckedCondition, checkedKeys, checkedPrefix, checkedRecords, lastPerKey, storageFailed, type FailWrites } from './backend-support.js';
import { DurableObjectChunkBatch } from './durable-object-chunk-batch.js';
import { keyFromBytes, keyToBytes, prefixRange } from './ordered-key-bytes.js';

/** What Weir uses of a SQLite-backed Durable Object's `ctx.storage` (DurableObjectStorage). */
export interface DurableObjectStorageLike {
  readonly sql: { exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[] } };
  transactionSync<T>(closure: () => T): T;
}

export interface DurableObjectStorageOptions {
  /** Test hook: an error returned for a key fails that write inside its transaction (nothing of it is stored). */
  failWrites?: FailWrites;
}

/** Rows of at most this many bytes; Cloudflare's limit is 2 MB per row. */
export const DURABLE_OBJECT_PART_BYTES = 1 << 20;

type Table = 'weir_chunks' | 'weir_metadata';
const TABLES: readonly Table[] = ['weir_chunks', 'weir_metadata'];
/** Stands for "some bytes" where a condition asks only whether its record exists. */
const PRESENT = new Uint8Array(0);

export class DurableObjectCheckpointStorage implements CheckpointStorage {
  readonly kind = 'durable-object';
  readonly contextBound = true;
  readonly #storage: DurableObjectStorageLike;
  readonly #failWrites: FailWrites | undefined;

  constructor(storage: DurableObjectStorageLike, options: DurableObjectStorageOptions = {}) {
    checkDurableObjectStorage(storage, 'storage');
    this.#storage = storage;
    this.#failWrites = options.failWrites;
    this.#createTables();
  }

  async putChunk(key: string, bytes: Uint8Array): Promise<void> {
    validateStorageKey(key, 'key');
    checkedBytes(bytes, 'bytes');
    this.#write('putChunk', { key }, () => {
      const failure = this.#failWrites?.('putChunk', key);
      if (failure !== undefined) throw storageFailed('durable-object', 'putChunk', failure, { key });
      this.#put('weir_chunks', keyToBytes(key), bytes);
    });
  }

  /** putChunk, which stores the bytes during the call: `done` is called before it returns, so the lender may reuse them at once. */
  putLentChunk(key: string, bytes: Uint8Array, done?: () => void): Promise<void> {
    const write = this.putChunk(key, bytes);
    done?.();
    return write;
  }

  /** A snapshot's chunks in one transaction, written when it ends (durable-object-chunk-batch.ts: one commit instead of one per slice). */
  openChunkBatch(): ChunkBatch {
    return new DurableObjectChunkBatch((chunks) => {
      this.#write('putChunk', { keys: chunks.map((c) => c.key) }, () => {
        for (const { key, bytes } of chunks) {
          const failure = this.#failWrites?.('putChunk', key);
          if (failure !== undefined) throw storageFailed('durable-object', 'putChunk', failure, { key });
          this.#put('weir_chunks', keyToBytes(key), bytes);
        }
      });
    });
  }

  async getChunk(key: string): Promise<Uint8Array | undefined> {
    validateStorageKey(key, 'key');
    return this.#run('getChunk', { key }, () => this.#get('weir_chunks', keyToBytes(key)));
  }

  /** With a condition, checked in the deletes' transaction: a superseded writer deletes nothing. */
  async deleteChunks(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    checkedKeys(keys);
    const expected = condition === undefined ? undefined : checkedCondition(condition);
    this.#write('deleteChunks', {}, () => {
      this.#check(expected);
      this.#delete('weir_chunks', keys);
    });
  }

  async listChunks(prefix: string): Promise<string[]> {
    checkedPrefix(prefix);
    return this.#run('listChunks', { prefix }, () => this.#list('weir_chunks', prefix));
  }

  async putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions): Promise<void> {
    this.putMetadataSync(records, condition);
  }

  /** putMetadata, synchronously (see getMetadataSync). Throws instead of rejecting. */
  putMetadataSync(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions): void {
    const batch = lastPerKey(checkedRecords(records));
    const conditions = checkedConditions(condition);
    this.#write('putMetadata', { keys: batch.map((r) => r.key) }, () => {
      for (const expected of conditions) this.#check(expected);
      for (const { key, bytes } of batch) {
        const failure = this.#failWrites?.('putMetadata', key);
        if (failure !== undefined) throw storageFailed('durable-object', 'putMetadata', failure, { key });
        this.#put('weir_metadata', keyToBytes(key), bytes);
      }
    });
  }

  async getMetadata(key: string): Promise<Uint8Array | undefined> {
    return this.getMetadataSync(key);
  }

  /**
   * getMetadata, synchronously (SQLite storage is): for a check that must run in the same turn,
   * or the same transaction, as the write it guards. Throws instead of rejecting.
   */
  getMetadataSync(key: string): Uint8Array | undefined {
    validateStorageKey(key, 'key');
    return this.#run('getMetadata', { key }, () => this.#get('weir_metadata', keyToBytes(key)));
  }

  /** Runs `body` in one transaction of this storage: every write this backend makes in it lands, or none. */
  transaction<T>(body: () => T): T {
    return this.#storage.transactionSync(body);
  }

  async deleteMetadata(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    checkedKeys(keys);
    const expected = condition === undefined ? undefined : checkedCondition(condition);
    this.#write('deleteMetadata', {}, () => {
      this.#check(expected);
      this.#delete('weir_metadata', keys);
    });
  }

  /** Must run inside the transaction of the write it guards. Whether a record exists is asked of its first part alone. */
  #check(expected: CheckedCondition | undefined): void {
    if (expected === undefined) return;
    const key = keyToBytes(expected.key);
    const stored = typeof expected.expect === 'string'
      ? (this.#storage.sql.exec('SELECT 1 FROM weir_metadata WHERE key = ? AND part = 0 LIMIT 1', key).toArray().length > 0 ? PRESENT : undefined)
      : this.#get('weir_metadata', key);
    if (!conditionHolds(expected.expect, stored)) throw fencedError(expected.original);
  }

  async listMetadata(prefix: string): Promise<string[]> {
    checkedPrefix(prefix);
    return this.#run('listMetadata', { prefix }, () => this.#list('weir_metadata', prefix));
  }

  #createTables(): void {
    for (const table of TABLES) {
      this.#storage.sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (key BLOB NOT NULL, part INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (key, part))`);
    }
  }

  #put(table: Table, key: Uint8Array, bytes: Uint8Array): void {
    const { sql } = this.#storage;
    sql.exec(`DELETE FROM ${table} WHERE key = ?`, key);
    if (bytes.byteLength === 0) sql.exec(`INSERT INTO ${table} (key, part, bytes) VALUES (?, 0, ?)`, key, bytes);
    for (let offset = 0, part = 0; offset < bytes.byteLength; offset += DURABLE_OBJECT_PART_BYTES, part++) {
      sql.exec(`INSERT INTO ${table} (key, part, bytes) VALUES (?, ?, ?)`, key, part, bytes.subarray(offset, offset + DURABLE_OBJECT_PART_BYTES));
    }
  }

  #get(table: Table, key: Uint8Array): Uint8Array | undefined {
    const rows = this.#storage.sql.exec(`SELECT bytes FROM ${table} WHERE key = ? ORDER BY part`, key).toArray();
    if (rows.length === 0) return undefined;
    const parts = rows.map((row) => new Uint8Array(row.bytes as ArrayBuffer)); // a new buffer per row
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.byteLength;
    }
    return out;
  }

  #delete(table: Table, keys: readonly string[]): void {
    for (const key of keys) this.#storage.sql.exec(`DELETE FROM ${table} WHERE key = ?`, keyToBytes(key));
  }

  #list(table: Table, prefix: string): string[] {
    const { start, end } = prefixRange(prefix);
    const rows = end === undefined
      ? this.#storage.sql.exec(`SELECT key FROM ${table} WHERE part = 0 ORDER BY key`).toArray()
      : this.#storage.sql.exec(`SELECT key FROM ${table} WHERE part = 0 AND key >= ? AND key < ? ORDER BY key`, start, end).toArray();
    return rows.map((row) => keyFromBytes(new Uint8Array(row.key as ArrayBuffer)));
  }

  /** A write: one transaction, rolled back by any throw in it. */
  #write(op: string, details: Record<string, unknown>, body: () => void): void {
    this.#run(op, details, () => this.#storage.transactionSync(body));
  }

  /**
   * Runs a statement sequence; the object's own `deleteAll()` drops the tables, so a missing
   * table is created and the sequence run once more. A WeirError (fenced, a bad key) passes as
   * it is; anything else becomes a storage failure with the SQLite error as its cause.
   */
  #run<T>(op: string, details: Record<string, unknown>, body: () => T): T {
    try {
      try {
        return body();
      } catch (error) {
        if (!/no such table/.test(String((error as Error)?.message))) throw error;
        this.#createTables();
        return body();
      }
    } catch (error) {
      throw error instanceof WeirError ? error : storageFailed('durable-object', op, error, details);
    }
  }
}

/**
 * Checks that `storage` is a SQLite-backed Durable Object storage, naming `argument` and the
 * fix: a class with the legacy key-value backend has no usable `sql`.
 */
export function checkDurableObjectStorage(storage: unknown, argument: string): asserts storage is DurableObjectStorageLike {
  const s = storage as Partial<DurableObjectStorageLike> | null | undefined;
  if (typeof s !== 'object' || s === null || typeof s.transactionSync !== 'function') {
    const got = s === null ? 'null' : typeof s === 'object' ? 'an object without transactionSync' : typeof s;
    throw new InvalidArgumentError(argument, `expected a Durable Object's ctx.storage (with sql and transactionSync), got ${got}`);
  }
  let sql: unknown;
  try {
    sql = s.sql;
  } catch (error) {
    throw sqliteRequired(argument, error);
  }
  if (typeof sql !== 'object' || sql === null || typeof (sql as { exec?: unknown }).exec !== 'function') throw sqliteRequired(argument, undefined);
  try {
    (sql as DurableObjectStorageLike['sql']).exec('SELECT 1');
  } catch (error) {
    throw sqliteRequired(argument, error);
  }
}

function sqliteRequired(argument: string, cause: unknown): InvalidArgumentError {
  return new InvalidArgumentError(argument, 'this Durable Object has no SQLite storage: declare its class under `new_sqlite_classes` in wrangler.toml (Miniflare: `useSQLite: true`)', { cause });
}

const opened = new WeakMap<object, DurableObjectCheckpointStorage>();

/** One backend per `ctx.storage` (every run() and readTable() of an object shares it); checks it, naming `argument`. */
export function durableObjectStorageFor(storage: unknown, argument: string): DurableObjectCheckpointStorage {
  checkDurableObjectStorage(storage, argument);
  let backend = opened.get(storage);
  if (backend === undefined) opened.set(storage, (backend = new DurableObjectCheckpointStorage(storage)));
  return backend;
}
