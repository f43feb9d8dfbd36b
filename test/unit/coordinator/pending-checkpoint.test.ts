import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SubtaskId } from '../../../src/graph/execution-plan.js';
import type { StateHandle, TaskReport } from '../../../src/runtime/control-messages.js';
import {
  createPendingCheckpoint,
  onAck,
  toMetadata,
  type PendingCheckpoint,
} from '../../../src/runtime/coordinator/pending-checkpoint.js';

type Ack = Extract<TaskReport, { kind: 'ack' }>;

const SUBTASKS: SubtaskId[] = [
  { vertexId: 0, subtaskIndex: 0 },
  { vertexId: 0, subtaskIndex: 1 },
  { vertexId: 1, subtaskIndex: 0 },
];

function handle(operatorUid: string, subtaskIndex: number, key: string, kind: StateHandle['kind'] = 'operator'): StateHandle {
  return { key, kind, operatorUid, subtaskIndex, bytes: 10, checksum: 1 };
}

function ack(checkpointId: number, subtask: SubtaskId, handles: StateHandle[] = []): Ack {
  return {
    kind: 'ack', attempt: 1, subtask, checkpointId, handles,
    stats: { subtask, taskName: `v${subtask.vertexId}`, ackTimestamp: 5, alignmentStartTimestamp: 2, snapshotTimestamp: 3, alignmentDurationMs: 1, syncDurationMs: 1, asyncDurationMs: 1, stateSize: 10, persistedSize: 10 },
  };
}

/** Applies acks in order; each must move the checkpoint on. */
function ackAll(pending: PendingCheckpoint, acks: Ack[]): PendingCheckpoint {
  return acks.reduce((p, a) => {
    const d = onAck(p, a);
    assert.notEqual(d.kind, 'ignore', JSON.stringify(d));
    return (d as { checkpoint: PendingCheckpoint }).checkpoint;
  }, pending);
}

describe('createPendingCheckpoint', () => {
  it('awaits every subtask by its key and has no acks yet', () => {
    const p = createPendingCheckpoint(7, 1000, SUBTASKS, true);
    assert.deepEqual(p, { checkpointId: 7, triggerTimestamp: 1000, final: true, awaiting: new Set(['0.0', '0.1', '1.0']), acks: new Map() });
  });
});

describe('onAck', () => {
  it('ignores an ack when no checkpoint is pending, or of another checkpoint id, as unknown-checkpoint', () => {
    const p = createPendingCheckpoint(3, 0, SUBTASKS, false);
    assert.deepEqual(onAck(undefined, ack(3, SUBTASKS[0]!)), { kind: 'ignore', reason: 'unknown-checkpoint' });
    assert.deepEqual(onAck(p, ack(2, SUBTASKS[0]!)), { kind: 'ignore', reason: 'unknown-checkpoint' });
    assert.deepEqual(onAck(p, ack(4, SUBTASKS[0]!)), { kind: 'ignore', reason: 'unknown-checkpoint' });
  });

  it('ignores a second ack of the same subtask as duplicate and keeps the first one', () => {
    const first = ackAll(createPendingCheckpoint(3, 0, SUBTASKS, false), [ack(3, SUBTASKS[0]!, [handle('op', 0, 'k-first')])]);
    assert.deepEqual(onAck(first, ack(3, SUBTASKS[0]!, [handle('op', 0, 'k-second')])), { kind: 'ignore', reason: 'duplicate' });
    assert.deepEqual(first.acks.get('0.0')!.handles.map((h) => h.key), ['k-first']);
  });

  it('ignores an ack of a subtask the checkpoint never awaited as unexpected-subtask', () => {
    const p = createPendingCheckpoint(3, 0, SUBTASKS, false);
    assert.deepEqual(onAck(p, ack(3, { vertexId: 1, subtaskIndex: 1 })), { kind: 'ignore', reason: 'unexpected-subtask' });
    assert.deepEqual(onAck(p, ack(3, { vertexId: 2, subtaskIndex: 0 })), { kind: 'ignore', reason: 'unexpected-subtask' });
  });

  it('stays pending until the last subtask acked, then completes, without changing the checkpoint it was given', () => {
    const p0 = createPendingCheckpoint(3, 0, SUBTASKS, false);
    const d1 = onAck(p0, ack(3, SUBTASKS[1]!, [handle('op', 1, 'a')]));
    assert.equal(d1.kind, 'pending');
    const p1 = (d1 as { checkpoint: PendingCheckpoint }).checkpoint;
    assert.deepEqual([...p1.awaiting].sort(), ['0.0', '1.0']);
    assert.deepEqual([...p1.acks.keys()], ['0.1']);

    const d2 = onAck(p1, ack(3, SUBTASKS[2]!));
    assert.equal(d2.kind, 'pending');
    const p2 = (d2 as { checkpoint: PendingCheckpoint }).checkpoint;

    const d3 = onAck(p2, ack(3, SUBTASKS[0]!, [handle('op', 0, 'b')]));
    assert.equal(d3.kind, 'complete');
    const done = (d3 as { checkpoint: PendingCheckpoint }).checkpoint;
    assert.deepEqual(done.awaiting, new Set());
    assert.deepEqual([...done.acks.keys()], ['0.1', '1.0', '0.0']);
    assert.equal(done.checkpointId, 3);

    // Pure: the inputs are as they were.
    assert.deepEqual(p0.awaiting, new Set(['0.0', '0.1', '1.0']));
    assert.equal(p0.acks.size, 0);
    assert.deepEqual([...p1.awaiting].sort(), ['0.0', '1.0']);
    assert.equal(p1.acks.size, 1);
  });

  it('completes at once a checkpoint that awaits a single subtask', () => {
    const d = onAck(createPendingCheckpoint(1, 0, [SUBTASKS[2]!], true), ack(1, SUBTASKS[2]!));
    assert.equal(d.kind, 'complete');
  });
});

