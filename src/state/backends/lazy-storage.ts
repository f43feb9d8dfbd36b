import type { CheckpointStorage, ChunkBatch, StorageDescriptor } from '../checkpoint-storage.js';

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
    putLentChunk: async (key, bytes, done) => putLent(await backend(), key, bytes, done),
    // While it opens (a worker's first checkpoint), a batch that waits for it: else that checkpoint
    // wrote a transaction per chunk.
    openChunkBatch: () => (ready !== undefined ? ready.openChunkBatch?.() : openingBatch(backend())),
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

/**
 * A batch asked for while the backend opens: its puts and its end wait for the opening, in the
 * order they were made, then go to the backend's batch (or, without one, a chunk at a time as the
 * checkpoint writer would have put them). The bytes stay lent meanwhile, as putLentChunk's do.
 */
function openingBatch(opening: Promise<CheckpointStorage>): ChunkBatch {
  let batch: ChunkBatch | undefined;
  const opened = opening.then((b) => {
    batch = b.openChunkBatch?.();
    return b;
  });
  return {
    put: (key, bytes, done) => opened.then((b) => (batch !== undefined ? batch.put(key, bytes, done) : putLent(b, key, bytes, done))),
    end: () => void opened.then(() => batch?.end(), () => undefined),
  };
}

/** A lent chunk's put: putLentChunk where the backend has it, else putChunk (which copies or is done with the bytes when it resolves). */
function putLent(b: CheckpointStorage, key: string, bytes: Uint8Array, done: (() => void) | undefined): Promise<void> {
  return b.putLentChunk !== undefined ? b.putLentChunk(key, bytes, done) : b.putChunk(key, bytes);
}
