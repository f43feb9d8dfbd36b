// RoutingStorage (a job spread over shard objects): state chunks go to the store of the subtask
// that wrote them, everything else to the home store; listings of chunks ask every store. Over
// memory stores here (the workerd tests run it over Durable Objects).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineStorageContract } from '../../contract/storage-contract.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';
import { RoutingStorage } from '../../../src/state/backends/routing-storage.js';
import { storageLayout } from '../../../src/state/storage-layout.js';

function routed(options: ConstructorParameters<typeof MemoryCheckpointStorage>[0] = {}, shards = 3) {
  const home = new MemoryCheckpointStorage(options);
  const stores = Array.from({ length: 8 }, () => new MemoryCheckpointStorage(options));
  const storage = new RoutingStorage({ jobName: 'job', home: home as never, shard: (i) => stores[i]! as never, shards });
  return { home, stores, storage };
}

defineStorageContract('routing (memory stores)', { open: async (options) => routed(options).storage }, { describe, it });

describe('RoutingStorage', () => {
  const chunk = (checkpoint: number, subtask: number, kind = 'keyed-0') => storageLayout.stateChunkKey('job', checkpoint, storageLayout.attemptId(1, 1), 'op', subtask, kind);

  it('puts a state chunk in the store of the subtask that wrote it, reads it from there, and other keys at home', async () => {
    const { home, stores, storage } = routed();
    await storage.putChunk(chunk(1, 0), new Uint8Array([0]));
    await storage.putChunk(chunk(1, 2), new Uint8Array([2]));
    await storage.putChunk(chunk(1, 5), new Uint8Array([5])); // a subtask of a former, higher parallelism: still its own store
    await storage.putChunk('logs/events/partitions/00000/batches/0000000000000000', new Uint8Array([9]));
    await storage.putMetadata([{ key: 'jobs/job/epoch', bytes: new Uint8Array([1]) }]);
    assert.deepEqual(await stores[0]!.listChunks(''), [chunk(1, 0)]);
    assert.deepEqual(await stores[2]!.listChunks(''), [chunk(1, 2)]);
    assert.deepEqual(await stores[5]!.listChunks(''), [chunk(1, 5)]);
    assert.deepEqual(await home.listChunks(''), ['logs/events/partitions/00000/batches/0000000000000000']);
    assert.deepEqual(await home.listMetadata(''), ['jobs/job/epoch']);
    assert.deepEqual(await storage.getChunk(chunk(1, 2)), new Uint8Array([2]));
    assert.equal(storage.shardOf(chunk(1, 2)), 2);
    assert.equal(storage.shardOf('jobs/other/chunks/000000000001/1/op/00002/x'), undefined, "another job's key");
  });

  it('lists chunks of every store (its shards and home) sorted, for a prefix that covers state chunks; other prefixes at home only', async () => {
    const { stores, storage } = routed();
    for (const [c, s] of [[2, 1], [1, 2], [1, 0], [3, 2]] as const) await storage.putChunk(chunk(c, s), new Uint8Array(1));
    await stores[0]!.putChunk('logs/x', new Uint8Array(1)); // not where a log lives: a listing of logs/ must not see it
    assert.deepEqual(await storage.listChunks('jobs/job/'), [chunk(1, 0), chunk(1, 2), chunk(2, 1), chunk(3, 2)]);
    assert.deepEqual(await storage.listChunks('jobs/job/chunks/000000000001/'), [chunk(1, 0), chunk(1, 2)]);
    assert.deepEqual(await storage.listChunks('logs/'), []);
  });

  it('deletes chunks in the stores that hold them', async () => {
    const { stores, storage } = routed();
    for (const s of [0, 1, 2]) await storage.putChunk(chunk(1, s), new Uint8Array(1));
    await storage.deleteChunks([chunk(1, 0), chunk(1, 2), chunk(9, 1)]);
    assert.deepEqual(await storage.listChunks(''), [chunk(1, 1)]);
    assert.deepEqual(await stores[1]!.listChunks(''), [chunk(1, 1)]);
  });
});
