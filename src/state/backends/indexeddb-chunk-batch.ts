// One IndexedDB transaction for the chunks of one checkpoint snapshot (CheckpointStorage's
// openChunkBatch), written while they are encoded. A readwrite transaction per chunk costs the
// browser's backend a commit each (blob files, then the record: ~5 ms per 600 KB chunk measured in
// the checkpoint bench, more than the write itself once its queue backs up); one transaction for
// all of them commits once, as a raw write of the same values does.
//
// A transaction takes requests only while it is active: in the task that made it and in its
// requests' callbacks. Chunks come from the task scheduler's slices instead, so the batch keeps one
// cheap request outstanding (the pump: getKey of a key no caller can store) and puts what arrived
// meanwhile in its callback. The worker is busy encoding, so a pump's answer waits for the end of
// a slice: about one request per slice, and the queue it finds holds a slice's chunks.
import { WeirError } from '../../errors/index.js';
import { validateStorageKey, type ChunkBatch } from '../checkpoint-storage.js';
import { checkedBytes, storageFailed, type FailWrites } from './backend-support.js';
import { withWholeBuffer } from './exact-bytes.js';

/** Keys never hold NUL (validateStorageKey), so this one is never stored: reading it reads nothing. */
const PUMP_KEY = '\0pump';
/**
 * Lent bytes waiting for the pump, at most: a chunk beyond them goes in a transaction of its own
 * (`alone`) and gives its bytes back at once. Bounds what is held while the batch's transaction
 * waits behind another one on the same store (another worker's batch).
 */
const MAX_WAITING_BYTES = 4 * 1024 * 1024;

interface Waiting {
  readonly key: string;
  readonly value: Uint8Array;
  readonly done: (() => void) | undefined;
}

export class IndexedDbChunkBatch implements ChunkBatch {
  #tx: IDBTransaction | undefined;
  readonly #waiting: Waiting[] = [];
  #waitingBytes = 0;
  readonly #settle: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  #ended = false;
  /** Why the batch failed, once it did (every later put rejects with it). */
  #failed: WeirError | undefined;
  /** A failWrites error or a put() that threw: the abort's cause when the transaction has no error of its own. */
  #thrown: unknown;

  constructor(
    private readonly db: IDBDatabase,
    private readonly database: string,
    /** A chunk that cannot wait for the pump: written as putLentChunk would (its own transaction). */
    private readonly alone: (key: string, bytes: Uint8Array, done: (() => void) | undefined) => Promise<void>,
    private readonly failWrites: FailWrites | undefined,
  ) {}

  put(key: string, bytes: Uint8Array, done?: () => void): Promise<void> {
    let value: Uint8Array;
    try {
      validateStorageKey(key, 'key');
      value = checkedBytes(bytes, 'bytes');
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (this.#ended) return Promise.reject(new WeirError('CHECKPOINT_STORAGE_FAILED', 'indexeddb storage: a chunk batch took a put after it ended', { domain: 'internal', retryable: false, details: { backend: 'indexeddb', database: this.database, key } }));
    if (this.#tx !== undefined && this.#waitingBytes + value.byteLength > MAX_WAITING_BYTES) return this.alone(key, value, done);
    const stored = new Promise<void>((resolve, reject) => this.#settle.push({ resolve, reject }));
    this.#waiting.push({ key, value, done });
    this.#waitingBytes += value.byteLength;
    if (this.#tx === undefined) this.#begin(); // active in this task: the first chunk goes in at once
    return stored;
  }

  end(): void {
    this.#ended = true; // the pump's next answer commits (none outstanding: nothing was put)
  }

  #begin(): void {
    let tx: IDBTransaction;
    try {
      tx = this.db.transaction('chunks', 'readwrite', { durability: 'relaxed' });
    } catch (error) {
      this.#fail(storageFailed('indexeddb', 'putChunk', error, { database: this.database }));
      return;
    }
    this.#tx = tx;
    tx.oncomplete = () => {
      for (const s of this.#settle.splice(0)) s.resolve();
    };
    tx.onabort = () => {
      const cause = this.#thrown;
      this.#fail(cause instanceof WeirError && cause.code !== 'CHECKPOINT_STORAGE_FAILED' ? cause : storageFailed('indexeddb', 'putChunk', tx.error ?? cause, { database: this.database }));
    };
    this.#pump();
  }

  /** In a moment the transaction is active: puts what waits, then commits or asks for the next moment. */
  #pump(): void {
    const tx = this.#tx!;
    try {
      const store = tx.objectStore('chunks');
      for (const { key, value, done } of this.#waiting.splice(0)) {
        const failure = this.failWrites?.('putChunk', key);
        if (failure !== undefined) throw failure;
        withWholeBuffer(value, (whole) => store.put(whole, key));
        done?.();
      }
      this.#waitingBytes = 0;
      if (this.#ended) {
        commitNow(tx);
        return;
      }
      store.getKey(PUMP_KEY).onsuccess = () => this.#pump();
    } catch (error) {
      this.#thrown = error;
      try {
        tx.abort(); // onabort rejects every put
      } catch {
        this.#fail(storageFailed('indexeddb', 'putChunk', error, { database: this.database }));
      }
    }
  }

  #fail(error: WeirError): void {
    this.#failed ??= error;
    this.#waiting.length = 0; // their bytes go back with the rejection
    this.#waitingBytes = 0;
    for (const s of this.#settle.splice(0)) s.reject(this.#failed);
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
