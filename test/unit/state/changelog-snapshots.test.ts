import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupOf, keyGroupRangeOf } from '../../../src/graph/key-groups.js';
import type { StateHandle } from '../../../src/runtime/control-messages.js';
import type { StreamOperator } from '../../../src/runtime/operators/stream-operator.js';
import { chainOrder, KeyedChunkReuse } from '../../../src/runtime/task/keyed-chunk-reuse.js';
import { SubtaskSnapshot } from '../../../src/runtime/task/subtask-snapshot.js';
import { decodeChunk, verifyChunk } from '../../../src/state/chunk-format.js';
import { HeapKeyedStateBackend, type KeyedStatePayload } from '../../../src/state/heap-keyed-state-backend.js';

const MAX = 128;
const range = keyGroupRangeOf(0, 1, MAX);
const who = { jobName: 'log', attemptId: '1.1', subtaskIndex: 0, keyGroupRange: range };

/** A keyed operator whose state the test drives directly, and the chunks its snapshots wrote. */
function fixture() {
  const backend = new HeapKeyedStateBackend(range);
  const op: StreamOperator = { uid: 'op', keyedBackend: backend, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: backend }) };
  const reuse = new Map([['op', new KeyedChunkReuse()]]);
  const chunks = new Map<string, Uint8Array>();
  const at = (key: string) => backend.setCurrentKey(key, keyGroupOf(key, MAX));
  /** Begins checkpoint `id`; `finish()` encodes the rest. */
  const begin = (id: number) => {
    const written: StateHandle[] = [];
    const snapshot = new SubtaskSnapshot([op], id, who, reuse, (handle, bytes) => {
      chunks.set(handle.key, bytes);
      written.push(handle);
    });
    return { snapshot, written };
  };
  const take = (id: number) => {
    const s = begin(id);
    s.snapshot.finish();
    return { handles: s.snapshot.handles, written: s.written, persisted: s.snapshot.persistedBytes, size: s.snapshot.handles.reduce((n, h) => n + h.bytes, 0) };
  };
  const complete = (id: number) => {
    const version = reuse.get('op')!.complete(id);
    if (version !== undefined) backend.releaseChanges(version);
  };
  const restore = (handles: readonly StateHandle[]) => {
    const restored = new HeapKeyedStateBackend(range);
    restored.restore([...handles].sort(chainOrder).map((h) => decodeChunk(chunks.get(h.key)!, 'keyed-state').payload as KeyedStatePayload));
    return restored;
  };
  return { backend, at, begin, take, complete, restore, chunks };
}

/** Every key's value, list and map state, as plain data, for comparison. */
function contents(backend: HeapKeyedStateBackend, keys: readonly string[]) {
  return keys.map((k) => {
    backend.setCurrentKey(k, keyGroupOf(k, MAX));
    return [k, backend.valueState('v').value(), backend.listState('l').get(), [...backend.mapState('m').entries()]];
  });
}

