import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupOf, keyGroupRangeOf } from '../../../src/graph/key-groups.js';
import type { TaskReport } from '../../../src/runtime/control-messages.js';
import type { StreamOperator } from '../../../src/runtime/operators/stream-operator.js';
import { CheckpointWriter } from '../../../src/runtime/task/checkpoint-writer.js';
import { KeyedChunkReuse } from '../../../src/runtime/task/keyed-chunk-reuse.js';
import { decodeChunk } from '../../../src/state/chunk-format.js';
import { HeapKeyedStateBackend, type KeyedStatePayload } from '../../../src/state/heap-keyed-state-backend.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';

const MAX = 128;
const range = keyGroupRangeOf(0, 1, MAX);
const who = { jobName: 'lent', attemptId: '1.1', subtaskIndex: 0, keyGroupRange: range };

/**
 * A storage with putLentChunk whose writes stay pending until the test settles them: what a slow
 * backend (Deno KV's commits) does while the writer encodes the next chunks. It checks, at each
 * settle, that the lent bytes are still those of the call.
 */
class HeldLentStorage extends MemoryCheckpointStorage {
  readonly pending: { key: string; bytes: Uint8Array; atCall: Uint8Array; settle: () => void }[] = [];
  lent = 0;
  changedWhileLent: string[] = [];

  putLentChunk(key: string, bytes: Uint8Array): Promise<void> {
    this.lent++;
    return new Promise((resolve, reject) => {
      const atCall = bytes.slice();
      this.pending.push({
        key, bytes, atCall,
        settle: () => {
          if (!Buffer.from(bytes).equals(Buffer.from(atCall))) this.changedWhileLent.push(key);
          this.putChunk(key, bytes).then(resolve, reject);
        },
      });
    });
  }

  settleAll(): void {
    for (const p of this.pending.splice(0)) p.settle();
  }
}

/** A storage that stores lent bytes during the call and says so before it returns (as Durable Object storage does); records each keyed chunk's buffer. */
class DoneOnReturnStorage extends MemoryCheckpointStorage {
  readonly keyedBuffers: ArrayBufferLike[] = [];

  override putLentChunk(key: string, bytes: Uint8Array, done?: () => void): Promise<void> {
    if (key.includes('/keyed-')) this.keyedBuffers.push(bytes.buffer);
    return super.putLentChunk(key, bytes, done);
  }
}

function keyedOperator(keys: number): StreamOperator {
  const backend = new HeapKeyedStateBackend(range);
  for (let i = 0; i < keys; i++) {
    const key = `key-${i}`;
    backend.setCurrentKey(key, keyGroupOf(key, MAX));
    backend.valueState<string>('v').update(`${i}:`.padEnd(200, 'x'));
  }
  return { uid: 'op', keyedBackend: backend, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: backend }) };
}

describe('checkpoint writer: chunks lent to the storage', () => {
  it('lends keyed chunks through putLentChunk and builds no later chunk in bytes still lent', async () => {
    const op = keyedOperator(2000);
    const storage = new HeldLentStorage();
    const reports: TaskReport[] = [];
    const writer = new CheckpointWriter({
      subtask: { vertexId: 0, subtaskIndex: 0 }, attempt: 1, storage, clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} },
      report: (r) => reports.push(r), reuse: new Map([['op', new KeyedChunkReuse()]]), taskName: () => 'lent', alive: () => true,
    });
    writer.take(1, [op], who, 0);
    writer.finish(); // every span encoded while none of their writes has settled
    assert.ok(storage.lent >= 8, `the keyed chunks went through putLentChunk (${storage.lent})`);
    storage.settleAll();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(storage.changedWhileLent, [], 'no chunk changed while it was lent');
    const ack = reports.find((r) => r.kind === 'ack');
    assert.ok(ack !== undefined && ack.kind === 'ack', 'acknowledged once every write settled');
    // What was stored restores every key.
    const restored = new HeapKeyedStateBackend(range);
    const payloads: KeyedStatePayload[] = [];
    for (const h of ack.handles) payloads.push(decodeChunk((await storage.getChunk(h.key))!, 'keyed-state').payload as KeyedStatePayload);
    restored.restore(payloads);
    for (let i = 0; i < 2000; i += 37) {
      const key = `key-${i}`;
      restored.setCurrentKey(key, keyGroupOf(key, MAX));
      assert.equal(restored.valueState<string>('v').value(), `${i}:`.padEnd(200, 'x'));
    }
  });

  it('builds every keyed chunk in one buffer when the storage is done with each on return, though the whole snapshot is encoded in one turn (workerd)', async () => {
    const storage = new DoneOnReturnStorage();
    const reports: TaskReport[] = [];
    const writer = new CheckpointWriter({
      subtask: { vertexId: 0, subtaskIndex: 0 }, attempt: 1, storage, clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} },
      report: (r) => reports.push(r), reuse: new Map([['op', new KeyedChunkReuse()]]), taskName: () => 'lent', alive: () => true,
    });
    writer.take(1, [keyedOperator(2000)], who, 0);
    while (writer.step()); // no await between steps: no promise settles meanwhile
    assert.equal(storage.keyedBuffers.length, 16, 'one keyed chunk per span of 8 key groups');
    // The first chunk's buffer may grow once or twice before every span fits in it.
    assert.ok(new Set(storage.keyedBuffers).size <= 3, `the keyed chunks were built in ${new Set(storage.keyedBuffers).size} buffers`);
    await new Promise((resolve) => setImmediate(resolve));
    const ack = reports.find((r) => r.kind === 'ack');
    assert.ok(ack !== undefined && ack.kind === 'ack');
    // Each chunk was stored as it was at its call (memory storage copies it), and they restore every key.
    const restored = new HeapKeyedStateBackend(range);
    restored.restore(await Promise.all(ack.handles.map(async (h) => decodeChunk((await storage.getChunk(h.key))!, 'keyed-state').payload as KeyedStatePayload)));
    for (let i = 0; i < 2000; i += 37) {
      const key = `key-${i}`;
      restored.setCurrentKey(key, keyGroupOf(key, MAX));
      assert.equal(restored.valueState<string>('v').value(), `${i}:`.padEnd(200, 'x'));
    }
  });
});
