import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WeirError } from '../../../src/errors/index.js';
import {
  createBarrierHandler,
  type CheckpointBarrierHandler,
  type CheckpointingMode,
} from '../../../src/runtime/task/checkpoint-barrier-handler.js';
import { expectCheckpoints, parseToken, randomScript, runScript } from './alignment-script.js';

const aligner = (channels: number, latest = 0): CheckpointBarrierHandler =>
  createBarrierHandler('exactly-once', channels, latest);
const tracker = (channels: number, latest = 0): CheckpointBarrierHandler =>
  createBarrierHandler('at-least-once', channels, latest);

describe('aligned barrier handling (exactly-once)', () => {
  it('holds a channel back until every channel delivered barrier n, then releases it after the snapshot', () => {
    const gate = aligner(2);
    assert.deepEqual(runScript(gate, 'r@0 b1@0 r@0 r@1'), ['r@0', 'b1@0', 'r@1']);
    assert.equal(gate.isBlocked(0), true);
    assert.equal(gate.isBlocked(1), false);
    assert.equal(gate.pendingCheckpointId, 1);
    assert.deepEqual(runScript(gate, 'r@1 b1@1 r@0 r@1'), ['r@1', 'b1@1', 'snapshot 1', 'r@0', 'r@1']);
    assert.equal(gate.pendingCheckpointId, undefined);
    assert.equal(gate.latestHandledId, 1);

    const fresh = aligner(2);
    assert.deepEqual(runScript(fresh, 'r@0 b1@0 r@0 r@1 r@1 b1@1 r@0 r@1'), [
      'r@0', 'b1@0', 'r@1', 'r@1', 'b1@1', 'snapshot 1', 'r@0(held)', 'r@0', 'r@1',
    ]);
  });

  it('aligns three channels whose barriers arrive in a different order each checkpoint', () => {
    const gate = aligner(3);
    const script = 'b1@2 r@0 r@2 b1@0 r@1 r@0 r@2 b1@1 r@0 r@2 ' + 'r@1 b2@1 r@1 b2@0 r@2 b2@2 r@1';
    assert.deepEqual(runScript(gate, script), [
      'b1@2', 'r@0', 'b1@0', 'r@1', 'b1@1', 'snapshot 1', 'r@0(held)', 'r@2(held)', 'r@2(held)', 'r@0', 'r@2',
      'r@1', 'b2@1', 'b2@0', 'r@2', 'b2@2', 'snapshot 2', 'r@1(held)', 'r@1',
    ]);
  });

  it('snapshots on the last of three barriers whatever their order', () => {
    for (const order of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] as const) {
      const gate = aligner(3);
      const [first, second, last] = order;
      assert.deepEqual(runScript(gate, `b1@${first} b1@${second}`), [`b1@${first}`, `b1@${second}`]);
      assert.deepEqual([0, 1, 2].map((c) => gate.isBlocked(c)), [0, 1, 2].map((c) => c !== last));
      assert.deepEqual(runScript(gate, `b1@${last}`), [`b1@${last}`, 'snapshot 1']);
      assert.deepEqual([0, 1, 2].map((c) => gate.isBlocked(c)), [false, false, false]);
    }
  });

  it('releases the held channels when the coordinator aborts the pending checkpoint (timeout)', () => {
    const gate = aligner(3);
    assert.deepEqual(runScript(gate, 'b1@0 r@0 r@1 b1@1 r@1 a1 r@2 b1@2 r@2 b2@0 b2@1 b2@2'), [
      'b1@0', 'r@1', 'b1@1', 'a1', 'abort 1 (coordinator-abort)', 'r@0(held)', 'r@1(held)', 'r@2',
      'b1@2', 'r@2', 'b2@0', 'b2@1', 'b2@2', 'snapshot 2',
    ]);
    assert.equal(gate.latestHandledId, 2);
  });

  it('reports a coordinator abort of a checkpoint not started here once, and ignores its later barriers', () => {
    const gate = aligner(2);
    assert.deepEqual(runScript(gate, 'a2 a2'), ['a2', 'abort 2 (coordinator-abort)', 'a2']);
    assert.equal(gate.latestHandledId, 0, 'checkpoint 1 may still arrive');
    assert.deepEqual(runScript(gate, 'b1@0 b1@1 b2@0 r@0 b2@1 a1 a2 b3@0 b3@1'), [
      'b1@0', 'b1@1', 'snapshot 1', 'b2@0', 'r@0', 'b2@1', 'a1', 'a2', 'b3@0', 'b3@1', 'snapshot 3',
    ]);
  });

  it('aborts the pending checkpoint when the first barrier of an already aborted newer one arrives', () => {
    expectCheckpoints(aligner(2), 'b1@0 a2 b2@1 r@1 b2@0 b3@0 b3@1', [-2, -1, 3]);
    assert.deepEqual(runScript(aligner(2), 'b1@0 r@0 a2 b2@1 r@1'), [
      'b1@0', 'a2', 'abort 2 (coordinator-abort)', 'b2@1', 'abort 1 (overtaken)', 'r@0(held)', 'r@1',
    ]);
  });

  it('aborts an unfinished checkpoint that a newer barrier overtakes and aligns the newer one', () => {
    assert.deepEqual(runScript(aligner(2), 'b1@0 r@0 b2@1 r@1 b2@0 r@0'), [
      'b1@0', 'b2@1', 'abort 1 (overtaken)', 'r@0(held)', 'b2@0', 'snapshot 2', 'r@1(held)', 'r@0',
    ]);
    // The newer barrier was queued behind barrier 1 on channel 0: it completes 2 as soon as it is read.
    assert.deepEqual(runScript(aligner(2), 'b1@0 b2@0 r@0 b2@1'), [
      'b1@0', 'b2@1', 'abort 1 (overtaken)', 'b2@0(held)', 'snapshot 2', 'r@0(held)',
    ]);
    expectCheckpoints(aligner(3), 'b1@0 b1@1 b3@2 b3@0 b3@1', [-1, 3]);
  });

  it('completes an alignment when the only channel still missing the barrier ends', () => {
    const gate = aligner(3);
    assert.deepEqual(runScript(gate, 'b1@0 r@0 b1@1 r@1 r@2 e@2 r@0 b2@0 b2@1'), [
      'b1@0', 'b1@1', 'r@2', 'e@2', 'snapshot 1', 'r@0(held)', 'r@1(held)', 'r@0', 'b2@0', 'b2@1', 'snapshot 2',
    ]);
    assert.equal(gate.isBlocked(2), false);
  });

  it('has nothing pending and nothing blocked once every channel has ended', () => {
    const gate = aligner(2);
    assert.deepEqual(runScript(gate, 'b1@0 r@0 e@0 e@1'), ['b1@0', 'e@1', 'snapshot 1', 'r@0(held)', 'e@0(held)']);
    assert.equal(gate.pendingCheckpointId, undefined);
    assert.deepEqual([gate.isBlocked(0), gate.isBlocked(1)], [false, false]);

    const other = aligner(2);
    assert.deepEqual(runScript(other, 'r@0 e@0 b1@1 r@1 e@1'), ['r@0', 'e@0', 'b1@1', 'snapshot 1', 'r@1', 'e@1']);
    assert.equal(other.pendingCheckpointId, undefined);
    assert.deepEqual(runScript(other, 'a2'), ['a2', 'abort 2 (coordinator-abort)']);
  });

  it('ignores stale barriers, before and during an alignment', () => {
    const restored = aligner(2, 5);
    assert.deepEqual(runScript(restored, 'b5@0 r@0 b4@1 r@1 b6@0 b6@1'), [
      'b5@0', 'r@0', 'b4@1', 'r@1', 'b6@0', 'b6@1', 'snapshot 6',
    ]);
    const gate = aligner(2);
    assert.deepEqual(runScript(gate, 'b3@0 b2@1 r@1 b3@1 b3@0 b1@1 r@0'), [
      'b3@0', 'b2@1', 'r@1', 'b3@1', 'snapshot 3', 'b3@0', 'b1@1', 'r@0',
    ]);
    assert.equal(gate.latestHandledId, 3);
    assert.deepEqual(runScript(gate, 'a3 a1'), ['a3', 'a1']);
  });

  it('aborts on cancel markers: for the pending id, for a newer id, and for an id not started', () => {
    assert.deepEqual(runScript(aligner(2), 'b1@0 r@0 c1@1 r@1 b2@0 b2@1'), [
      'b1@0', 'c1@1', 'abort 1 (cancelled-upstream)', 'r@0(held)', 'r@1', 'b2@0', 'b2@1', 'snapshot 2',
    ]);
    const gate = aligner(2);
    assert.deepEqual(runScript(gate, 'b1@0 r@0 c2@1 r@1 b2@0 r@0 b3@0 b3@1'), [
      'b1@0', 'c2@1', 'abort 1 (overtaken)', 'abort 2 (cancelled-upstream)', 'r@0(held)', 'r@1',
      'b2@0', 'r@0', 'b3@0', 'b3@1', 'snapshot 3',
    ]);
    assert.deepEqual(runScript(aligner(2), 'c1@0 b1@1 r@1 c1@1'), [
      'c1@0', 'abort 1 (cancelled-upstream)', 'b1@1', 'r@1', 'c1@1',
    ]);
  });

  it('ignores stale cancel markers and does not report an id twice', () => {
    assert.deepEqual(runScript(aligner(2), 'b2@0 c1@1 r@1 b2@1'), ['b2@0', 'c1@1', 'r@1', 'b2@1', 'snapshot 2']);
    assert.deepEqual(runScript(aligner(2), 'a1 c1@0 b1@1 a1'), [
      'a1', 'abort 1 (coordinator-abort)', 'c1@0', 'b1@1', 'a1',
    ]);
  });

  it('snapshots at once on a single channel and never blocks it', () => {
    const gate = aligner(1);
    assert.deepEqual(runScript(gate, 'r@0 b1@0 r@0 b2@0 r@0 e@0'), [
      'r@0', 'b1@0', 'snapshot 1', 'r@0', 'b2@0', 'snapshot 2', 'r@0', 'e@0',
    ]);
    assert.equal(gate.isBlocked(0), false);
  });

  it('throws a WeirError when the task reads a blocked or ended channel', () => {
    const gate = aligner(2);
    gate.onBarrier(0, 1);
    assert.throws(() => gate.onBarrier(0, 2), matchesTaskFailed);
    assert.throws(() => gate.onEndOfInput(0), matchesTaskFailed);
    gate.onEndOfInput(1);
    assert.throws(() => gate.onCancelBarrier(1, 2), matchesTaskFailed);
    assert.throws(() => gate.isBlocked(2), matchesTaskFailed);
  });
});

