import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WeirError } from '../../../src/errors/index.js';
import type { SubtaskId } from '../../../src/graph/execution-plan.js';
import { listStoredCheckpoints, type CheckpointMetadata } from '../../../src/runtime/coordinator/checkpoint-metadata.js';
import { encodeMetadata } from '../../../src/runtime/coordinator/stored-records.js';
import {
  ackAll, ackOf, advance, assertWeirError, chunkKey, decline, deferred, handle, JOB, latestId, metadataKey,
  outcome, settle, setup, statusOf, SUBTASKS, writeAndAck,
} from './coordinator-harness.js';

describe('CheckpointCoordinator: triggering', () => {
  it('triggers a checkpoint every intervalMs after start(), at every subtask through the gateway', async () => {
    const h = setup({ config: { intervalMs: 100 } });
    await advance(h, 99);
    assert.deepEqual(h.gateway.calls, []);
    await advance(h, 1);
    assert.deepEqual(h.gateway.calls, ['trigger 1@100']);
    assert.equal(h.coordinator.pendingCheckpointId, 1);
    await ackAll(h, 1);
    await advance(h, 100);
    await ackAll(h, 2);
    await advance(h, 100);
    assert.deepEqual(h.gateway.calls, ['trigger 1@100', 'complete 1', 'trigger 2@200', 'complete 2', 'trigger 3@300']);
  });

  it('does not trigger before start(), and triggers nothing periodically when intervalMs is undefined', async () => {
    const idle = setup({ start: false });
    await advance(idle, 1000);
    assert.deepEqual(idle.gateway.calls, []);
    const manualOnly = setup({ config: { intervalMs: undefined } });
    await advance(manualOnly, 10_000);
    assert.deepEqual(manualOnly.gateway.calls, []);
  });

  it('keeps only one checkpoint in flight: the periodic trigger that falls due meanwhile waits for the next interval', async () => {
    const h = setup({ config: { intervalMs: 100, timeoutMs: 1000 } });
    await advance(h, 100);
    await advance(h, 150); // t=250: the trigger due at 200 found checkpoint 1 pending
    assert.deepEqual(h.gateway.calls, ['trigger 1@100']);
    assert.deepEqual(h.coordinator.stats().map((s) => [s.id, s.status, s.durationMs]), [[1, 'in-progress', undefined]]);
    await ackAll(h, 1);
    assert.deepEqual(h.gateway.calls, ['trigger 1@100', 'complete 1']);
    await advance(h, 49);
    assert.deepEqual(h.gateway.triggered(), [1]);
    await advance(h, 1);
    assert.deepEqual(h.gateway.calls, ['trigger 1@100', 'complete 1', 'trigger 2@300']);
  });

  it('takes a manual checkpoint requested while another is in flight right after that one completes', async () => {
    const h = setup({ config: { intervalMs: 100 } });
    await advance(h, 100);
    const manual = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    assert.deepEqual(h.gateway.calls, ['trigger 1@100']);
    await advance(h, 20);
    await ackAll(h, 1);
    assert.deepEqual(h.gateway.calls, ['trigger 1@100', 'complete 1', 'trigger 2@120']);
    await ackAll(h, 2);
    assert.equal(manual.settled(), 'resolved');
    assert.equal(manual.value().id, 2);
  });

  it('waits minPauseMs after a completion before the next periodic trigger', async () => {
    const h = setup({ config: { intervalMs: 100, minPauseMs: 80 } });
    await advance(h, 100);
    await advance(h, 90);
    await ackAll(h, 1); // completed at t=190: the next may start at 270
    await advance(h, 79);
    assert.deepEqual(h.gateway.calls, ['trigger 1@100', 'complete 1']);
    await advance(h, 1);
    assert.deepEqual(h.gateway.calls, ['trigger 1@100', 'complete 1', 'trigger 2@270']);
    await ackAll(h, 2); // completed at 270; the periodic trigger at 370 is past the pause
    await advance(h, 100);
    assert.deepEqual(h.gateway.triggered(), [1, 2, 3]);
    assert.equal(h.gateway.calls.at(-1), 'trigger 3@370');
  });

  it('gives ids that increase by one from firstCheckpointId, skipping none and reusing none after a failure', async () => {
    const h = setup({ firstCheckpointId: 41, config: { intervalMs: 100, timeoutMs: 50 } });
    await advance(h, 100);
    await ackAll(h, 41);
    await advance(h, 100); // 42 triggered at 200
    await advance(h, 50); // 42 expires
    await advance(h, 50); // 43 at 300
    await ackAll(h, 43);
    const manual = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    await ackAll(h, 44);
    assert.deepEqual(h.gateway.triggered(), [41, 42, 43, 44]);
    assert.deepEqual(statusOf(h.stats), ['41:completed', '42:failed', '43:completed', '44:completed']);
    assert.equal(manual.value().id, 44);
    assert.equal(latestId(h), 44);
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(44)]);
  });

  // A checkpoint asked for while the coordinator is stopped waits in the queue; start() must take it off,
  // since periodicTrigger() defers to a non-empty queue (left there, no checkpoint would ever be triggered).
  it('does not let a manual checkpoint requested before start() block periodic checkpoints after start()', async () => {
    const h = setup({ start: false, config: { intervalMs: 100 } });
    const early = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    h.coordinator.start();
    await advance(h, 100);
    assert.notEqual(h.gateway.triggered().length, 0, 'no checkpoint was triggered after start()');
    if (early.settled() === 'rejected') assert.ok(early.error() instanceof WeirError);
  });
});

