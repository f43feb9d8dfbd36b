import { InvalidArgumentError } from '../../errors/index.js';
import { conditionHolds, fencedError, validateStorageKey, type CheckpointStorage, type MetadataCondition, type MetadataConditions } from '../checkpoint-storage.js';
import { checkedCondition, checkedConditions, type CheckedCondition } from './backend-support.js';

export interface MemoryCheckpointStorageOptions {
  /** Test hook: return an error to fail that write (it is thrown and nothing is stored), or undefined to let it through. */
  failWrites?: (op: 'putChunk' | 'putMetadata', key: string) => Error | undefined;
}

/**
 * CheckpointStorage in two Maps, for tests, in-process jobs and runtimes without a durable
 * store. Lives as long as its realm: a reload or a restarted process loses it.
 */
export class MemoryCheckpointStorage implements CheckpointStorage {
  readonly kind = 'memory';
  readonly #chunks = new Map<string, Uint8Array>();
  readonly #metadata = new Map<string, Uint8Array>();
  readonly #failWrites: MemoryCheckpointStorageOptions['failWrites'];

  constructor(options: MemoryCheckpointStorageOptions = {}) {
    this.#failWrites = options.failWrites;
  }

  // Each method validates and copies synchronously (the caller's bytes as they are at the
  // call), then yields once before it touches the Maps: no caller can come to rely on
  // a write or a read completing synchronously, as no durable backend could honour that.

  async putChunk(key: string, bytes: Uint8Array): Promise<void> {
    validateStorageKey(key, 'key');
    const copy = copyBytes(bytes, 'bytes');
    await Promise.resolve();
    const failure = this.#failWrites?.('putChunk', key);
    if (failure !== undefined) throw failure;
    this.#chunks.set(key, copy);
  }

  /** putChunk, which copies the bytes during the call: `done` is called before it returns. */
  putLentChunk(key: string, bytes: Uint8Array, done?: () => void): Promise<void> {
    const write = this.putChunk(key, bytes);
    done?.();
    return write;
  }

  async getChunk(key: string): Promise<Uint8Array | undefined> {
    validateStorageKey(key, 'key');
    await Promise.resolve();
    return copyOut(this.#chunks.get(key));
  }

  async deleteChunks(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    keys.forEach((key, i) => validateStorageKey(key, `keys[${i}]`));
    const expected = condition === undefined ? undefined : checkedCondition(condition);
    await Promise.resolve();
    this.#check(expected);
    for (const key of keys) this.#chunks.delete(key);
  }

  async listChunks(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    await Promise.resolve();
    return listKeys(this.#chunks, prefix);
  }

  /** All or nothing: every key is checked and every failure hook asked before any record is stored. Of duplicate keys, the last wins. */
  async putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions): Promise<void> {
    const copies = records.map(({ key, bytes }, i) => {
      validateStorageKey(key, `records[${i}].key`);
      return { key, bytes: copyBytes(bytes, `records[${i}].bytes`) };
    });
    const conditions = checkedConditions(condition);
    await Promise.resolve();
    for (const expected of conditions) this.#check(expected);
    for (const { key } of copies) {
      const failure = this.#failWrites?.('putMetadata', key);
      if (failure !== undefined) throw failure;
    }
    for (const { key, bytes } of copies) this.#metadata.set(key, bytes);
  }

  async getMetadata(key: string): Promise<Uint8Array | undefined> {
    validateStorageKey(key, 'key');
    await Promise.resolve();
    return copyOut(this.#metadata.get(key));
  }

  async deleteMetadata(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    keys.forEach((key, i) => validateStorageKey(key, `keys[${i}]`));
    const expected = condition === undefined ? undefined : checkedCondition(condition);
    await Promise.resolve();
    this.#check(expected);
    for (const key of keys) this.#metadata.delete(key);
  }

  async listMetadata(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    await Promise.resolve();
    return listKeys(this.#metadata, prefix);
  }

  #check(expected: CheckedCondition | undefined): void {
    if (expected !== undefined && !conditionHolds(expected.expect, this.#metadata.get(expected.key))) throw fencedError(expected.original);
  }
}

const REALM_KEY = Symbol.for('weir.memory-storage');

/**
 * The realm's one memory store (a page, a worker, a process): what `storage: 'memory'`
 * means. Kept on globalThis under a registered symbol, so two copies of the bundle in one
 * realm share it. A worker is a realm of its own: it does not see the page's store.
 */
export function memoryStorageForRealm(): MemoryCheckpointStorage {
  const holder = globalThis as unknown as Record<symbol, MemoryCheckpointStorage | undefined>;
  const existing = holder[REALM_KEY];
  if (existing !== undefined) return existing; // not instanceof: another bundle copy has another class
  const storage = new MemoryCheckpointStorage();
  Object.defineProperty(globalThis, REALM_KEY, { value: storage, configurable: true, enumerable: false, writable: false });
  return storage;
}

// new Uint8Array(view) copies; Node's Buffer#slice would not.
function copyBytes(bytes: Uint8Array, argument: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(argument, 'expected a Uint8Array');
  return new Uint8Array(bytes);
}

function copyOut(bytes: Uint8Array | undefined): Uint8Array | undefined {
  return bytes === undefined ? undefined : new Uint8Array(bytes);
}

function validatePrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix', `expected a string, got ${typeof prefix}`);
}

function listKeys(map: ReadonlyMap<string, unknown>, prefix: string): string[] {
  const keys: string[] = [];
  for (const key of map.keys()) if (key.startsWith(prefix)) keys.push(key);
  return keys.sort();
}