describe('BarrierTracker (at-least-once)', () => {
  it('passes records through without holding and snapshots when the last barrier arrives', () => {
    const gate = tracker(3);
    assert.equal(gate.mode, 'at-least-once');
    assert.deepEqual(runScript(gate, 'r@0 b1@0 r@0 r@1 b1@2 r@2 b1@1 r@1'), [
      'r@0', 'b1@0', 'r@0', 'r@1', 'b1@2', 'r@2', 'b1@1', 'snapshot 1', 'r@1',
    ]);
    assert.equal(gate.latestHandledId, 1);
  });

  it('counts overlapping ids at once and drops an older id that a newer one completes past', () => {
    const gate = tracker(2);
    assert.deepEqual(runScript(gate, 'b1@0 b2@0 r@0'), ['b1@0', 'b2@0', 'r@0']);
    assert.equal(gate.pendingCheckpointId, 1);
    assert.deepEqual(runScript(gate, 'b1@1 b2@1'), ['b1@1', 'snapshot 1', 'b2@1', 'snapshot 2']);
    assert.deepEqual(runScript(tracker(3), 'b1@0 b1@1 b2@0 b2@1 b2@2 b1@2'), [
      'b1@0', 'b1@1', 'b2@0', 'b2@1', 'b2@2', 'abort 1 (overtaken)', 'snapshot 2', 'b1@2',
    ]);
  });

  it('completes ids on end of input, oldest first, counting a channel that delivered and then ended once', () => {
    assert.deepEqual(runScript(tracker(2), 'b1@0 e@1'), ['b1@0', 'e@1', 'snapshot 1']);
    assert.deepEqual(runScript(tracker(3), 'b1@0 e@0 b1@1 b1@2'), ['b1@0', 'e@0', 'b1@1', 'b1@2', 'snapshot 1']);
    const gate = tracker(2);
    assert.deepEqual(runScript(gate, 'b1@0 b2@0 e@1'), ['b1@0', 'b2@0', 'e@1', 'snapshot 1', 'snapshot 2']);
    assert.equal(gate.pendingCheckpointId, undefined);
    assert.deepEqual(runScript(tracker(3), 'b1@0 b2@0 b2@1 e@2'), [
      'b1@0', 'b2@0', 'b2@1', 'e@2', 'abort 1 (overtaken)', 'snapshot 2',
    ]);
  });

  it('drops a count on a coordinator abort and absorbs that id\'s later barriers', () => {
    const gate = tracker(2);
    assert.deepEqual(runScript(gate, 'b1@0 a1 b1@1 a1 b2@0 b2@1'), [
      'b1@0', 'a1', 'abort 1 (coordinator-abort)', 'b1@1', 'a1', 'b2@0', 'b2@1', 'snapshot 2',
    ]);
    expectCheckpoints(tracker(2), 'a2 b1@0 b2@0 b1@1 b2@1 b3@0 b3@1', [-2, 1, 3]);
  });

  it('aborts an id on its cancel marker once and finishes it when every channel delivered barrier or marker', () => {
    const gate = tracker(2);
    assert.deepEqual(runScript(gate, 'b1@0 c1@1'), ['b1@0', 'c1@1', 'abort 1 (cancelled-upstream)']);
    assert.equal(gate.latestHandledId, 1);
    assert.deepEqual(runScript(gate, 'r@1 b2@0 b2@1'), ['r@1', 'b2@0', 'b2@1', 'snapshot 2']);
    expectCheckpoints(tracker(3), 'c1@0 c1@1 b1@2 b2@0 b2@1 b2@2', [-1, 2]);
  });
});