describe('CheckpointCoordinator: completion', () => {
  it('writes the metadata (the commit point) with every handle grouped by operator, then tells the tasks', async () => {
    const h = setup({ config: { intervalMs: 100 } });
    await advance(h, 100);
    await advance(h, 5);
    await writeAndAck(h, 1, SUBTASKS[1]!);
    await settle();
    assert.deepEqual(await h.storage.listMetadata(''), []);
    assert.equal(latestId(h), undefined);
    await writeAndAck(h, 1, SUBTASKS[0]!);
    await settle();
    assert.deepEqual(h.gateway.calls, ['trigger 1@100', 'complete 1']);
    const expected: CheckpointMetadata = {
      jobName: JOB, checkpointId: 1, epoch: 3, triggerTimestamp: 100, completedTimestamp: 105, maxParallelism: 128, final: false,
      operators: {
        src: { parallelism: 1, handles: [handle(chunkKey(1, SUBTASKS[0]!), SUBTASKS[0]!)] },
        map: { parallelism: 1, handles: [] },
        sum: { parallelism: 1, handles: [handle(chunkKey(1, SUBTASKS[1]!), SUBTASKS[1]!)] },
      },
    };
    assert.deepEqual(h.coordinator.latestCompleted, expected);
    assert.deepEqual((await listStoredCheckpoints(h.storage, JOB)).readable.at(-1), expected);
    assert.equal(h.coordinator.pendingCheckpointId, undefined);
  });

  it('resolves triggerCheckpoint() only after gateway.complete resolved, with the completed stats', async () => {
    const h = setup({ config: { intervalMs: undefined } });
    const gate = deferred();
    h.gateway.completeGate = gate.promise;
    await advance(h, 10);
    const manual = outcome(h.coordinator.triggerCheckpoint(true));
    await settle();
    await advance(h, 30);
    await ackAll(h, 1);
    assert.deepEqual(h.gateway.calls, ['trigger 1@10', 'complete 1']);
    assert.equal(latestId(h), 1);
    assert.equal(h.coordinator.latestCompleted?.final, true);
    assert.equal(manual.settled(), 'pending');
    gate.resolve();
    await settle();
    assert.equal(manual.settled(), 'resolved');
    assert.deepEqual(manual.value(), {
      id: 1, status: 'completed', triggerTimestamp: 10, durationMs: 30, stateSize: 20, persistedSize: 20, alignmentDurationMs: 5, unaligned: false, channelStateSize: 0, channelStateRecords: 0, final: true,
      subtasks: [ackOf(1, SUBTASKS[0]!, undefined, 40).stats, ackOf(1, SUBTASKS[1]!, undefined, 40).stats],
    });
    assert.deepEqual(h.stats, [manual.value()]);
  });

  it('rejects triggerCheckpoint() with the error of gateway.complete, though the checkpoint stays completed', async () => {
    const h = setup({ config: { intervalMs: undefined } });
    const gate = deferred();
    h.gateway.completeGate = gate.promise;
    const manual = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    await ackAll(h, 1);
    const failure = new Error('sink commit failed');
    gate.reject(failure);
    await settle();
    assert.equal(manual.settled(), 'rejected');
    assert.equal(manual.error(), failure);
    assert.deepEqual(statusOf(h.stats), ['1:completed']);
    assert.equal(latestId(h), 1);
  });
});

