// Few IndexedDB transactions for the chunks of one checkpoint snapshot (CheckpointStorage's
// openChunkBatch), written while they are encoded. A readwrite transaction per chunk costs the
// browser's backend a commit each (the raw bench side: one transaction per value took up to 2× one
// transaction for all); one transaction for all of them would write nothing before the encoding
// ended (the browser writes a transaction's large values, as blob files, at its commit). So a
// transaction takes chunks until it holds GROUP_BYTES, then commits while the next one takes more.
//
// A transaction takes requests only while it is active: in the task that made it and in its
// requests' callbacks. Chunks come from the task scheduler's slices instead, so the batch keeps one
// cheap request outstanding (the pump: getKey of a key no caller can store) and puts what arrived
// meanwhile in its callback. The worker is busy encoding, so a pump's answer waits for the end of
// a slice: about one request per slice, and the queue it finds holds a slice's chunks.
import { WeirError } from '../../errors/index.js';
import { validateStorageKey, type ChunkBatch } from '../checkpoint-storage.js';
import { checkedBytes, storageFailed, type FailWrites } from './backend-support.js';
import { chunkValue, chunkValueSize, type ChunkValue } from './indexeddb-chunk-value.js';

/** Keys never hold NUL (validateStorageKey), so this one is never stored: reading it reads nothing. */
const PUMP_KEY = '\0pump';
/**
 * Bytes waiting for the pump (as Blobs, made at the put), at most: a chunk beyond them goes in a
 * transaction of its own (`alone`). Bounds what is held while the batch's transaction waits
 * behind another one on the same store (another worker's batch).
 */
const MAX_WAITING_BYTES = 4 * 1024 * 1024;
/**
 * A transaction that took this much commits and the next put begins another: the browser writes
 * a transaction's large values (blob files) at its commit, so one transaction for a whole
 * snapshot would write nothing until the encoding ended; a few keep the writes overlapping it.
 */
const GROUP_BYTES = 4 * 1024 * 1024;
/**
 * Answers of the pump in a row that found nothing waiting, after which the transaction commits
 * (the next put begins another). The pump answers about once per slice while the task encodes,
 * and a slice of encoding frames a chunk or more, so a few idle answers in a row mean the caller
 * stopped putting (a task held for credit, a snapshot given up without end()): its transaction
 * must not keep the chunk store, where a restore, a retention delete or the next checkpoint waits.
 */
const IDLE_ANSWERS = 8;

interface Settle {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Waiting {
  readonly key: string;
  readonly value: ChunkValue;
  readonly settle: Settle;
}

/** One transaction of the batch: the puts it took settle with it. */
interface Group {
  readonly tx: IDBTransaction;
  readonly settle: Settle[];
  bytes: number;
  /** Pump answers in a row that found nothing waiting. */
  idle: number;
}

export class IndexedDbChunkBatch implements ChunkBatch {
  /** The transaction taking puts now, if any. */
  #open: Group | undefined;
  readonly #waiting: Waiting[] = [];
  #waitingBytes = 0;
  #ended = false;
  /** Why the batch failed, once it did (every later put rejects with it). */
  #failed: WeirError | undefined;
  /** A failWrites error or a put() that threw: the abort's cause when the transaction has no error of its own. */
  #thrown: unknown;

  constructor(
    private readonly db: IDBDatabase,
    private readonly database: string,
    /** A chunk that cannot wait for the pump: written in a transaction of its own. */
    private readonly alone: (key: string, value: ChunkValue) => Promise<void>,
    private readonly failWrites: FailWrites | undefined,
  ) {}

  /** The bytes are copied into a Blob during the call: `done` is called before this returns. */
  put(key: string, bytes: Uint8Array, done?: () => void): Promise<void> {
    let value: ChunkValue;
    try {
      validateStorageKey(key, 'key');
      value = chunkValue(checkedBytes(bytes, 'bytes'));
    } catch (error) {
      return Promise.reject(error);
    } finally {
      done?.();
    }
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (this.#ended) return Promise.reject(new WeirError('CHECKPOINT_STORAGE_FAILED', 'indexeddb storage: a chunk batch took a put after it ended', { domain: 'internal', retryable: false, details: { backend: 'indexeddb', database: this.database, key } }));
    const size = chunkValueSize(value);
    if (this.#open !== undefined && this.#waitingBytes + size > MAX_WAITING_BYTES) return this.alone(key, value);
    const stored = new Promise<void>((resolve, reject) => this.#waiting.push({ key, value, settle: { resolve, reject } }));
    this.#waitingBytes += size;
    if (this.#open === undefined) this.#begin(); // active in this task: the chunk goes in at once
    return stored;
  }

  end(): void {
    this.#ended = true; // the pump's next answer commits (none outstanding: nothing waits)
  }

  #begin(): void {
    let tx: IDBTransaction;
    try {
      tx = this.db.transaction('chunks', 'readwrite', { durability: 'relaxed' });
    } catch (error) {
      this.#fail(storageFailed('indexeddb', 'putChunk', error, { database: this.database }), []);
      return;
    }
    const group: Group = { tx, settle: [], bytes: 0, idle: 0 };
    this.#open = group;
    tx.oncomplete = () => {
      for (const s of group.settle) s.resolve();
    };
    tx.onabort = () => {
      const cause = this.#thrown;
      this.#fail(cause instanceof WeirError && cause.code !== 'CHECKPOINT_STORAGE_FAILED' ? cause : storageFailed('indexeddb', 'putChunk', tx.error ?? cause, { database: this.database }), group.settle);
    };
    this.#pump(group);
  }

  /**
   * In a moment `group`'s transaction is active: puts what waits, then commits it (the batch
   * ended, or it holds GROUP_BYTES: the next put begins another) or asks for the next moment.
   */
  #pump(group: Group): void {
    const { tx } = group;
    try {
      const store = tx.objectStore('chunks');
      const taken = this.#waiting.splice(0);
      group.idle = taken.length === 0 ? group.idle + 1 : 0;
      for (const w of taken) group.settle.push(w.settle); // a failure below rejects them all with the transaction
      for (const { key, value } of taken) {
        const failure = this.failWrites?.('putChunk', key);
        if (failure !== undefined) throw failure;
        store.put(value, key);
        group.bytes += chunkValueSize(value);
      }
      this.#waitingBytes = 0;
      if (this.#ended || group.bytes >= GROUP_BYTES || group.idle >= IDLE_ANSWERS) {
        this.#open = undefined;
        commitNow(tx);
        return;
      }
      store.getKey(PUMP_KEY).onsuccess = () => this.#pump(group);
    } catch (error) {
      this.#thrown = error;
      try {
        tx.abort(); // onabort rejects every put it took and every one waiting
      } catch {
        this.#fail(storageFailed('indexeddb', 'putChunk', error, { database: this.database }), group.settle);
      }
    }
  }

  /** Rejects `settle`, what waits and every later put. */
  #fail(error: WeirError, settle: readonly Settle[]): void {
    this.#failed ??= error;
    this.#open = undefined;
    for (const s of [...settle, ...this.#waiting.splice(0).map((w) => w.settle)]) s.reject(this.#failed);
    this.#waitingBytes = 0;
  }
}

/** Every request is issued: commit without waiting for their answers to reach this thread. */
function commitNow(tx: IDBTransaction): void {
  try {
    tx.commit?.();
  } catch {
    // not active any more: it commits by itself once its requests are done
  }
}
