import type { CheckpointStorage, StorageDescriptor } from '../checkpoint-storage.js';
import { lazyStorage } from './lazy-storage.js';

/**
 * One storage instance per descriptor in a realm: every run() and readTable() of a page (or a
 * worker) shares one IndexedDB connection or folder handle.
 */
export function sharedStorage(descriptor: StorageDescriptor, open: () => Promise<CheckpointStorage>): CheckpointStorage {
  const registry = ((globalThis as { [k: symbol]: unknown })[Symbol.for('weir.storages')] ??= new Map()) as Map<string, CheckpointStorage>;
  const id = JSON.stringify(descriptor);
  let storage = registry.get(id);
  if (storage === undefined) registry.set(id, (storage = lazyStorage(descriptor.kind, open, descriptor)));
  return storage;
}