describe('keyed snapshots with a change log', () => {
  it('a checkpoint after 1 % of the keys changed, spread over every key group, writes at most 5 % of the state, and restores the same state', () => {
    const f = fixture();
    const keys = Array.from({ length: 20_000 }, (_, i) => `key-${i}`);
    for (const [i, k] of keys.entries()) {
      f.at(k);
      f.backend.valueState<string>('v').update(`value ${i} `.padEnd(60, '.'));
    }
    const first = f.take(1);
    assert.equal(first.persisted, first.size, 'the first checkpoint writes everything');
    f.complete(1);
    // Every hundredth key in key-group order: 1 % of the keys, in every key group.
    const changed = [...keys].sort((a, b) => keyGroupOf(a, MAX) - keyGroupOf(b, MAX)).filter((_, i) => i % 100 === 0);
    assert.equal(new Set(changed.map((k) => keyGroupOf(k, MAX))).size, MAX, 'the changes fall in every key group');
    for (const k of changed) {
      f.at(k);
      f.backend.valueState<string>('v').update(`changed ${k}`);
    }
    const second = f.take(2);
    assert.ok(second.persisted <= 0.05 * second.size, `wrote ${second.persisted} of ${second.size} bytes (${((100 * second.persisted) / second.size).toFixed(1)} %)`);
    assert.ok(second.written.every((h) => h.part === 'delta'), 'only deltas were written');
    assert.deepEqual(contents(f.restore(second.handles), keys), contents(f.backend, keys));
  });

  it('deltas carry removals, re-insertions and changes to list and map state', () => {
    const f = fixture();
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) {
      f.at(k);
      f.backend.valueState<number>('v').update(i);
      f.backend.listState<number>('l').add(i);
      f.backend.mapState<string, number>('m').put('a', i);
    }
    f.take(1);
    f.complete(1);
    let id = 2;
    for (const round of [0, 1, 2]) {
      for (const k of keys.filter((_, i) => i % 97 === round)) {
        f.at(k);
        f.backend.valueState<number>('v').clear();
        f.backend.listState<number>('l').add(-round);
        f.backend.mapState<string, number>('m').remove('a');
        f.backend.mapState<string, number>('m').put(`r${round}`, round);
      }
      for (const k of keys.filter((_, i) => i % 97 === (round + 2) % 97)) {
        f.at(k);
        f.backend.valueState<number>('v').update(1000 + round); // removed a round earlier for some: back again
      }
      const taken = f.take(id);
      assert.ok(taken.written.length > 0 && taken.written.every((h) => h.part === 'delta'), `round ${round} wrote deltas`);
      assert.deepEqual(contents(f.restore(taken.handles), keys), contents(f.backend, keys), `round ${round}`);
      f.complete(id++);
    }
  });

  it('a snapshot encoded a slice at a time holds the state of its barrier, whatever is written meanwhile (copy-on-write)', () => {
    const f = fixture();
    const keys = Array.from({ length: 3000 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) {
      f.at(k);
      f.backend.valueState<{ n: number }>('v').update({ n: i });
      f.backend.listState<number>('l').add(i);
      f.backend.mapState<string, number>('m').put('x', i);
    }
    const atBarrier = structuredClone(contents(f.backend, keys));
    const { snapshot } = f.begin(1);
    assert.equal(snapshot.step(1), false, 'one slice does not encode everything');
    for (const [i, k] of keys.entries()) {
      f.at(k);
      if (i % 3 === 0) {
        const v = f.backend.valueState<{ n: number }>('v').value()!;
        v.n = -1; // changed in place, never written back: the snapshot must not see it either
      }
      if (i % 3 === 1) f.backend.valueState<{ n: number }>('v').update({ n: -2 });
      if (i % 5 === 0) f.backend.listState<number>('l').add(-5);
      if (i % 7 === 0) f.backend.mapState<string, number>('m').put('y', -7);
      if (i % 11 === 0) f.backend.valueState('v').clear();
    }
    for (let i = 0; i < 50; i++) {
      f.at(`new-${i}`);
      f.backend.valueState<{ n: number }>('v').update({ n: i });
    }
    snapshot.finish();
    assert.deepEqual(contents(f.restore(snapshot.handles), [...keys, 'new-0']), [...atBarrier, ['new-0', undefined, [], []]]);
    assert.notDeepEqual(contents(f.backend, keys), atBarrier, 'the live state did change');
  });

  it('after an aborted checkpoint, the next one writes its changes too (deltas build on completed checkpoints only)', () => {
    const f = fixture();
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) {
      f.at(k);
      f.backend.valueState<number>('v').update(i);
    }
    f.take(1);
    f.complete(1);
    f.at('k1');
    f.backend.valueState<number>('v').update(-1);
    const aborted = f.take(2);
    for (const h of aborted.written) f.chunks.delete(h.key); // an aborted checkpoint's chunks may be deleted
    f.at('k2');
    f.backend.valueState<number>('v').update(-2);
    const third = f.take(3);
    assert.deepEqual(contents(f.restore(third.handles), keys), contents(f.backend, keys));
  });

  it('keeps every span\'s chain short: after many small changes a span is written in full again', () => {
    const f = fixture();
    const keys = Array.from({ length: 4000 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) {
      f.at(k);
      f.backend.valueState<number>('v').update(i);
    }
    f.take(1);
    f.complete(1);
    let last: StateHandle[] = [];
    for (let id = 2; id < 40; id++) {
      for (const k of keys.filter((_, i) => i % 50 === id % 50)) {
        f.at(k);
        f.backend.valueState<number>('v').update(id);
      }
      last = f.take(id).handles;
      f.complete(id);
      const perSpan = new Map<string, number>();
      for (const h of last) perSpan.set(`${h.keyGroupRange!.start}`, (perSpan.get(`${h.keyGroupRange!.start}`) ?? 0) + 1);
      assert.ok(Math.max(...perSpan.values()) <= 16, `checkpoint ${id}: at most 16 chunks per span`);
    }
    assert.ok(last.some((h) => h.part === 'state' && (h.seq ?? 0) > 1), 'some span was written in full again');
    assert.deepEqual(contents(f.restore(last), keys), contents(f.backend, keys));
  });
});

describe('restored keyed state decoded as it is used', () => {
  it('a restore keeps the checked chunks encoded: a key decodes its span on first use, unchanged spans are reused without decoding, and the state is the same', () => {
    const f = fixture();
    const keys = Array.from({ length: 6000 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) {
      f.at(k);
      f.backend.valueState<number>('v').update(i);
      if (i % 3 === 0) f.backend.mapState<string, number>('m').put('x', i);
    }
    const taken = f.take(1);
    const encoded = [...taken.handles].sort(chainOrder).map((h) => ({ keyGroupRange: h.keyGroupRange!, body: verifyChunk(f.chunks.get(h.key)!, 'keyed-state').body }));
    const restored = new HeapKeyedStateBackend(range);
    restored.restore([], encoded);
    assert.equal(restored.restoring, true);
    restored.setCurrentKey('k42', keyGroupOf('k42', MAX));
    assert.equal(restored.valueState<number>('v').value(), 42);
    assert.equal(restored.restoring, true, 'one key decoded one span, not all');
    // A snapshot of the restored backend reuses the spans nobody touched, without decoding them.
    const reuse = new KeyedChunkReuse();
    reuse.seed(taken.handles, restored.spans());
    restored.valueState<number>('v').update(-42);
    const op: StreamOperator = { uid: 'op', keyedBackend: restored, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: restored }) };
    const written: StateHandle[] = [];
    const next = new SubtaskSnapshot([op], 2, who, new Map([['op', reuse]]), (h, b) => {
      f.chunks.set(h.key, b);
      written.push(h);
    });
    next.finish();
    assert.equal(written.length, 1, 'only the changed span is written');
    assert.equal(restored.restoring, true, 'the reused spans are still encoded');
    while (restored.loadNext());
    assert.equal(restored.restoring, false);
    assert.deepEqual(contents(restored, keys), contents(f.backend, keys).map((row) => (row[0] === 'k42' ? ['k42', -42, row[2], row[3]] : row)));
    assert.deepEqual(contents(f.restore(next.handles), keys), contents(restored, keys));
  });
});
