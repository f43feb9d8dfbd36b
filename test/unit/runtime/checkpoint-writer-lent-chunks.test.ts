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

describe('checkpoint writer: chunks lent to the storage', () => {
  it('lends keyed chunks through putLentChunk and builds no later chunk in bytes still lent', async () => {
    const backend = new HeapKeyedStateBackend(range);
    for (let i = 0; i < 2000; i++) {
      const key = `key-${i}`;
      backend.setCurrentKey(key, keyGroupOf(key, MAX));
      backend.valueState<string>('v').update(`${i}:`.padEnd(200, 'x'));
    }
    const op: StreamOperator = { uid: 'op', keyedBackend: backend, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: backend }) };
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
});
