import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WeirError } from '../../../src/errors/index.js';
import {
  DEFAULT_MAX_PARALLELISM,
  keyGroupOf,
  keyGroupRangeOf,
  keyHash,
  rangesIntersect,
  subtaskForKeyGroup,
  type KeyGroupRange,
} from '../../../src/graph/key-groups.js';
import type { StateKey } from '../../../src/state/keyed-state.js';

const MAX_PARALLELISMS = [1, 7, 128];

/** The key groups each subtask owns, in subtask order. */
function rangesFor(parallelism: number, maxParallelism: number): KeyGroupRange[] {
  return Array.from({ length: parallelism }, (_, i) => keyGroupRangeOf(i, parallelism, maxParallelism));
}

describe('keyHash', () => {
  it('gives the pinned hash for keys of every type, so state written by this version restores in the next one', () => {
    // A change here moves keys to other key groups: every stored keyed checkpoint would restore into the wrong subtasks.
    const pinned: [StateKey, number][] = [
      ['', 2872998923],
      ['a', 444641715],
      ['user-42', 2083131798],
      [0, 0],
      [1, 1364076727],
      [-1, 2180083513],
      [42, 142593372],
      [1.5, 327582077],
      [2 ** 40, 364002753],
      [7n, 2079235800],
      [true, 262886248],
      [false, 3416284795],
    ];
    assert.deepEqual(pinned.map(([key]) => [key, keyHash(key)]), pinned);
  });

  it('is deterministic: hashing the same keys twice gives the same unsigned 32-bit hashes', () => {
    const keys: StateKey[] = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? `k${i}` : i * 3 - 500));
    const first = keys.map(keyHash);
    const second = keys.map(keyHash);
    assert.deepEqual(second, first);
    assert.deepEqual(first.filter((h) => !Number.isInteger(h) || h < 0 || h > 0xffffffff), []);
  });

  it('spreads 10k string keys over 128 key groups with no group empty and at most twice as many keys in the fullest group as in the emptiest', () => {
    const counts = new Array<number>(DEFAULT_MAX_PARALLELISM).fill(0);
    for (let i = 0; i < 10_000; i++) counts[keyGroupOf(`user-${i}`, DEFAULT_MAX_PARALLELISM)]!++;
    const min = Math.min(...counts);
    const max = Math.max(...counts);
    assert.ok(min > 0, `a key group is empty: ${counts.join(',')}`);
    assert.ok(max / min < 2, `max/min = ${max}/${min}`);
    assert.equal(counts.reduce((a, b) => a + b, 0), 10_000);
  });

  it('spreads 10k consecutive integer keys over 128 key groups as evenly as string keys', () => {
    const counts = new Array<number>(DEFAULT_MAX_PARALLELISM).fill(0);
    for (let i = 0; i < 10_000; i++) counts[keyGroupOf(i, DEFAULT_MAX_PARALLELISM)]!++;
    const min = Math.min(...counts);
    const max = Math.max(...counts);
    assert.ok(min > 0 && max / min < 2, `max/min = ${max}/${min}`);
  });

  it('hashes -0 and 0 alike, so both keys land in the same key group', () => {
    assert.equal(keyHash(-0), keyHash(0));
    for (const maxParallelism of MAX_PARALLELISMS) assert.equal(keyGroupOf(-0, maxParallelism), keyGroupOf(0, maxParallelism));
  });

  it('hashes a non-integer number, a bigint and a boolean to a stable group inside 0..maxParallelism-1', () => {
    const keys: StateKey[] = [1.5, -2.25, 2 ** 53, 123n, -5n, true, false, Number.NaN];
    for (const maxParallelism of MAX_PARALLELISMS) {
      const groups = keys.map((k) => keyGroupOf(k, maxParallelism));
      assert.deepEqual(keys.map((k) => keyGroupOf(k, maxParallelism)), groups);
      assert.deepEqual(groups.filter((g) => !Number.isInteger(g) || g < 0 || g >= maxParallelism), []);
    }
    assert.notEqual(keyHash(true), keyHash(false));
    assert.notEqual(keyHash(1.5), keyHash(1));
  });

  it('rejects a non-primitive key with INVALID_ARGUMENT naming keyBy', () => {
    for (const key of [{ id: 1 }, [1, 2], null, undefined, Symbol('k'), () => 1]) {
      assert.throws(
        () => keyHash(key as unknown as StateKey),
        (error: unknown) => {
          assert.ok(error instanceof WeirError);
          assert.equal(error.code, 'INVALID_ARGUMENT');
          assert.equal(error.domain, 'user');
          assert.deepEqual(error.details, { argument: 'keyBy(keySelector)' });
          assert.match(error.message, /^keyBy\(keySelector\): the key selector must return a string, number, bigint or boolean, got /);
          return true;
        },
        `key ${String(typeof key)}`,
      );
    }
  });
});

