import type { CheckpointStorage, StorageDescriptor } from '../checkpoint-storage.js';

/**
 * A storage whose backend opens asynchronously (an IndexedDB database, a folder), usable at
 * once: every call waits for the one opening. A failed opening fails every call with its error.
 */
export function lazyStorage(kind: string, open: () => Promise<CheckpointStorage>, workerDescriptor?: StorageDescriptor): CheckpointStorage {
  let opened: Promise<CheckpointStorage> | undefined;
  let ready: CheckpointStorage | undefined;
  const backend = () => (opened ??= open().then((b) => (ready = b)));
  return {
    kind,
    ...(workerDescriptor !== undefined ? { workerDescriptor } : {}),
    putChunk: async (key, bytes) => (await backend()).putChunk(key, bytes),
    // Lent bytes wait for the opening as they are (no copy); a backend without putLentChunk reads them before it settles.
    putLentChunk: async (key, bytes, done) => {
      const b = await backend();
      return b.putLentChunk !== undefined ? b.putLentChunk(key, bytes, done) : b.putChunk(key, bytes);
    },
    // Only once open: a batch is made synchronously, as the caller's first chunk is handed over.
    openChunkBatch: () => ready?.openChunkBatch?.(),
    getChunk: async (key) => (await backend()).getChunk(key),
    deleteChunks: async (keys, condition) => (await backend()).deleteChunks(keys, condition),
    listChunks: async (prefix) => (await backend()).listChunks(prefix),
    putMetadata: async (records, condition) => (await backend()).putMetadata(records, condition),
    // Only once open, and only where the backend has it (the caller uses putMetadata otherwise).
    get putMetadataReading() {
      const b = ready;
      return b?.putMetadataReading === undefined ? undefined : b.putMetadataReading.bind(b);
    },
    getMetadata: async (key) => (await backend()).getMetadata(key),
    deleteMetadata: async (keys, condition) => (await backend()).deleteMetadata(keys, condition),
    listMetadata: async (prefix) => (await backend()).listMetadata(prefix),
  };
}
