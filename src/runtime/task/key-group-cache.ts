import type { DictionaryHint, StringDictionary } from '../../channel/batch-dictionary.js';
import { keyHash } from '../../graph/key-groups.js';
import type { StateKey } from '../../state/keyed-state.js';

/** At most this many string keys' groups are kept per record writer. */
export const KEY_GROUP_CACHE_SIZE = 1 << 14;
/** Lookups over which a full cache's misses are counted before it decides whether to go on. */
const WINDOW = 1 << 16;

/** A cached key's group, and (as a DictionaryHint) its id in the dictionary of the channel it goes to. */
class KeyGroupEntry implements DictionaryHint {
  dictionary: StringDictionary | undefined = undefined;
  id = -1;
  epoch = 0;

  constructor(readonly value: string, readonly group: number) {}
}

/**
 * The key groups of string keys a record writer saw. Hashing a string (keyHash, the same in every
 * realm) reads every character per record; a Map finds a key it holds by the hash the engine
 * caches inside the string. Bounded: once full, new keys are hashed each time, and a cache that
 * still misses on more than a quarter of a window's lookups (many distinct keys, no repeats)
 * gives up, frees its keys and hashes every key from then on.
 * The entry found is also the key's DictionaryHint (`hint`): a batch to another worker takes the
 * key's dictionary id from it instead of looking the same string up again (batch-dictionary.ts).
 */
export class KeyGroupCache {
  private readonly groups = new Map<string, KeyGroupEntry>();
  private active = true;
  private lookups = 0;
  private misses = 0;
  /** The entry of the key groupOf saw last; undefined for a key it does not hold. */
  hint: DictionaryHint | undefined = undefined;

  constructor(private readonly maxParallelism: number) {}

  /** keyGroupOf(key, maxParallelism); must throw as keyHash does for a key that is not a primitive. */
  groupOf(key: StateKey): number {
    if (typeof key !== 'string' || !this.active) {
      this.hint = undefined;
      return keyHash(key) % this.maxParallelism;
    }
    this.lookups++;
    const known = this.groups.get(key);
    if (known === undefined) return this.miss(key);
    this.hint = known;
    return known.group;
  }

  /** Whether it still caches (false once it gave up). */
  get caching(): boolean {
    return this.active;
  }

  get size(): number {
    return this.groups.size;
  }

  private miss(key: string): number {
    const group = keyHash(key) % this.maxParallelism;
    this.hint = undefined;
    if (this.groups.size < KEY_GROUP_CACHE_SIZE) {
      const entry = new KeyGroupEntry(key, group);
      this.groups.set(key, entry);
      this.hint = entry;
      return group;
    }
    this.misses++;
    if (this.lookups >= WINDOW) {
      if (this.misses * 4 > this.lookups) {
        this.active = false;
        this.groups.clear();
      }
      this.lookups = 0;
      this.misses = 0;
    }
    return group;
  }
}