describe('toMetadata', () => {
  it('groups handles by operator uid, sorted by subtask then key, and lists stateless operators with empty handles', () => {
    const p = ackAll(createPendingCheckpoint(9, 100, SUBTASKS, false), [
      ack(9, SUBTASKS[1]!, [handle('source', 1, 'src/1'), handle('keyed', 1, 'kd/1/b', 'keyed'), handle('keyed', 1, 'kd/1/a', 'keyed')]),
      ack(9, SUBTASKS[2]!, [handle('sink', 0, 'sink/0')]),
      ack(9, SUBTASKS[0]!, [handle('source', 0, 'src/0'), handle('keyed', 0, 'kd/0', 'keyed')]),
    ]);
    const job = {
      jobName: 'meta-job', epoch: 4, maxParallelism: 64,
      operatorParallelism: new Map([['source', 2], ['map', 2], ['keyed', 2], ['sink', 1]]),
    };
    assert.deepEqual(toMetadata(p, job, 250), {
      jobName: 'meta-job', checkpointId: 9, epoch: 4, triggerTimestamp: 100, completedTimestamp: 250, maxParallelism: 64, final: false,
      operators: {
        source: { parallelism: 2, handles: [handle('source', 0, 'src/0'), handle('source', 1, 'src/1')] },
        map: { parallelism: 2, handles: [] },
        keyed: { parallelism: 2, handles: [handle('keyed', 0, 'kd/0', 'keyed'), handle('keyed', 1, 'kd/1/a', 'keyed'), handle('keyed', 1, 'kd/1/b', 'keyed')] },
        sink: { parallelism: 1, handles: [handle('sink', 0, 'sink/0')] },
      },
    });
  });

  it('sorts keys by UTF-16 code units, as in any runtime and locale (no collator)', () => {
    const keys = ['kd/0/b', 'kd/0/B', 'kd/0/_', 'kd/0/a-1', 'kd/0/a/1', 'kd/0/\u00e9', 'kd/0/e'];
    const p = ackAll(createPendingCheckpoint(3, 0, [SUBTASKS[0]!], false), [ack(3, SUBTASKS[0]!, keys.map((k) => handle('keyed', 0, k, 'keyed')))]);
    const sorted = toMetadata(p, { jobName: 'j', epoch: 1, maxParallelism: 128, operatorParallelism: new Map([['keyed', 1]]) }, 1).operators.keyed!.handles.map((h) => h.key);
    assert.deepEqual(sorted, ['kd/0/B', 'kd/0/_', 'kd/0/a-1', 'kd/0/a/1', 'kd/0/b', 'kd/0/e', 'kd/0/\u00e9']);
  });

  it('carries the final flag of the checkpoint', () => {
    const p = ackAll(createPendingCheckpoint(2, 0, [SUBTASKS[0]!], true), [ack(2, SUBTASKS[0]!)]);
    const metadata = toMetadata(p, { jobName: 'j', epoch: 1, maxParallelism: 128, operatorParallelism: new Map([['only', 1]]) }, 1);
    assert.deepEqual([metadata.final, metadata.operators], [true, { only: { parallelism: 1, handles: [] } }]);
  });
});
