import type { StateKey } from '../../../state/keyed-state.js';
import { KeyGroupCache } from '../../task/key-group-cache.js';
import { SMALL_KEY_LIMIT } from './window-groups.js';

/**
 * The key groups of a keyed head's keys, for batches that come without them (an edge with one
 * downstream subtask: the sender computes none). A key's group never changes, so small
 * non-negative integer keys keep theirs in an array read by key (≈ 2 ns against keyHash's
 * fmix32 and remainder, ≈ 15 ns per record in the tumbling bench's profile where the task
 * computed them); other keys go through a KeyGroupCache (strings by Map, the rest hashed).
 */
export class SmallKeyGroups {
  /** group + 1 by key; 0: not computed yet. Grows with the largest small key seen, up to SMALL_KEY_LIMIT (4 MB). */
  private groups = new Int32Array(0);
  private readonly others: KeyGroupCache;
  private scratch: number[] = [];

  constructor(private readonly maxParallelism: number) {
    this.others = new KeyGroupCache(maxParallelism);
  }

  /** keyGroupOf(key, maxParallelism); must throw as keyHash does for a key that is not a primitive. */
  groupOf(key: StateKey): number {
    if (typeof key !== 'number' || (key | 0) !== key || key < 0 || key >= SMALL_KEY_LIMIT) return this.others.groupOf(key);
    const groups = this.groups;
    if (key < groups.length) {
      const known = groups[key]!;
      if (known !== 0) return known - 1;
    }
    return this.learn(key);
  }

  /** The groups of `keys[0 … n)` in an array of this object's (filled again by the next call). */
  groupsOf(keys: readonly StateKey[], n: number): readonly number[] {
    const out = this.scratch.length >= n ? this.scratch : (this.scratch = new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) out[i] = this.groupOf(keys[i]!);
    return out;
  }

  private learn(key: number): number {
    const group = this.others.groupOf(key);
    if (key >= this.groups.length) {
      let size = Math.max(1024, this.groups.length);
      while (size <= key) size *= 2;
      const grown = new Int32Array(Math.min(size, SMALL_KEY_LIMIT));
      grown.set(this.groups);
      this.groups = grown;
    }
    this.groups[key] = group + 1;
    return group;
  }
}
