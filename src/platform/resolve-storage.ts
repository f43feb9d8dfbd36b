import { describeValue, InvalidArgumentError } from '../errors/index.js';
import { memoryStorageForRealm } from '../state/backends/memory-storage.js';
import type { CheckpointStorage } from '../state/checkpoint-storage.js';
import type { RuntimePlatform } from './runtime-platform.js';

export type StorageOption = 'memory' | 'indexeddb' | { dir: string } | CheckpointStorage;

const METHODS = ['putChunk', 'getChunk', 'deleteChunks', 'listChunks', 'putMetadata', 'getMetadata', 'deleteMetadata', 'listMetadata'] as const;

function isCheckpointStorage(value: unknown): value is CheckpointStorage {
  return typeof value === 'object' && value !== null && METHODS.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

/** Turns the `storage` option into a backend; undefined gives the runtime's default. */
export function resolveStorage(option: StorageOption | undefined, argument: string, platform: RuntimePlatform): CheckpointStorage {
  if (option === undefined) return platform.defaultStorage();
  if (option === 'memory') return memoryStorageForRealm();
  if (isCheckpointStorage(option)) return option;
  if (option === 'indexeddb') {
    const open = platform.durableStorage?.indexeddb;
    if (open === undefined) throw new InvalidArgumentError(argument, `'indexeddb' storage needs a browser; this runtime (${platform.name}) has no IndexedDB — use { dir } in Node, or 'memory'`);
    return open('weir');
  }
  if (typeof option === 'object' && option !== null && 'dir' in option) {
    const dir = (option as { dir: unknown }).dir;
    if (typeof dir !== 'string' || dir === '') throw new InvalidArgumentError(`${argument}.dir`, `expected a folder path, got ${describeValue(dir)}`);
    const open = platform.durableStorage?.fs;
    if (open === undefined) throw new InvalidArgumentError(argument, `{ dir } storage needs a file system (Node, Deno); this runtime (${platform.name}) has none — use 'indexeddb' in a browser, or 'memory'`);
    return open(dir);
  }
  throw new InvalidArgumentError(argument, `expected 'memory', 'indexeddb', { dir } or a CheckpointStorage, got ${describeValue(option)}`);
}
