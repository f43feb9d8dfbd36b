import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupOf, keyGroupRangeOf } from '../../../src/graph/key-groups.js';
import { decodeChunk, encodeChunk } from '../../../src/state/chunk-format.js';
import { HeapKeyedStateBackend, type KeyedStatePayload } from '../../../src/state/heap-keyed-state-backend.js';

const MAX_PARALLELISM = 128;

function backendsFor(parallelism: number): HeapKeyedStateBackend[] {
  return Array.from({ length: parallelism }, (_, i) => new HeapKeyedStateBackend(keyGroupRangeOf(i, parallelism, MAX_PARALLELISM)));
}

function ownerOf(backends: HeapKeyedStateBackend[], key: string): HeapKeyedStateBackend {
  const kg = keyGroupOf(key, MAX_PARALLELISM);
  return backends.find((b) => kg >= b.keyGroupRange.start && kg <= b.keyGroupRange.end)!;
}

describe('keyed state across parallelisms', () => {
  for (const target of [1, 2, 3]) {
    it(`a snapshot taken at parallelism 4 restores at ${target} with every key and every state intact`, () => {
      const keys = Array.from({ length: 5000 }, (_, i) => `key-${i}`);
      const before = backendsFor(4);
      for (const [i, key] of keys.entries()) {
        const b = ownerOf(before, key);
        b.setCurrentKey(key, keyGroupOf(key, MAX_PARALLELISM));
        b.valueState<number>('count').update(i);
        b.listState<string>('seen').addAll([key, `${i}`]);
        b.mapState<string, number>('m').put('i', i);
      }
      // Through the real chunk encoding, as a checkpoint stores it.
      const payloads = before.map((b) => decodeChunk(encodeChunk('keyed-state', b.snapshot()), 'keyed-state').payload as KeyedStatePayload);

      const after = backendsFor(target);
      for (const b of after) b.restore(payloads);
      for (const [i, key] of keys.entries()) {
        const owners = after.filter((b) => {
          b.setCurrentKey(key, keyGroupOf(key, MAX_PARALLELISM));
          const kg = keyGroupOf(key, MAX_PARALLELISM);
          return kg >= b.keyGroupRange.start && kg <= b.keyGroupRange.end && b.valueState<number>('count').value() !== undefined;
        });
        assert.equal(owners.length, 1, `key ${key} is held by exactly one subtask`);
        const b = owners[0]!;
        assert.equal(b.valueState<number>('count').value(), i);
        assert.deepEqual(b.listState<string>('seen').get(), [key, `${i}`]);
        assert.equal(b.mapState<string, number>('m').get('i'), i);
      }
      // Nothing outside a backend's own range was taken in.
      for (const b of after) {
        for (const [kg] of b.snapshot().groups) assert.ok(kg >= b.keyGroupRange.start && kg <= b.keyGroupRange.end);
      }
      const total = after.reduce((n, b) => n + b.snapshot().groups.reduce((m, [, s]) => m + s.count!.size, 0), 0);
      assert.equal(total, keys.length);
    });
  }
});