describe('CheckpointCoordinator: failures', () => {
  it('aborts a checkpoint that expires: tells the tasks, records it failed, deletes what was acked and rejects with CHECKPOINT_TIMEOUT', async () => {
    const h = setup({ config: { intervalMs: undefined, timeoutMs: 500 } });
    const manual = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    await writeAndAck(h, 1, SUBTASKS[0]!);
    await advance(h, 499);
    assert.deepEqual(h.gateway.calls, ['trigger 1@0']);
    assert.deepEqual(await h.storage.listChunks(''), [chunkKey(1, SUBTASKS[0]!)]);
    await advance(h, 1);
    assert.deepEqual(h.gateway.calls, ['trigger 1@0', 'abort 1']);
    assert.deepEqual(h.stats.map(({ id, status, durationMs, failureReason }) => ({ id, status, durationMs, failureReason })), [
      { id: 1, status: 'failed', durationMs: 500, failureReason: 'checkpoint 1 expired after 500 ms' },
    ]);
    assert.equal(manual.settled(), 'rejected');
    assertWeirError(manual.error(), 'CHECKPOINT_TIMEOUT', 'checkpoint 1 expired after 500 ms', { checkpointId: 1 });
    assert.deepEqual(await h.storage.listChunks(''), []);
    assert.equal(h.coordinator.pendingCheckpointId, undefined);
    assert.deepEqual(h.coordinator.stats(), h.stats);
  });

  it('aborts a declined checkpoint at once and tells the tasks; a decline that is no storage failure is not counted', async () => {
    const h = setup({ config: { intervalMs: undefined, tolerableFailures: 0 } });
    const manual = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    await writeAndAck(h, 1, SUBTASKS[0]!);
    h.coordinator.onDecline(decline(7, 'a stale decline', false)); // another checkpoint: ignored
    assert.equal(h.coordinator.pendingCheckpointId, 1);
    h.coordinator.onDecline(decline(1, 'task cancelled', false));
    await settle();
    assert.deepEqual(h.gateway.calls, ['trigger 1@0', 'abort 1']);
    assert.deepEqual(statusOf(h.stats), ['1:failed']);
    assert.equal(h.stats[0]!.failureReason, 'checkpoint 1 declined: task cancelled');
    assertWeirError(manual.error(), 'CHECKPOINT_DECLINED', 'checkpoint 1 declined: task cancelled', { checkpointId: 1 });
    assert.deepEqual(await h.storage.listChunks(''), []);
    assert.deepEqual(h.tooMany, []);
  });

  it('counts a decline for a storage failure, and rejects it with CHECKPOINT_STORAGE_FAILED', async () => {
    const h = setup({ config: { intervalMs: undefined, tolerableFailures: 0 } });
    const manual = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    h.coordinator.onDecline(decline(1, 'quota exceeded', true));
    await settle();
    assertWeirError(manual.error(), 'CHECKPOINT_STORAGE_FAILED', 'checkpoint 1 declined: quota exceeded');
    assert.equal(h.tooMany.length, 1);
  });

  // The error code must come from how the checkpoint failed, never from its reason's text: a decline or a
  // storage error whose message says "expired" is no timeout.
  it('gives a declined or unwritable checkpoint its own code even when the underlying message says "expired"', async () => {
    const h = setup({ config: { intervalMs: undefined } });
    const declined = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    h.coordinator.onDecline(decline(1, 'the storage lease expired', true));
    await settle();
    let failMetadata = true;
    const w = setup({ config: { intervalMs: undefined }, failWrites: (op) => (op === 'putMetadata' && failMetadata ? new Error('session token expired') : undefined) });
    const unwritable = outcome(w.coordinator.triggerCheckpoint());
    await settle();
    await ackAll(w, 1);
    failMetadata = false;
    assert.deepEqual([(declined.error() as WeirError).code, (unwritable.error() as WeirError).code], ['CHECKPOINT_STORAGE_FAILED', 'CHECKPOINT_STORAGE_FAILED']);
  });

  it('fails a checkpoint whose metadata write fails: no commit, tasks told to abort, acked chunks deleted, and the failure counted', async () => {
    let failMetadata = true;
    const h = setup({
      config: { intervalMs: undefined, tolerableFailures: 0 },
      failWrites: (op, key) => (op === 'putMetadata' && failMetadata ? new Error(`disk full writing ${key}`) : undefined),
    });
    const manual = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    await ackAll(h, 1);
    const reason = `checkpoint 1: writing its metadata failed: disk full writing ${metadataKey(1)}`;
    assert.deepEqual(h.gateway.calls, ['trigger 1@0', 'abort 1']);
    assert.deepEqual(h.stats.map((s) => [s.id, s.status, s.failureReason]), [[1, 'failed', reason]]);
    assertWeirError(manual.error(), 'CHECKPOINT_STORAGE_FAILED', reason, { checkpointId: 1 });
    assert.equal(latestId(h), undefined);
    assert.equal(h.coordinator.pendingCheckpointId, undefined);
    assert.deepEqual(await h.storage.listMetadata(''), []);
    assert.deepEqual(await h.storage.listChunks(''), []);
    assert.equal(h.tooMany.length, 1);
    assertWeirError(h.tooMany[0], 'TOO_MANY_CHECKPOINT_FAILURES', `1 checkpoints in a row failed (tolerable: 0); the last: ${reason}`);

    failMetadata = false;
    const next = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    await ackAll(h, 2);
    assert.equal(next.value().id, 2);
    assert.equal(latestId(h), 2);
  });

  it('calls onTooManyFailures exactly once when the failures in a row first exceed tolerableFailures', async () => {
    const h = setup({ config: { intervalMs: 100, timeoutMs: 50, tolerableFailures: 2 } });
    const after: number[] = [];
    await advance(h, 100); // 1 triggered
    for (let i = 0; i < 3; i++) {
      await advance(h, 50); // expires
      after.push(h.tooMany.length);
      await advance(h, 50); // the next is triggered
    }
    assert.deepEqual(h.gateway.calls, ['trigger 1@100', 'abort 1', 'trigger 2@200', 'abort 2', 'trigger 3@300', 'abort 3', 'trigger 4@400']);
    assert.deepEqual(statusOf(h.stats), ['1:failed', '2:failed', '3:failed']);
    assert.deepEqual(after, [0, 0, 1]);
    assertWeirError(h.tooMany[0], 'TOO_MANY_CHECKPOINT_FAILURES', '3 checkpoints in a row failed (tolerable: 2); the last: checkpoint 3 expired after 50 ms');
    assert.equal(h.tooMany[0]!.domain, 'external');
    assert.equal(h.tooMany[0]!.retryable, true);
    assertWeirError(h.tooMany[0]!.cause, 'CHECKPOINT_TIMEOUT', 'checkpoint 3 expired after 50 ms');
  });

  it('resets the count of failures in a row after a completed checkpoint', async () => {
    const h = setup({ config: { intervalMs: 100, timeoutMs: 50, tolerableFailures: 1 } });
    await advance(h, 100); // t=100: 1 triggered
    await advance(h, 50); // t=150: 1 expired (one in a row)
    await advance(h, 50); // t=200: 2 triggered
    await ackAll(h, 2); // 2 completed
    await advance(h, 100); // t=300: 3 triggered
    await advance(h, 50); // t=350: 3 expired (one in a row again)
    assert.deepEqual(statusOf(h.stats), ['1:failed', '2:completed', '3:failed']);
    assert.equal(h.tooMany.length, 0);
    await advance(h, 100); // t=450: 4 triggered at 400 and expired (two in a row)
    assert.deepEqual(statusOf(h.stats), ['1:failed', '2:completed', '3:failed', '4:failed']);
    assert.equal(h.tooMany.length, 1);
    assert.match(h.tooMany[0]!.message, /^2 checkpoints in a row failed \(tolerable: 1\); the last: checkpoint 4 expired after 50 ms$/);
  });
});