describe('barrier handlers on random well-formed scripts', () => {
  for (const mode of ['exactly-once', 'at-least-once'] as const) {
    it(`${mode}: every item is read, no id is decided twice, and each snapshot follows its barriers`, () => {
      for (let seed = 1; seed <= 300; seed++) {
        const channels = 1 + (seed % 4);
        const script = randomScript(seed, channels, 4);
        const gate = createBarrierHandler(mode, channels);
        checkRun(mode, channels, script, runScript(gate, script), gate);
      }
    });
  }
});

function checkRun(
  mode: CheckpointingMode,
  channels: number,
  script: string,
  trace: string[],
  gate: CheckpointBarrierHandler,
): void {
  const why = `${mode}, ${channels} channels: ${script}\ntrace: ${trace.join(' ')}`;
  const reads = trace.filter((t) => !/^(snapshot|abort) /.test(t)).map((t) => t.replace('(held)', ''));
  assert.deepEqual(reads, perChannelOrderOf(script, reads), `reads keep each channel's order; ${why}`);
  assert.equal(reads.length, script.split(' ').length, `every item is read; ${why}`);
  if (mode === 'at-least-once') assert.ok(!trace.some((t) => t.endsWith('(held)')), `nothing held; ${why}`);

  const decided = new Set<number>();
  let lastSnapshot = 0;
  trace.forEach((entry, at) => {
    const m = /^(snapshot|abort) (\d+)/.exec(entry);
    if (m === null) return;
    const id = Number(m[2]);
    assert.ok(!decided.has(id), `checkpoint ${id} decided twice; ${why}`);
    decided.add(id);
    if (m[1] !== 'snapshot') return;
    assert.ok(id > lastSnapshot, `snapshots increase; ${why}`);
    lastSnapshot = id;
    for (let channel = 0; channel < channels; channel++) {
      const before = reads.slice(0, readsBefore(trace, at));
      const barrierAt = before.lastIndexOf(`b${id}@${channel}`);
      assert.ok(barrierAt >= 0 || before.includes(`e@${channel}`), `snapshot ${id} without channel ${channel}; ${why}`);
      if (mode === 'exactly-once' && barrierAt >= 0) {
        const after = before.slice(barrierAt + 1).filter((t) => t.endsWith(`@${channel}`));
        assert.deepEqual(after, [], `channel ${channel} read past barrier ${id} before the snapshot; ${why}`);
      }
    }
  });
  assert.equal(gate.pendingCheckpointId, undefined, `nothing pending at the end; ${why}`);
  for (let channel = 0; channel < channels; channel++) assert.equal(gate.isBlocked(channel), false, why);
}

/** The channel items of `script` in the channel order of `reads`: equal to `reads` iff each channel kept its order. */
function perChannelOrderOf(script: string, reads: string[]): string[] {
  const queues = new Map<number, string[]>();
  for (const token of script.split(' ')) {
    const event = parseToken(token);
    if (event.kind === 'abort') continue;
    queues.set(event.channel, [...(queues.get(event.channel) ?? []), token]);
  }
  return reads.map((token) => {
    const event = parseToken(token);
    if (event.kind === 'abort') return token;
    return queues.get(event.channel)?.shift() ?? '(missing)';
  });
}

function readsBefore(trace: string[], at: number): number {
  return trace.slice(0, at).filter((t) => !/^(snapshot|abort) /.test(t)).length;
}

function matchesTaskFailed(error: unknown): boolean {
  return error instanceof WeirError && error.code === 'TASK_FAILED' && error.domain === 'internal';
}
