import { describeValue, InvalidArgumentError } from '../errors/index.js';
import { memoryStorageForRealm } from '../state/backends/memory-storage.js';
import type { CheckpointStorage } from '../state/checkpoint-storage.js';
import type { DurableObjectStorageLike } from '../state/backends/durable-object-storage.js';
import type { DenoKvLike } from '../state/backends/deno-kv-values.js';
import type { RuntimePlatform } from './runtime-platform.js';

export type StorageOption =
  | 'memory'
  | 'indexeddb'
  | { dir: string }
  /** A SQLite-backed Durable Object's `ctx.storage` (Cloudflare). */
  | { durableObject: DurableObjectStorageLike }
  /** A `Deno.Kv` from `await Deno.openKv(path)` (Deno, `--unstable-kv`). */
  | { kv: DenoKvLike }
  | CheckpointStorage;

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
  if (typeof option === 'object' && option !== null && 'durableObject' in option) {
    const open = platform.durableStorage?.durableObject;
    if (open === undefined) throw new InvalidArgumentError(argument, `{ durableObject } storage needs Cloudflare Workers (the 'workerd' build of weir); this runtime (${platform.name}) has none`);
    return open((option as { durableObject: unknown }).durableObject, `${argument}.durableObject`);
  }
  if (typeof option === 'object' && option !== null && 'kv' in option) {
    const open = platform.durableStorage?.kv;
    if (open === undefined) throw new InvalidArgumentError(argument, `{ kv } storage needs Deno (the 'deno' build of weir); this runtime (${platform.name}) has none`);
    return open((option as { kv: unknown }).kv, `${argument}.kv`);
  }
  throw new InvalidArgumentError(argument, `expected 'memory', 'indexeddb', { dir }, { durableObject }, { kv } or a CheckpointStorage, got ${describeValue(option)}`);
}