describe('CheckpointCoordinator: subsumption and garbage', () => {
  const SHARED = `jobs/${JOB}/chunks/shared`;
  const UNRELATED = `jobs/${JOB}/chunks/unrelated`;
  const keysOf = (id: number) => (s: SubtaskId) => (s.vertexId === 0 ? [chunkKey(id, s)] : [chunkKey(id, s), SHARED]);

  it('with retained=1 deletes the older checkpoint metadata at once and its chunks one completion later, keeping chunks a retained checkpoint still refers to', async () => {
    const h = setup({ config: { intervalMs: 100, retained: 1 } });
    await h.storage.putChunk(UNRELATED, new Uint8Array([0]));
    await advance(h, 100);
    await ackAll(h, 1, keysOf(1));
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(1)]);
    await advance(h, 100);
    await ackAll(h, 2, keysOf(2));
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(2)]);
    // A snapshot in flight may still reuse checkpoint 1's chunks: they go once 3 completes.
    const chunksOf = (...ids: number[]) => ids.flatMap((id) => SUBTASKS.map((s) => chunkKey(id, s)));
    assert.deepEqual(await h.storage.listChunks(''), [...chunksOf(1, 2), SHARED, UNRELATED].sort());
    await advance(h, 100);
    await ackAll(h, 3, keysOf(3));
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(3)]);
    assert.deepEqual(await h.storage.listChunks(''), [...chunksOf(2, 3), SHARED, UNRELATED].sort());
    assert.equal(latestId(h), 3);
  });

  it('keeps a chunk of the checkpoint before the latest when the next checkpoint reuses it', async () => {
    const h = setup({ config: { intervalMs: 100, retained: 1 } });
    await advance(h, 100);
    await ackAll(h, 1);
    await advance(h, 100);
    await ackAll(h, 2);
    // Subtask 1 had not yet heard that 2 completed: it reused its chunk of checkpoint 1.
    await advance(h, 100);
    await ackAll(h, 3, (s) => (s.vertexId === 0 ? [chunkKey(3, s)] : [chunkKey(1, s)]));
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(3)]);
    assert.ok((await h.storage.listChunks('')).includes(chunkKey(1, SUBTASKS[1]!)), 'the reused chunk of checkpoint 1 is still stored');
    assert.ok(!(await h.storage.listChunks('')).includes(chunkKey(1, SUBTASKS[0]!)), 'the unused chunk of checkpoint 1 is gone');
  });

  it('with retained=2 keeps the two newest checkpoints and their chunks', async () => {
    const h = setup({ config: { intervalMs: 100, retained: 2 } });
    for (const id of [1, 2, 3, 4]) {
      await advance(h, 100);
      await ackAll(h, id);
    }
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(3), metadataKey(4)]);
    // Checkpoint 2's chunks are deleted at the next completion (see the retained=1 test).
    assert.deepEqual(await h.storage.listChunks(''), [2, 3, 4].flatMap((id) => SUBTASKS.map((s) => chunkKey(id, s))).sort());
  });

  it('subsumes the restored checkpoint once a newer one completed, keeping its chunks the newer one still refers to', async () => {
    const restoredKeys = SUBTASKS.map((s) => chunkKey(40, s));
    const restored: CheckpointMetadata = {
      jobName: JOB, checkpointId: 40, epoch: 2, triggerTimestamp: 0, completedTimestamp: 0, maxParallelism: 128, final: false,
      operators: {
        src: { parallelism: 1, handles: [handle(restoredKeys[0]!, SUBTASKS[0]!)] },
        map: { parallelism: 1, handles: [] },
        sum: { parallelism: 1, handles: [handle(restoredKeys[1]!, SUBTASKS[1]!)] },
      },
    };
    const h = setup({ restored, firstCheckpointId: 41 });
    await h.storage.putMetadata([encodeMetadata(restored)]);
    for (const key of restoredKeys) await h.storage.putChunk(key, new Uint8Array([40]));
    assert.equal(h.coordinator.latestCompleted, restored);
    await advance(h, 100);
    // The sum operator's state did not change: its new handle points at the restored chunk.
    await ackAll(h, 41, (s) => (s.vertexId === 0 ? [chunkKey(41, s)] : [restoredKeys[1]!]));
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(41)]);
    await advance(h, 100);
    await ackAll(h, 42, (s) => (s.vertexId === 0 ? [chunkKey(42, s)] : [restoredKeys[1]!]));
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(42)]);
    // 40's own chunk went with the completion after its subsumption; the one 41 and 42 reuse stays.
    assert.deepEqual(await h.storage.listChunks(''), [restoredKeys[1]!, chunkKey(41, SUBTASKS[0]!), chunkKey(42, SUBTASKS[0]!)].sort());
  });

  // subsume() must delete a checkpoint's metadata before its chunks: the other order, with a crash (or a
  // failed metadata delete) in between, leaves stored metadata pointing at deleted chunks, which a
  // fallback restore would then trip over.
  it('deletes a subsumed checkpoint metadata before its chunks, so no stored metadata ever points at a deleted chunk', async () => {
    const h = setup({ config: { intervalMs: 100, retained: 1 } });
    const referencedBy = new Map<string, string[]>();
    const violations: string[] = [];
    h.storage.beforeDeleteChunks = async (keys) => {
      for (const key of await h.storage.listMetadata('')) {
        const hit = (referencedBy.get(key) ?? []).filter((k) => keys.includes(k));
        if (hit.length > 0) violations.push(`${key} -> ${hit.join(',')}`);
      }
    };
    for (const id of [1, 2]) {
      referencedBy.set(metadataKey(id), SUBTASKS.map((s) => chunkKey(id, s)));
      await advance(h, 100);
      await ackAll(h, id);
    }
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(2)]);
    assert.deepEqual(violations, []);
  });

  it('deletes the chunks of a late ack of an aborted checkpoint', async () => {
    const h = setup({ config: { intervalMs: undefined, timeoutMs: 100 } });
    const manual = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    await advance(h, 100);
    assert.equal(manual.settled(), 'rejected');
    const late = chunkKey(1, SUBTASKS[1]!);
    await h.storage.putChunk(late, new Uint8Array([1]));
    assert.deepEqual(await h.storage.listChunks(''), [late]);
    h.coordinator.onAck(ackOf(1, SUBTASKS[1]!, [late]));
    await settle();
    assert.deepEqual(await h.storage.listChunks(''), []);
    assert.deepEqual(statusOf(h.stats), ['1:failed']);
  });

  it('keeps the chunks of a repeated ack of a completed, retained checkpoint', async () => {
    const h = setup({ config: { intervalMs: undefined } });
    const manual = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    await ackAll(h, 1);
    assert.equal(manual.settled(), 'resolved');
    h.coordinator.onAck(ackOf(1, SUBTASKS[0]!));
    await settle();
    assert.deepEqual(await h.storage.listChunks(''), SUBTASKS.map((s) => chunkKey(1, s)).sort());
    assert.deepEqual(statusOf(h.stats), ['1:completed']);
  });
});

