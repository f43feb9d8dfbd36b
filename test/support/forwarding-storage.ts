import type { CheckpointStorage } from 'weir';

/**
 * A storage that passes every call of the contract to `inner`, but for those `overrides` replace:
 * a test's fault or watch on one call. Optional methods (lent chunks, chunk batches) are not
 * forwarded unless given, so the code under test takes the contract's plain path.
 */
export function forwardingStorage(inner: CheckpointStorage, overrides: Partial<CheckpointStorage> = {}): CheckpointStorage {
  return {
    kind: inner.kind,
    putChunk: (key, bytes) => inner.putChunk(key, bytes),
    getChunk: (key) => inner.getChunk(key),
    deleteChunks: (keys, condition) => inner.deleteChunks(keys, condition),
    listChunks: (prefix) => inner.listChunks(prefix),
    putMetadata: (records, condition) => inner.putMetadata(records, condition),
    getMetadata: (key) => inner.getMetadata(key),
    deleteMetadata: (keys, condition) => inner.deleteMetadata(keys, condition),
    listMetadata: (prefix) => inner.listMetadata(prefix),
    ...overrides,
  };
}
