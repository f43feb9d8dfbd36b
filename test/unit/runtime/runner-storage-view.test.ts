import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RoutingStorage } from '../../../src/state/backends/routing-storage.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';
import type { CheckpointStorage } from '../../../src/state/checkpoint-storage.js';
import { runnerStorageView } from '../../../src/runtime/worker/runner-storage-view.js';

/** What comlink hands a worker: every property answers (a proxy), whether the object has it or not. */
function proxyLike(target: CheckpointStorage): CheckpointStorage {
  return new Proxy(target, {
    get: (t, prop) => {
      const value = (t as unknown as Record<PropertyKey, unknown>)[prop];
      return typeof value === 'function' ? value.bind(t) : () => Promise.resolve(value);
    },
  });
}

describe('runnerStorageView (the runner\'s storage as a worker or a shard host uses it)', () => {
  it('keeps a shard host\'s own storage as it is, so its contextBound (in-realm log wake-ups) stays visible', () => {
    const local = new MemoryCheckpointStorage();
    const routing = new RoutingStorage({ jobName: 'j', home: local, shard: () => local, shards: 3 });
    const view = runnerStorageView(routing, false);
    assert.equal(view, routing);
    assert.equal(view.contextBound, true);
  });

  it('narrows a proxied storage to the contract\'s calls, which reach the storage behind it', async () => {
    const behind = new MemoryCheckpointStorage();
    const view = runnerStorageView(proxyLike(behind), true);
    assert.equal(view.putLentChunk, undefined, 'a proxy would answer putLentChunk, whose callback cannot cross to the runner');
    assert.equal(view.contextBound, undefined);
    await view.putChunk('c/1', new Uint8Array([1, 2, 3]));
    assert.deepEqual(await behind.getChunk('c/1'), new Uint8Array([1, 2, 3]));
    await view.putMetadata([{ key: 'm/1', bytes: new Uint8Array([9]) }], { key: 'm/1', exists: false });
    assert.deepEqual(await view.getMetadata('m/1'), new Uint8Array([9]));
    assert.deepEqual(await view.listMetadata('m/'), ['m/1']);
    await view.deleteMetadata(['m/1']);
    assert.equal(await behind.getMetadata('m/1'), undefined);
  });
});
