import type { StateKey } from '../../../state/keyed-state.js';
import { KeyGroupCache } from '../../task/key-group-cache.js';
import { SMALL_KEY_LIMIT, SmallKeySlots } from './window-groups.js';

/**
 * The key groups of a keyed head's keys, for batches that come without them (an edge with one
 * downstream subtask: the sender computes none). A key's group never changes, so small
 * non-negative integer keys keep theirs in an array read by key (≈ 2 ns against keyHash's
 * fmix32 and remainder, ≈ 15 ns per record in the tumbling bench's profile where the task
 * computed them); other keys go through a KeyGroupCache (strings by Map, the rest hashed).
 */
export class SmallKeyGroups {
  /** The group by small key (an int array by key, as a window's slots): -1, not computed yet. */
  private readonly groups = new SmallKeySlots();
  private readonly others: KeyGroupCache;
  private scratch: number[] = [];

  constructor(maxParallelism: number) {
    this.others = new KeyGroupCache(maxParallelism);
  }

  /** keyGroupOf(key, maxParallelism); must throw as keyHash does for a key that is not a primitive. */
  groupOf(key: StateKey): number {
    if (typeof key !== 'number' || (key | 0) !== key || key < 0 || key >= SMALL_KEY_LIMIT) return this.others.groupOf(key);
    const known = this.groups.get(key);
    if (known >= 0) return known;
    const group = this.others.groupOf(key);
    this.groups.set(key, group);
    return group;
  }

  /** The groups of `keys[0 … n)` in an array of this object's (filled again by the next call). */
  groupsOf(keys: readonly StateKey[], n: number): readonly number[] {
    const out = this.scratch.length >= n ? this.scratch : (this.scratch = new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) out[i] = this.groupOf(keys[i]!);
    return out;
  }
}