describe('keyGroupRangeOf', () => {
  it('partitions 0..maxParallelism-1 into contiguous, non-empty ranges in subtask order for every parallelism 1..maxParallelism', () => {
    for (const maxParallelism of MAX_PARALLELISMS) {
      for (let parallelism = 1; parallelism <= maxParallelism; parallelism++) {
        const ranges = rangesFor(parallelism, maxParallelism);
        const where = `p=${parallelism} maxP=${maxParallelism}: ${JSON.stringify(ranges)}`;
        assert.equal(ranges[0]!.start, 0, where);
        assert.equal(ranges[parallelism - 1]!.end, maxParallelism - 1, where);
        ranges.forEach((r, i) => {
          assert.ok(r.start <= r.end, `empty range ${i}, ${where}`);
          if (i > 0) assert.equal(r.start, ranges[i - 1]!.end + 1, `gap or overlap before ${i}, ${where}`);
        });
      }
    }
  });

  it('gives each key group to exactly one subtask for every parallelism 1..maxParallelism', () => {
    for (const maxParallelism of MAX_PARALLELISMS) {
      for (let parallelism = 1; parallelism <= maxParallelism; parallelism++) {
        const owners = Array.from({ length: maxParallelism }, () => [] as number[]);
        rangesFor(parallelism, maxParallelism).forEach((r, i) => {
          for (let g = r.start; g <= r.end; g++) owners[g]!.push(i);
        });
        const wrong = owners.map((o, g) => [g, o] as const).filter(([, o]) => o.length !== 1);
        assert.deepEqual(wrong, [], `p=${parallelism} maxP=${maxParallelism}`);
      }
    }
  });

  it('sizes ranges within one key group of each other', () => {
    for (const maxParallelism of MAX_PARALLELISMS) {
      for (let parallelism = 1; parallelism <= maxParallelism; parallelism++) {
        const sizes = rangesFor(parallelism, maxParallelism).map((r) => r.end - r.start + 1);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `p=${parallelism} maxP=${maxParallelism}: ${sizes.join(',')}`);
      }
    }
  });

  it('gives the known ranges for 3 subtasks over 7 key groups', () => {
    assert.deepEqual(rangesFor(3, 7), [
      { start: 0, end: 2 },
      { start: 3, end: 4 },
      { start: 5, end: 6 },
    ]);
  });

  it('makes ranges of different subtasks at one parallelism never intersect, and a range intersect itself', () => {
    const ranges = rangesFor(5, 128);
    for (let i = 0; i < ranges.length; i++) {
      for (let j = 0; j < ranges.length; j++) assert.equal(rangesIntersect(ranges[i]!, ranges[j]!), i === j, `${i} vs ${j}`);
    }
    assert.equal(rangesIntersect({ start: 0, end: 10 }, { start: 10, end: 20 }), true);
    assert.equal(rangesIntersect({ start: 0, end: 9 }, { start: 10, end: 20 }), false);
  });
});

describe('subtaskForKeyGroup', () => {
  it('names the subtask whose keyGroupRangeOf holds the key group, for every parallelism 1..maxParallelism', () => {
    for (const maxParallelism of MAX_PARALLELISMS) {
      for (let parallelism = 1; parallelism <= maxParallelism; parallelism++) {
        const ranges = rangesFor(parallelism, maxParallelism);
        const mismatches: string[] = [];
        for (let g = 0; g < maxParallelism; g++) {
          const s = subtaskForKeyGroup(g, parallelism, maxParallelism);
          const r = ranges[s];
          if (r === undefined || g < r.start || g > r.end) mismatches.push(`group ${g} -> subtask ${s}`);
        }
        assert.deepEqual(mismatches, [], `p=${parallelism} maxP=${maxParallelism}`);
      }
    }
  });

  it('routes a key of any type to the subtask whose range holds its key group', () => {
    const keys: StateKey[] = ['alpha', 17, -0, 2.5, 99n, true];
    for (const key of keys) {
      const group = keyGroupOf(key, 128);
      const subtask = subtaskForKeyGroup(group, 4, 128);
      const range = keyGroupRangeOf(subtask, 4, 128);
      assert.ok(group >= range.start && group <= range.end, `key ${String(key)}`);
    }
  });
});
