import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupOf, keyGroupRangeOf } from '../../../src/graph/key-groups.js';
import type { OperatorRestoreState, StreamOperator } from '../../../src/runtime/operators/stream-operator.js';
import { KeyedChunkReuse } from '../../../src/runtime/task/keyed-chunk-reuse.js';
import { encodeSubtaskSnapshot } from '../../../src/runtime/task/subtask-state-io.js';
import { decodeChunk } from '../../../src/state/chunk-format.js';
import { HeapKeyedStateBackend, type KeyedStatePayload } from '../../../src/state/heap-keyed-state-backend.js';

const MAX = 128;
const range = keyGroupRangeOf(0, 1, MAX);
const who = { jobName: 'inc', attemptId: '1.1', subtaskIndex: 0, keyGroupRange: range };

function keyedOperator(backend: HeapKeyedStateBackend): StreamOperator {
  return { uid: 'sum', keyedBackend: backend, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: backend }) };
}

function put(backend: HeapKeyedStateBackend, key: string, value: number) {
  backend.setCurrentKey(key, keyGroupOf(key, MAX));
  backend.valueState<number>('v').update(value);
}

function restoreFrom(handles: { key: string }[], chunks: Map<string, Uint8Array>): HeapKeyedStateBackend {
  const backend = new HeapKeyedStateBackend(range);
  backend.restore(handles.map((h) => decodeChunk(chunks.get(h.key)!, 'keyed-state').payload as KeyedStatePayload));
  return backend;
}

describe('incremental keyed snapshots', () => {
  it('rewrites only the spans of key groups that changed since the last completed checkpoint, and restores the same state', () => {
    const backend = new HeapKeyedStateBackend(range);
    const reuse = new Map([['sum', new KeyedChunkReuse()]]);
    const op = keyedOperator(backend);
    const chunks = new Map<string, Uint8Array>();
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    keys.forEach((k, i) => put(backend, k, i));

    const first = encodeSubtaskSnapshot([op], 1, who, reuse);
    for (const c of first.write) chunks.set(c.handle.key, c.bytes);
    assert.equal(first.write.length, backend.spans().length, 'a first snapshot writes every span');
    reuse.get('sum')!.complete(1);

    // Change keys of one key group only.
    const hot = keys.filter((k) => keyGroupOf(k, MAX) === 17);
    hot.forEach((k) => put(backend, k, -1));
    const second = encodeSubtaskSnapshot([op], 2, who, reuse);
    for (const c of second.write) chunks.set(c.handle.key, c.bytes);
    assert.equal(second.write.length, 1, 'one span changed, one chunk written');
    assert.deepEqual(second.write[0]!.handle.keyGroupRange, { start: 16, end: 23 });
    const spansOf = (handles: { keyGroupRange?: { start: number; end: number } }[]) => [...new Set(handles.map((h) => `${h.keyGroupRange!.start}-${h.keyGroupRange!.end}`))].sort();
    assert.deepEqual(spansOf(second.handles), spansOf(first.handles), 'every span is still referenced');
    const persisted = second.write.reduce((n, c) => n + c.bytes.byteLength, 0);
    const total = second.handles.reduce((n, h) => n + h.bytes, 0);
    assert.ok(persisted < total / 8, `wrote ${persisted} of ${total} bytes`);

    const restored = restoreFrom(second.handles, chunks);
    for (const [i, k] of keys.entries()) {
      restored.setCurrentKey(k, keyGroupOf(k, MAX));
      assert.equal(restored.valueState<number>('v').value(), hot.includes(k) ? -1 : i);
    }
  });

  it('never reuses a chunk of a checkpoint that was aborted or not yet confirmed', () => {
    const backend = new HeapKeyedStateBackend(range);
    const reuse = new Map([['sum', new KeyedChunkReuse()]]);
    const op = keyedOperator(backend);
    put(backend, 'a', 1);
    const first = encodeSubtaskSnapshot([op], 1, who, reuse);
    reuse.get('sum')!.abort(1);
    const second = encodeSubtaskSnapshot([op], 2, who, reuse);
    assert.equal(second.write.length, first.write.length, 'after an abort, the state is written again');
    // 2 is not confirmed yet: 3 writes again rather than pointing at 2's chunk.
    const third = encodeSubtaskSnapshot([op], 3, who, reuse);
    assert.equal(third.write.length, 1);
    reuse.get('sum')!.complete(3);
    const fourth = encodeSubtaskSnapshot([op], 4, who, reuse);
    assert.equal(fourth.write.length, 0);
    assert.deepEqual(fourth.handles.map((h) => h.key), third.write.map((c) => c.handle.key));
  });

  it('after a restore, unchanged spans reuse the restored chunks; changed ones are written', () => {
    const chunks = new Map<string, Uint8Array>();
    const before = new HeapKeyedStateBackend(range);
    ['x', 'y', 'z'].forEach((k, i) => put(before, k, i));
    const taken = encodeSubtaskSnapshot([keyedOperator(before)], 7, who, new Map([['sum', new KeyedChunkReuse()]]));
    for (const c of taken.write) chunks.set(c.handle.key, c.bytes);

    const after = restoreFrom(taken.handles, chunks);
    const reuse = new KeyedChunkReuse();
    reuse.seed(taken.handles, after.spans());
    const op: StreamOperator = { ...keyedOperator(after), initialize: (_: OperatorRestoreState | undefined) => {} };
    const unchanged = encodeSubtaskSnapshot([op], 8, { ...who, attemptId: '1.2' }, new Map([['sum', reuse]]));
    assert.equal(unchanged.write.length, 0);
    put(after, 'x', 100);
    const changed = encodeSubtaskSnapshot([op], 9, { ...who, attemptId: '1.2' }, new Map([['sum', reuse]]));
    assert.equal(changed.write.length, 1);
    assert.deepEqual(changed.write[0]!.handle.keyGroupRange, taken.handles.find((h) => {
      const kg = keyGroupOf('x', MAX);
      return h.keyGroupRange!.start <= kg && kg <= h.keyGroupRange!.end;
    })!.keyGroupRange);
  });
});