describe('CheckpointCoordinator: stop()', () => {
  it('waits for an in-flight metadata write, and the checkpoint still counts as completed', async () => {
    const h = setup({ config: { intervalMs: 100 } });
    const gate = deferred();
    h.storage.metadataGate = gate.promise;
    await advance(h, 100);
    await ackAll(h, 1);
    assert.equal(latestId(h), undefined);
    const stopped = outcome(h.coordinator.stop('the job is restarting after a failure'));
    await settle();
    assert.equal(stopped.settled(), 'pending');
    gate.resolve();
    await settle();
    assert.equal(stopped.settled(), 'resolved');
    assert.equal(latestId(h), 1);
    assert.deepEqual(await h.storage.listMetadata(''), [metadataKey(1)]);
    assert.deepEqual(statusOf(h.stats), ['1:completed']);
    assert.deepEqual(h.gateway.calls, ['trigger 1@100', 'complete 1']);
    await advance(h, 1000);
    assert.deepEqual(h.gateway.triggered(), [1]);
  });

  it('aborts a pending checkpoint without counting it or messaging the tasks, and rejects queued manual requests', async () => {
    const h = setup({ config: { intervalMs: undefined, tolerableFailures: 0 } });
    const first = outcome(h.coordinator.triggerCheckpoint());
    const queued = outcome(h.coordinator.triggerCheckpoint());
    await settle();
    await writeAndAck(h, 1, SUBTASKS[0]!);
    await h.coordinator.stop('the job was cancelled');
    await settle();
    assert.deepEqual(h.gateway.calls, ['trigger 1@0']);
    assert.deepEqual(h.stats.map((s) => [s.id, s.status, s.failureReason]), [[1, 'failed', 'the job was cancelled']]);
    assertWeirError(first.error(), 'CHECKPOINT_ABORTED', 'the job was cancelled', { checkpointId: 1 });
    assertWeirError(queued.error(), 'CHECKPOINT_ABORTED', 'checkpoint not taken: the job was cancelled');
    assert.deepEqual(h.tooMany, []);
    assert.deepEqual(await h.storage.listChunks(''), []);
    await advance(h, 10_000);
    assert.deepEqual(h.gateway.triggered(), [1]);
  });
});
