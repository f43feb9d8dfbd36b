import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WeirError } from '../../../src/errors/index.js';
import { handleKeysOf, type CheckpointMetadata } from '../../../src/runtime/coordinator/checkpoint-metadata.js';
import { decodeChunk } from '../../../src/state/chunk-format.js';
import { ackAll, ackOf, advance, GatedStorage, handle, latestId, settle, setup, statusOf, SUBTASKS } from './coordinator-harness.js';

// Issue 10, items 6 and 7: a metadata write whose outcome is unknown must not take the chunks a
// now-visible checkpoint points to; a checkpoint whose completion throws must not wedge the coordinator.

/** Writes the metadata, then rejects as a write whose directory fsync failed; reads fail while `readsFail`. */
class LandsThenFails extends GatedStorage {
  failNext = true;
  readsFail = false;
  override async putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>): Promise<void> {
    await super.putMetadata(records);
    if (this.failNext && records.some((r) => r.key.includes('/checkpoints/'))) {
      this.failNext = false;
      throw new WeirError('CHECKPOINT_STORAGE_FAILED', 'fs storage: putMetadata failed: EIO', { domain: 'external', retryable: true });
    }
  }
  override async getMetadata(key: string): Promise<Uint8Array | undefined> {
    if (this.readsFail) throw new WeirError('CHECKPOINT_STORAGE_FAILED', 'fs storage: getMetadata failed: EIO', { domain: 'external', retryable: true });
    return super.getMetadata(key);
  }
}

/** Every chunk that some stored checkpoint metadata points to, and whether it is there. */
async function referencedChunks(storage: GatedStorage): Promise<{ key: string; present: boolean }[]> {
  const out: { key: string; present: boolean }[] = [];
  for (const key of await storage.listMetadata('')) {
    if (!key.includes('/checkpoints/')) continue;
    const metadata = decodeChunk((await storage.getMetadata(key))!, 'checkpoint-metadata').payload as CheckpointMetadata;
    for (const chunk of handleKeysOf(metadata)) out.push({ key: chunk, present: (await storage.getChunk(chunk)) !== undefined });
  }
  return out;
}

describe('CheckpointCoordinator: a metadata write of unknown outcome', () => {
  it('that landed (read back, same bytes) completes the checkpoint: its chunks stay, the tasks are told', async () => {
    const storage = new LandsThenFails();
    const h = setup({ config: { intervalMs: undefined }, storage });
    void h.coordinator.triggerCheckpoint().catch(() => undefined);
    await settle();
    await ackAll(h, 1);
    const referenced = await referencedChunks(storage);
    assert.equal(referenced.length, SUBTASKS.length, 'checkpoint 1 is visible');
    assert.deepEqual(referenced.filter((c) => !c.present), [], 'every chunk it points to is there');
    assert.deepEqual(h.gateway.calls, ['trigger 1@0', 'complete 1']);
    assert.equal(latestId(h), 1);
  });

  it('that cannot be read back fails the checkpoint but deletes none of its chunks (a restore sweeps them if it did not land)', async () => {
    const storage = new LandsThenFails();
    const h = setup({ config: { intervalMs: undefined }, storage });
    void h.coordinator.triggerCheckpoint().catch(() => undefined);
    await settle();
    storage.readsFail = true;
    await ackAll(h, 1);
    storage.readsFail = false;
    assert.deepEqual(statusOf(h.stats), ['1:failed']);
    assert.deepEqual((await referencedChunks(storage)).filter((c) => !c.present), [], 'the visible checkpoint lost no chunk');
    assert.equal((await storage.listChunks('')).length, SUBTASKS.length);
  });
});

describe('CheckpointCoordinator: a completion that throws', () => {
  it('fails that checkpoint (a handle names an operator the job does not have) and goes on triggering', async () => {
    const h = setup({ config: { intervalMs: 100 } });
    await advance(h, 100);
    h.coordinator.onAck(ackOf(1, SUBTASKS[0]!));
    const stranger = ackOf(1, SUBTASKS[1]!);
    h.coordinator.onAck({ ...stranger, handles: [{ ...handle('jobs/x/chunks/stranger', SUBTASKS[1]!), operatorUid: 'no-such-operator' }] });
    await settle();
    assert.deepEqual(statusOf(h.stats), ['1:failed']);
    assert.match(h.stats[0]!.failureReason ?? '', /no-such-operator/);
    assert.equal(h.coordinator.pendingCheckpointId, undefined);
    await advance(h, 100);
    assert.deepEqual(h.gateway.triggered(), [1, 2], 'the next checkpoint is triggered');
    await ackAll(h, 2);
    assert.equal(latestId(h), 2);
  });
});
