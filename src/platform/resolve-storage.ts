import { describeValue, InvalidArgumentError } from '../errors/index.js';
import { memoryStorageForRealm, type CheckpointStorage } from '../state/index.js';

export type StorageOption = 'memory' | 'indexeddb' | { dir: string } | CheckpointStorage;

const METHODS = ['putChunk', 'getChunk', 'deleteChunks', 'listChunks', 'putMetadata', 'getMetadata', 'deleteMetadata', 'listMetadata'] as const;

function isCheckpointStorage(value: unknown): value is CheckpointStorage {
  return typeof value === 'object' && value !== null && METHODS.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

/** Turns the `storage` option into a backend. Default: memory (IndexedDB becomes the browser's default with its backend). */
export function resolveStorage(option: StorageOption | undefined, argument: string): CheckpointStorage {
  if (option === undefined || option === 'memory') return memoryStorageForRealm();
  if (isCheckpointStorage(option)) return option;
  if (option === 'indexeddb' || (typeof option === 'object' && option !== null && 'dir' in option)) {
    throw new InvalidArgumentError(argument, `${option === 'indexeddb' ? "'indexeddb'" : '{ dir }'} storage is not available in this build yet; use 'memory' or pass a CheckpointStorage`);
  }
  throw new InvalidArgumentError(argument, `expected 'memory', 'indexeddb', { dir } or a CheckpointStorage, got ${describeValue(option)}`);
}
