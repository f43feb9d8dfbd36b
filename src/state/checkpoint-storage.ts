import { InvalidArgumentError, WeirError } from '../errors/index.js';

/**
 * A precondition of a metadata write or of a delete: the metadata record `key` must hold
 * exactly `equals` (or be absent when `equals` is undefined). It is how a runner's epoch fences
 * an older runner: a superseded runner can neither write nor delete anything of the live one.
 *
 * Or, with `exists`, only whether the record is there (true) or absent (false), whatever its
 * bytes: for a key that is written once and never again with other bytes (an input log's batch),
 * presence says all that its bytes would, and a backend need not read its value to check it.
 */
export type MetadataCondition =
  | { readonly key: string; readonly equals: Uint8Array | undefined }
  | { readonly key: string; readonly exists: boolean };

/**
 * The precondition of a putMetadata: one condition, or several that must all hold, checked in the
 * same atomic step (an input log's append: its predecessor batch is there and its own key is free).
 */
export type MetadataConditions = MetadataCondition | readonly MetadataCondition[];

/** How a worker opens the same storage itself (plain data: it crosses to the worker). */
export type StorageDescriptor = { readonly kind: 'indexeddb'; readonly database: string } | { readonly kind: 'fs'; readonly dir: string };

/** Bytes in, bytes out: framing and checksums are the caller's (chunk-format.ts). */
export interface CheckpointStorage {
  /** A short name for messages: 'memory', 'indexeddb', 'fs', ... */
  readonly kind: string;
  /** Set when workers can open this storage themselves; otherwise they reach it through the runner. */
  readonly workerDescriptor?: StorageDescriptor;
  /**
   * True for a storage bound to one context of a realm that hosts several (a Durable Object: the
   * objects of an isolate share its globals): what is realm-wide elsewhere (log wake-ups) stays
   * with the storage, since workerd never settles a promise resolved from another object's context.
   */
  readonly contextBound?: boolean;
  /** Must resolve only once the chunk is stored; may be less durable than putMetadata until a metadata write refers to it. */
  putChunk(key: string, bytes: Uint8Array): Promise<void>;
  /**
   * Optional: putChunk for bytes that are lent, not given: the caller leaves them unchanged until
   * the backend calls `done` or the returned promise settles, whichever comes first (Weir's
   * checkpoint writer, which then builds later chunks in the same buffer), so a backend that
   * reads them during the write need not copy them first, and one that is done with them early
   * (IndexedDB clones a value in put()) gives them back early. Must store exactly what putChunk
   * would, and must not read `bytes` after calling `done` or after the promise settled.
   */
  putLentChunk?(key: string, bytes: Uint8Array, done?: () => void): Promise<void>;
  /**
   * Optional: the chunks of one snapshot written together where the backend gains by it
   * (IndexedDB: one transaction, one commit), as they are handed over. Undefined when the backend
   * cannot open one now (a connection still opening): the caller writes each chunk on its own.
   */
  openChunkBatch?(): ChunkBatch | undefined;
  getChunk(key: string): Promise<Uint8Array | undefined>;
  /**
   * With a condition, checks it (against the metadata record condition.key) in the same atomic
   * step as the deletes and, if it does not hold, deletes nothing and rejects with a WeirError of
   * code 'STORAGE_FENCED'. The deletes of one call need not be atomic among themselves.
   */
  deleteChunks(keys: readonly string[], condition?: MetadataCondition): Promise<void>;
  /** Keys that start with prefix, sorted ascending. */
  listChunks(prefix: string): Promise<string[]>;
  /**
   * The commit point: atomic (all or nothing) and durable once it resolves; writes several
   * records at once. With a condition (or several: every one must hold), checks it in the same
   * atomic step and, if it does not hold, writes nothing and rejects with a WeirError of code
   * 'STORAGE_FENCED'.
   */
  putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions): Promise<void>;
  /**
   * Optional: putMetadata that also reads the metadata records `reads` in the same atomic step and
   * resolves with what each held just before its writes (undefined: absent), in order. For a
   * backend where a condition's answer must reach the caller before the write may commit
   * (IndexedDB: one round trip between the page and the database): with no condition but
   * `{ key, exists: false }` on keys it writes, it must commit without waiting for the reads, so a
   * caller that can judge them afterwards pays no round trip. Conditions otherwise as putMetadata.
   * The caller must be ready for a write that committed under values it would have refused (an
   * input log's claim below retention: log-tail.ts). A backend whose checks cost the caller no
   * round trip (files, memory, Durable Objects, Deno KV) leaves it out.
   */
  putMetadataReading?(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition: MetadataConditions | undefined, reads: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  getMetadata(key: string): Promise<Uint8Array | undefined>;
  /**
   * A condition as for deleteChunks. Must delete in the order given (when the deletes are not
   * atomic): an input log's retention deletes a partition's oldest batches first.
   */
  deleteMetadata(keys: readonly string[], condition?: MetadataCondition): Promise<void>;
  listMetadata(prefix: string): Promise<string[]>;
}

/** Chunk writes that a backend may commit together (CheckpointStorage.openChunkBatch). */
export interface ChunkBatch {
  /**
   * As putLentChunk: the bytes are lent until `done` is called or the promise settles. Must
   * resolve only once the chunk is stored; may resolve only after `end()`. A failure may fail
   * every put of the batch (they reject, and nothing refers to the chunks).
   */
  put(key: string, bytes: Uint8Array, done?: () => void): Promise<void>;
  /**
   * No more puts: the batch commits what it took. Must be called, also by a caller that gives up
   * (IndexedDB's batch also commits once its caller stops putting for a while, as a safeguard).
   */
  end(): void;
}

// Contract details every backend keeps (the shared contract suite checks them):
// - Must copy: bytes passed to put* and returned by get* are not shared with the store.
// - Must sort listed keys by UTF-16 code units (JavaScript's `<` and default sort, and
//   IndexedDB's string order); a backend whose native order differs sorts before returning.
// - Must treat deleting a missing key as a no-op.
// - Must reject (never throw synchronously), with the backend's quota or I/O error as cause.

/** The rejection of a putMetadata whose condition did not hold. */
export function fencedError(condition: MetadataCondition): WeirError {
  return new WeirError('STORAGE_FENCED', `the metadata record '${condition.key}' changed: another runner took over this job`, {
    domain: 'external', retryable: false, details: { key: condition.key },
  });
}

/** The conditions of a putMetadata as a list (none: empty). */
export function conditionList(condition: MetadataConditions | undefined): readonly MetadataCondition[] {
  if (condition === undefined) return [];
  return Array.isArray(condition) ? (condition as readonly MetadataCondition[]) : [condition as MetadataCondition];
}

/** What a condition asks of its record: absent, present (any bytes), or exactly these bytes. */
export type ConditionExpectation = 'absent' | 'present' | Uint8Array;

/** Whether a record stored as `stored` (undefined: absent) meets `expect`. */
export function conditionHolds(expect: ConditionExpectation, stored: Uint8Array | undefined): boolean {
  if (expect === 'absent') return stored === undefined;
  if (expect === 'present') return stored !== undefined;
  return sameBytes(stored, expect);
}

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks a storage key: a non-empty string without NUL (a file name or a KV key part must hold it). */
export function validateStorageKey(key: string, argument: string): void {
  if (typeof key !== 'string') throw new InvalidArgumentError(argument, `expected a string key, got ${typeof key}`);
  if (key.length === 0) throw new InvalidArgumentError(argument, 'must not be an empty key');
  if (key.includes('\0')) throw new InvalidArgumentError(argument, `must not contain NUL: ${JSON.stringify(key)}`);
}
