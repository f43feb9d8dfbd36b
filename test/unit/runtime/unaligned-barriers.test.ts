import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AlternatingBarrierHandler } from '../../../src/runtime/task/alternating-barrier-handler.js';
import { createBarrierHandler } from '../../../src/runtime/task/checkpoint-barrier-handler.js';
import { runScript, randomScript } from './alignment-script.js';
import { UnalignedScript } from './unaligned-script.js';

const unaligned = (channels: number) => new UnalignedScript(new AlternatingBarrierHandler(channels, 0));
const alternating = (channels: number, timeoutMs: number) => new UnalignedScript(new AlternatingBarrierHandler(channels, timeoutMs));

describe('AlternatingBarrierHandler (unaligned checkpoints)', () => {
  it('lets the first barrier overtake the records queued ahead of it: snapshot first, the records go into channel state and are still processed', () => {
    const task = unaligned(2);
    assert.deepEqual(task.run('r@0 r@0 r@1 b1@0'), ['snapshot 1 unaligned']);
    // Channel 1 has not delivered barrier 1: what arrives there before it is channel state too (Flink's rule).
    assert.deepEqual(task.run('r@1 r@0 b1@1 r@1'), ['state 1: 0=[0.1,0.2] 1=[1.1,1.2]']);
    assert.deepEqual(task.run('p'), ['0.1', '1.1', '0.2', '1.2', 'b1@0', 'b1@1', '0.3', '1.3']);
    assert.equal(task.handler.latestHandledId, 1);
    assert.equal(task.handler.pendingCheckpointId, undefined);
  });

  it('keeps the order of each channel in its channel state and leaves out what follows the barrier', () => {
    const task = unaligned(3);
    assert.deepEqual(task.run('r@2 r@0 r@2 r@0 r@2 b1@2 r@2 r@1'), ['snapshot 1 unaligned']);
    // 0.1 was still queued at the snapshot: reading it afterwards does not take it out of the state.
    assert.deepEqual(task.run('p@0 r@0 b1@0 e@1'), ['0.1', 'state 1: 0=[0.1,0.2,0.3] 1=[1.1] 2=[2.1,2.2,2.3]']);
  });

  it('does not store records the task processed before the barrier arrived', () => {
    const task = unaligned(2);
    assert.deepEqual(task.run('r@0 r@1 p b1@1 r@0 b1@0'), ['0.1', '1.1', 'snapshot 1 unaligned', 'state 1: 0=[0.2] 1=[]']);
  });

  it('spills only the channels that had not delivered the barrier when it switched from aligned', () => {
    const task = alternating(2, 100);
    // Barrier 1 is read on channel 0 at once; channel 1 is backed up behind records.
    assert.deepEqual(task.run('b1@0 r@0 r@1 r@1 b1@1 p@0'), ['b1@0']);
    assert.equal(task.handler.isBlocked(0), true);
    assert.equal(task.handler.alignmentDeadline, 100);
    assert.deepEqual(task.run('t99'), []);
    assert.deepEqual(task.run('t1'), ['snapshot 1 unaligned', 'state 1: 1=[1.1,1.2]']);
    assert.equal(task.handler.isBlocked(0), false);
    assert.deepEqual(task.run('p'), ['0.1', '1.1', '1.2', 'b1@1']);
  });

  it('stays aligned when the barriers arrive within the timeout, and times each checkpoint from its own trigger', () => {
    const task = alternating(2, 100);
    assert.deepEqual(task.run('r@1 b1@0 b1@1 t50 p'), ['b1@0', '1.1', 'b1@1', 'snapshot 1']);
    assert.deepEqual(task.run('t1000 b2@1 r@0 t60 b2@0 p'), ['0.1', 'b2@1', 'b2@0', 'snapshot 2']);
    // Checkpoint 3 was triggered 100 ms before its barrier got here: unaligned at once.
    const late = alternating(2, 100);
    late.run('t500');
    late.channels[0]!.sender.send({ kind: 'records', records: ['0.1'] });
    late.channels[0]!.sender.send({ kind: 'barrier', checkpointId: 3, timestamp: 400 });
    assert.deepEqual(late.run('r@1 b3@1'), ['snapshot 3 unaligned', 'state 3: 0=[0.1] 1=[1.1]']);
  });

  it('starts the alignment timer when the barrier is queued behind records, not when it is read', () => {
    const task = alternating(2, 100);
    assert.deepEqual(task.run('r@0 r@0 b1@0'), []);
    assert.equal(task.handler.pendingCheckpointId, 1);
    assert.equal(task.handler.alignmentDeadline, 100);
    assert.deepEqual(task.run('t100'), ['snapshot 1 unaligned']);
    assert.deepEqual(task.run('b1@1 p'), ['state 1: 0=[0.1,0.2] 1=[]', '0.1', 'b1@1', '0.2', 'b1@0']);
  });

  it('aborts: a coordinator abort stops the spill; a cancel marker aborts the aligning checkpoint', () => {
    const task = unaligned(2);
    assert.deepEqual(task.run('r@0 b1@0 a1 r@1 b1@1 p'), ['snapshot 1 unaligned', 'a1', '0.1', '1.1', 'b1@0', 'b1@1']);
    const aligning = alternating(2, 100);
    assert.deepEqual(aligning.run('b1@0 p c1@1 p t200'), ['b1@0', 'c1@1', 'abort 1 (cancelled-upstream)']);
    assert.deepEqual(aligning.run('b2@0 b2@1 p'), ['b2@0', 'b2@1', 'snapshot 2']);
  });

  it('ends a spill at the end of input of its channel', () => {
    const task = unaligned(2);
    assert.deepEqual(task.run('r@1 b1@0 r@1 e@1'), ['snapshot 1 unaligned', 'state 1: 0=[] 1=[1.1,1.2]']);
  });

  it('takes a savepoint aligned even in unaligned mode: no deadline, no spill, the snapshot once every channel delivered it', () => {
    const handler = new AlternatingBarrierHandler(2, 0);
    assert.deepEqual(handler.onBarrierAnnounced(1, 1, 0, 0, true), [], 'an announced savepoint barrier does not overtake');
    assert.deepEqual(handler.onBarrier(0, 1, 0, 0, true), []);
    assert.equal(handler.isBlocked(0), true);
    assert.equal(handler.alignmentDeadline, undefined, 'no alignment timer for a savepoint');
    assert.deepEqual(handler.onAlignmentTimeout(1e12), []);
    assert.deepEqual(handler.onBarrier(1, 1, 0, 5, true), [{ kind: 'snapshot', checkpointId: 1 }]);
    // The next (periodic) checkpoint is unaligned again.
    assert.deepEqual(handler.onBarrier(0, 2, 0, 10), [{ kind: 'snapshot', checkpointId: 2, unaligned: { spill: [1] } }]);
  });

  it('aligned with a long finite timeout decides as the aligned handler (no timeout) on random scripts', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const script = randomScript(seed, 3, 4);
      const expected = runScript(createBarrierHandler('exactly-once', 3), script);
      assert.deepEqual(runScript(new AlternatingBarrierHandler(3, 1e12), script), expected, `seed ${seed}: ${script}`);
    }
  });
});
