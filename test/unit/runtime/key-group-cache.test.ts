import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupOf } from '../../../src/graph/key-groups.js';
import { KEY_GROUP_CACHE_SIZE, KeyGroupCache } from '../../../src/runtime/task/key-group-cache.js';

describe('KeyGroupCache (the record writer\'s key groups of string keys)', () => {
  it('gives keyGroupOf for every kind of key, seen before or not', () => {
    const cache = new KeyGroupCache(128);
    const keys = ['', 'a', 'héllo', 'word-17', 0, -0, 3.5, 2 ** 40, 12n, true, false];
    for (let round = 0; round < 3; round++) {
      for (const key of keys) assert.equal(cache.groupOf(key), keyGroupOf(key, 128), `round ${round}: ${String(key)}`);
    }
    assert.equal(cache.size, 4, 'only the string keys are kept');
  });

  it('throws as keyHash does for a key that is not a primitive', () => {
    const cache = new KeyGroupCache(128);
    assert.throws(() => cache.groupOf({} as unknown as string), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /keyBy\(keySelector\)/.test(e.message));
  });

  it('keeps at most KEY_GROUP_CACHE_SIZE keys, and keeps caching while most lookups find their key', () => {
    const cache = new KeyGroupCache(4096);
    for (let i = 0; i < KEY_GROUP_CACHE_SIZE + 1000; i++) cache.groupOf(`k${i}`);
    assert.equal(cache.size, KEY_GROUP_CACHE_SIZE);
    // Mostly keys it holds, one new key in ten: still worth it.
    for (let i = 0; i < 300_000; i++) {
      const key = i % 10 === 0 ? `new${i}` : `k${i % KEY_GROUP_CACHE_SIZE}`;
      assert.equal(cache.groupOf(key), keyGroupOf(key, 4096));
    }
    assert.equal(cache.caching, true);
    assert.equal(cache.size, KEY_GROUP_CACHE_SIZE);
  });

  it('gives up (and lets its keys go) when most keys are new, and still gives the right groups', () => {
    const cache = new KeyGroupCache(128);
    let i = 0;
    for (; i < KEY_GROUP_CACHE_SIZE + 200_000 && cache.caching; i++) cache.groupOf(`u${i}`);
    assert.equal(cache.caching, false, `still caching after ${i} distinct keys`);
    assert.equal(cache.size, 0);
    for (const key of ['u1', 'u2', 'x', 7]) assert.equal(cache.groupOf(key), keyGroupOf(key, 128));
  });
});
