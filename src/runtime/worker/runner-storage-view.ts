import type { CheckpointStorage } from '../../state/checkpoint-storage.js';

/**
 * The runner's storage as a worker uses it. Through comlink (`proxy`): the contract's calls only,
 * since a proxy answers every property, so an optional method (putLentChunk) would seem present
 * and the callback it takes cannot cross to the runner. A shard host's own storage object stays
 * as it is: its optional fields (contextBound: log readers woken in the realm) must stay visible.
 */
export function runnerStorageView(s: CheckpointStorage, proxy: boolean): CheckpointStorage {
  if (!proxy) return s;
  return {
    kind: 'runner',
    putChunk: (key, bytes) => s.putChunk(key, bytes),
    getChunk: (key) => s.getChunk(key),
    deleteChunks: (keys, condition) => s.deleteChunks(keys, condition),
    listChunks: (prefix) => s.listChunks(prefix),
    putMetadata: (records, condition) => s.putMetadata(records, condition),
    getMetadata: (key) => s.getMetadata(key),
    deleteMetadata: (keys, condition) => s.deleteMetadata(keys, condition),
    listMetadata: (prefix) => s.listMetadata(prefix),
  };
}
