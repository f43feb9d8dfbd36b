import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupOf, keyGroupRangeOf } from '../../../src/graph/key-groups.js';
import type { StateHandle } from '../../../src/runtime/control-messages.js';
import type { StreamOperator } from '../../../src/runtime/operators/stream-operator.js';
import { KeyedChunkReuse } from '../../../src/runtime/task/keyed-chunk-reuse.js';
import { SubtaskSnapshot } from '../../../src/runtime/task/subtask-snapshot.js';
import { decodeChunk } from '../../../src/state/chunk-format.js';
import { HeapKeyedStateBackend, type KeyedStatePayload } from '../../../src/state/heap-keyed-state-backend.js';

const MAX = 128;
const range = keyGroupRangeOf(0, 1, MAX);
const who = { jobName: 'lend', attemptId: '1.1', subtaskIndex: 0, keyGroupRange: range };

/** A keyed operator holding `keys` keys of ~200 bytes each, spread over every key group (16 spans of 8). */
function operator(keys: number): StreamOperator {
  const backend = new HeapKeyedStateBackend(range);
  const state = backend.valueState<string>('v');
  for (let k = 0; k < keys; k++) {
    backend.setCurrentKey(k, keyGroupOf(k, MAX));
    state.update(`${k}:${'p'.repeat(200)}`);
  }
  return { uid: 'op', keyedBackend: backend, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: backend }) };
}

describe('keyed chunks lent to their writes', () => {
  it('a chunk is never overwritten while its write is pending, and its buffer builds a later chunk once the write settled', async () => {
    const op = operator(2000);
    const lent: { handle: StateHandle; bytes: Uint8Array; copy: Uint8Array; settle: () => void }[] = [];
    const snapshot = new SubtaskSnapshot([op], 1, who, new Map([['op', new KeyedChunkReuse()]]), (handle, bytes) => {
      let settle!: () => void;
      const write = new Promise<void>((resolve) => (settle = resolve));
      lent.push({ handle, bytes, copy: bytes.slice(), settle });
      return write;
    });
    // Every write pending: no two chunks may share a buffer, and each keeps its bytes.
    while (!snapshot.step(64 * 1024));
    const keyed = lent.filter((l) => l.handle.part === 'state');
    assert.equal(keyed.length, 16, 'one chunk per span of 8 key groups');
    assert.equal(new Set(keyed.map((l) => l.bytes.buffer)).size, keyed.length);
    for (const l of lent) assert.deepEqual(l.bytes, l.copy, l.handle.key);
    const keys = (payload: KeyedStatePayload) => payload.groups.reduce((n, [, states]) => n + (states.v?.size ?? 0), 0);
    assert.equal(keyed.reduce((n, l) => n + keys(decodeChunk(l.copy, 'keyed-state').payload as KeyedStatePayload), 0), 2000);

    // Writes that settle one by one: the next snapshot builds its chunks in the buffers given back.
    for (const l of lent) l.settle();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const again: { bytes: Uint8Array; copy: Uint8Array }[] = [];
    const second = new SubtaskSnapshot([op], 2, who, new Map([['op', new KeyedChunkReuse()]]), (handle, bytes) => {
      again.push({ bytes, copy: bytes.slice() });
      const write = Promise.resolve();
      return write;
    });
    while (!second.step(64 * 1024)) await Promise.resolve();
    await Promise.resolve();
    const earlier = new Set(keyed.map((l) => l.bytes.buffer));
    assert.ok(again.some((a) => earlier.has(a.bytes.buffer)), 'a buffer given back is used again');
    assert.deepEqual(again.map((a) => a.copy.length).sort(), keyed.map((l) => l.copy.length).sort(), 'the same state, the same chunks');
  });

  it('a chunk whose callee returns no promise is the callee\'s: its buffer is never used again', () => {
    const op = operator(500);
    const kept: { bytes: Uint8Array; copy: Uint8Array }[] = [];
    for (const id of [1, 2]) {
      const snapshot = new SubtaskSnapshot([op], id, who, new Map([['op', new KeyedChunkReuse()]]), (_handle, bytes) => {
        kept.push({ bytes, copy: bytes.slice() });
      });
      snapshot.finish();
    }
    assert.ok(kept.length >= 32);
    assert.equal(new Set(kept.map((k) => k.bytes.buffer)).size, kept.length);
    for (const k of kept) assert.deepEqual(k.bytes, k.copy);
  });
});
