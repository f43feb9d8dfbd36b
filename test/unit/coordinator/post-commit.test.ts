import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sink } from '../../../src/connectors/sink.js';
import type { ExecutionPlan } from '../../../src/graph/execution-plan.js';
import { PostCommitter } from '../../../src/runtime/coordinator/post-commit.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';
import { storageLayout } from '../../../src/state/storage-layout.js';

// A sink's post-commit step (the table's compaction) folds transactions up to the checkpoint it is
// given, and readers stop looking at commit records up to it. It must never be given a checkpoint
// whose transactions are not all committed: a commit deferred over two checkpoints (a full quota,
// a lock left by a killed process) would land under the snapshot and its rows be lost. The
// settled (oldest retained) checkpoint alone is not that bound: it moves on with completions
// whose commits were deferred.

async function setUp(retainedIds: number[]) {
  const storage = new MemoryCheckpointStorage();
  await storage.putMetadata(retainedIds.map((id) => ({ key: storageLayout.checkpointMetadataKey('job', id), bytes: new Uint8Array([1]) })));
  const seen: number[] = [];
  const sink = { kind: 'weir.sink', name: 'spy', guarantee: 'exactly-once', createWriter: () => { throw new Error('unused'); }, postCommit: async (_ctx: unknown, upTo: number) => void seen.push(upTo) } as unknown as Sink<unknown>;
  const plan = { jobName: 'job', vertices: [{ operators: [{ uid: 'out', spec: { kind: 'sink', sink } }] }] } as unknown as ExecutionPlan;
  const committer = new PostCommitter({
    plan, control: () => ({ storage, fence: { key: 'f', equals: undefined }, attemptId: '1.1' }), housekeeping: async () => {}, onFenced: () => {},
  });
  return { committer, seen };
}

describe('post-commit steps', () => {
  it('look no further than the last checkpoint every subtask committed, even when the settled checkpoint is newer', async () => {
    const { committer, seen } = await setUp([7, 8]); // 7 and 8 completed; 8's commits (and 7's) were deferred
    await committer.committed(6);
    assert.deepEqual(seen, [6], 'not 7: its transactions may not all be committed');
    await committer.committed(8);
    assert.deepEqual(seen, [6, 7], 'the settled checkpoint bounds it too');
  });

  it('run nothing in a new attempt until a completion of that attempt was committed everywhere', async () => {
    const { committer, seen } = await setUp([3, 4]);
    await committer.committed(4);
    committer.newAttempt(); // a restore's re-commit may have been deferred
    await committer.request(); // e.g. the final checkpoint's step
    assert.deepEqual(seen, [3]);
    await committer.committed(5);
    assert.deepEqual(seen, [3, 3]);
  });
});
