import { describeValue, InvalidArgumentError } from '../errors/index.js';
import type { StateKey } from '../state/keyed-state.js';

/**
 * Keys map to key groups and key groups to subtasks, as in Flink, so keyed state written at
 * one parallelism restores at another: a key's group never changes, only which subtask owns it.
 * The hash must give the same group for the same key in every JavaScript realm.
 */

export const DEFAULT_MAX_PARALLELISM = 128;
export const MAX_MAX_PARALLELISM = 32768;

export interface KeyGroupRange {
  /** Inclusive. */
  readonly start: number;
  /** Inclusive; end < start for an empty range. */
  readonly end: number;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

export function keyHash(key: StateKey): number {
  switch (typeof key) {
    case 'string':
      return fmix32(stringHash(key));
    case 'number':
      if ((key | 0) === key) return fmix32(key);
      return fmix32(stringHash(Object.is(key, -0) ? '0' : String(key)));
    case 'bigint':
      return fmix32(stringHash(`${key}n`));
    case 'boolean':
      return fmix32(key ? 1231 : 1237);
    default:
      throw new InvalidArgumentError('keyBy(keySelector)', `the key selector must return a string, number, bigint or boolean, got ${describeValue(key)}`);
  }
}

export function keyGroupOf(key: StateKey, maxParallelism: number): number {
  return keyHash(key) % maxParallelism;
}

export function keyGroupRangeOf(subtaskIndex: number, parallelism: number, maxParallelism: number): KeyGroupRange {
  return {
    start: Math.floor((subtaskIndex * maxParallelism + parallelism - 1) / parallelism),
    end: Math.floor(((subtaskIndex + 1) * maxParallelism - 1) / parallelism),
  };
}

export function subtaskForKeyGroup(keyGroup: number, parallelism: number, maxParallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

export function rangesIntersect(a: KeyGroupRange, b: KeyGroupRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}
