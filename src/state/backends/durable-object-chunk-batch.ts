// The chunks of one checkpoint snapshot in Durable Object storage (CheckpointStorage's
// openChunkBatch), written together in one transactionSync when the snapshot ends. Each turn of the
// event loop that writes ends in a SQLite commit of its own, and a snapshot is encoded over many
// turns (a slice per task step, so records are not held up): a chunk written as it is framed made
// one commit per slice. Measured in this Miniflare (10 MiB as 32 rows, median of 12 runs, load ~12):
// a row per turn 339 ms, the same rows in one turn 181 ms. So the batch keeps the chunks' lent bytes
// (no copy) and writes them at `end()`, in the turn the encoding ends: one commit per snapshot, as a
// raw write of the bytes makes. What it holds is bounded: past MAX_HELD_BYTES the chunks held are
// written at once (a commit per that many bytes). The price: the snapshot builds its later chunks in
// fresh buffers instead of the one given back (in workerd ~1.5 ms of CPU per 11 MB, measured).
import { WeirError } from '../../errors/index.js';
import { validateStorageKey, type ChunkBatch } from '../checkpoint-storage.js';
import { checkedBytes } from './backend-support.js';

/** Lent bytes held at most; a put that reaches it writes what is held, in one transaction. */
export const MAX_HELD_BYTES = 16 * 1024 * 1024;

export interface HeldChunk {
  readonly key: string;
  readonly bytes: Uint8Array;
}

interface Held extends HeldChunk {
  readonly done: (() => void) | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class DurableObjectChunkBatch implements ChunkBatch {
  #held: Held[] = [];
  #heldBytes = 0;
  #ended = false;

  /** `writeAll` must store every chunk or none, synchronously (one transactionSync), and throw if it did not. */
  constructor(private readonly writeAll: (chunks: readonly HeldChunk[]) => void) {}

  put(key: string, bytes: Uint8Array, done?: () => void): Promise<void> {
    try {
      validateStorageKey(key, 'key');
      checkedBytes(bytes, 'bytes');
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#ended) {
      return Promise.reject(new WeirError('CHECKPOINT_STORAGE_FAILED', 'durable-object storage: a chunk batch took a put after it ended', { domain: 'internal', retryable: false, details: { backend: 'durable-object', key } }));
    }
    const stored = new Promise<void>((resolve, reject) => this.#held.push({ key, bytes, done, resolve, reject }));
    this.#heldBytes += bytes.byteLength;
    if (this.#heldBytes >= MAX_HELD_BYTES) this.#write();
    return stored;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#write();
  }

  /** Writes what is held; every put of it resolves, or (the transaction rolled back) rejects with the failure. */
  #write(): void {
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    if (held.length === 0) return;
    let failure: { error: unknown } | undefined;
    try {
      this.writeAll(held);
    } catch (error) {
      failure = { error };
    }
    for (const h of held) {
      h.done?.(); // stored (or not at all) during the call: the lender may reuse the bytes
      if (failure === undefined) h.resolve();
      else h.reject(failure.error);
    }
  }
}
