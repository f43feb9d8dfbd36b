// One CheckpointStorage over several stores: how a job spread over Durable Objects sees its data.
// Each object keeps the state chunks of its own subtasks in its own storage (a snapshot is written
// where it is taken, with no hop); everything else — checkpoint metadata (the commit point must be
// one store's transaction), tables, input logs, epochs — lives in the coordinator's storage.
import { checkedCondition, checkedKeys, checkedPrefix } from './backend-support.js';
import { conditionHolds, fencedError, type CheckpointStorage, type MetadataCondition, type MetadataConditions } from '../checkpoint-storage.js';
type Store = CheckpointStorage;
import { storageLayout } from '../storage-layout.js';

export interface StorageRoutes {
  /** The job whose state chunks are spread (their keys name the subtask that wrote them). */
  readonly jobName: string;
  /** The store of the coordinator: metadata, and every key that is not a state chunk. */
  readonly home: Store;
  /** The store of the object that runs subtask `index` of every vertex. */
  shard(index: number): Store;
  /** How many shard objects a listing asks (a chunk of a higher-numbered subtask is still read from its shard). */
  readonly shards: number;
}

export class RoutingStorage implements CheckpointStorage {
  readonly kind = 'durable-object-shards';
  readonly contextBound = true;
  readonly #routes: StorageRoutes;
  readonly #chunkPrefix: string;

  constructor(routes: StorageRoutes) {
    this.#routes = routes;
    this.#chunkPrefix = storageLayout.chunkPrefix(routes.jobName);
  }

  /** The shard index a state chunk key names (…/chunks/<checkpoint>/<attempt>/<uid>/<subtask>/<kind>), or undefined for any other key. */
  shardOf(key: string): number | undefined {
    if (typeof key !== 'string' || !key.startsWith(this.#chunkPrefix)) return undefined;
    const subtask = Number(key.slice(this.#chunkPrefix.length).split('/')[3]);
    return Number.isSafeInteger(subtask) && subtask >= 0 ? subtask : undefined;
  }

  #storeOf(key: string): Store {
    const shard = this.shardOf(key);
    return shard === undefined ? this.#routes.home : this.#routes.shard(shard);
  }

  putChunk(key: string, bytes: Uint8Array): Promise<void> {
    return this.#storeOf(key).putChunk(key, bytes);
  }

  /** Lent to the store the key routes to: its own putLentChunk (a shard's own storage gives them back on return), else its putChunk, which reads them before it settles. */
  putLentChunk(key: string, bytes: Uint8Array, done?: () => void): Promise<void> {
    const store = this.#storeOf(key);
    return store.putLentChunk !== undefined ? store.putLentChunk(key, bytes, done) : store.putChunk(key, bytes);
  }

  getChunk(key: string): Promise<Uint8Array | undefined> {
    return this.#storeOf(key).getChunk(key);
  }

  /**
   * With a condition: the home store checks it in its own deletes' transaction; a shard cannot
   * (the condition's record is the coordinator's), so it is checked at home first and the shard
   * refuses, in its transaction, a caller of an epoch older than its own — a superseded
   * coordinator has been replaced on the shards by its successor's first call.
   */
  async deleteChunks(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    checkedKeys(keys);
    const expected = condition === undefined ? undefined : checkedCondition(condition);
    const byStore = new Map<Store, string[]>();
    for (const key of keys) {
      const store = this.#storeOf(key);
      (byStore.get(store) ?? byStore.set(store, []).get(store)!).push(key);
    }
    const home = this.#routes.home;
    if (expected !== undefined && !conditionHolds(expected.expect, await home.getMetadata(expected.key))) throw fencedError(expected.original);
    await Promise.all([...byStore].map(([store, group]) => (store === home ? store.deleteChunks(group, condition) : store.deleteChunks(group))));
    if (expected !== undefined && keys.length === 0) await home.deleteChunks([], condition); // an empty delete still checks it
  }

  /** Every store, when the prefix may cover state chunks (a sweep, a fresh start); else the home store alone. */
  async listChunks(prefix: string): Promise<string[]> {
    checkedPrefix(prefix);
    if (!this.#chunkPrefix.startsWith(prefix) && !prefix.startsWith(this.#chunkPrefix)) return this.#routes.home.listChunks(prefix);
    const stores = new Set([this.#routes.home, ...Array.from({ length: this.#routes.shards }, (_, i) => this.#routes.shard(i))]);
    const listed = await Promise.all([...stores].map((s) => s.listChunks(prefix)));
    return [...new Set(listed.flat())].sort();
  }

  putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions): Promise<void> {
    return this.#routes.home.putMetadata(records, condition);
  }

  getMetadata(key: string): Promise<Uint8Array | undefined> {
    return this.#routes.home.getMetadata(key);
  }

  deleteMetadata(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    return this.#routes.home.deleteMetadata(keys, condition);
  }

  listMetadata(prefix: string): Promise<string[]> {
    return this.#routes.home.listMetadata(prefix);
  }
}
