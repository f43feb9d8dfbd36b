import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barrierTimeline, subtaskPhases } from '../../../playground/src/barrier-timeline.js';
import { layoutGraph } from '../../../playground/src/graph-layout.js';
import { planFromMetrics } from '../../../playground/src/plan-fallback.js';
import type { PlanDescription } from '../../../playground/src/plan-types.js';

// Two sources joined by a union into one task (two inputs), then a sink task.
const PLAN: PlanDescription = {
  vertices: [
    { id: 0, name: 'a', parallelism: 2, operators: [{ uid: 'a', name: 'a', kind: 'source' }], inputs: [] },
    { id: 1, name: 'b', parallelism: 1, operators: [{ uid: 'b', name: 'b', kind: 'source' }, { uid: 'bm', name: 'bm', kind: 'map' }], inputs: [] },
    { id: 2, name: 'join', parallelism: 2, operators: [{ uid: 'j', name: 'j', kind: 'reduce' }], inputs: [{ from: 0, partitioner: 'hash' }, { from: 1, partitioner: 'hash' }] },
    { id: 3, name: 'sink', parallelism: 2, operators: [{ uid: 's', name: 's', kind: 'sink' }], inputs: [{ from: 2, partitioner: 'forward' }] },
  ],
};

const sub = (vertexId: number, subtaskIndex: number, t: { ack: number; align: number; sync: number; async: number }) => ({
  subtask: { vertexId, subtaskIndex }, ackTimestamp: t.ack, alignmentDurationMs: t.align, syncDurationMs: t.sync, asyncDurationMs: t.async,
});

describe('playground job graph', () => {
  it('layoutGraph puts each vertex one column right of its deepest input, and gives a two-input vertex two entry points', () => {
    const l = layoutGraph(PLAN);
    const x = new Map(l.nodes.map((n) => [n.id, n.x]));
    assert.equal(x.get(0), x.get(1));
    assert.ok(x.get(2)! > x.get(0)! && x.get(3)! > x.get(2)!);
    const into = l.edges.filter((e) => e.to === 2);
    assert.deepEqual(into.map((e) => [e.from, e.partitioner, e.input, e.inputs]), [[0, 'hash', 0, 2], [1, 'hash', 1, 2]]);
    assert.notEqual(into[0]!.y2, into[1]!.y2);
    for (const e of l.edges) assert.ok(e.x2 > e.x1, 'edges run left to right');
    assert.ok(l.width > 0 && l.height > 0);
  });

  it('subtaskPhases derives the snapshot and alignment start from the durations when the timestamps are missing', () => {
    assert.deepEqual(subtaskPhases(sub(0, 0, { ack: 100, align: 10, sync: 5, async: 20 })), { alignmentStart: 65, snapshot: 75, emit: 80, acked: 100 });
    assert.deepEqual(subtaskPhases({ ...sub(0, 0, { ack: 100, align: 10, sync: 5, async: 20 }), alignmentStartTimestamp: 60, snapshotTimestamp: 74 }),
      { alignmentStart: 60, snapshot: 74, emit: 79, acked: 100 });
  });

  it('barrierTimeline: the barrier of the faster input waits at the two-input vertex until its snapshot', () => {
    const t = barrierTimeline(PLAN, {
      triggerTimestamp: 1000,
      subtasks: [
        sub(0, 0, { ack: 1010, align: 0, sync: 1, async: 8 }), // snapshot 1001, emits 1002
        sub(0, 1, { ack: 1012, align: 0, sync: 1, async: 9 }), // snapshot 1002, emits 1003
        sub(1, 0, { ack: 1040, align: 0, sync: 2, async: 8 }), // snapshot 1030, emits 1032: the slow input
        sub(2, 0, { ack: 1050, align: 30, sync: 2, async: 8 }), // snapshot 1040, aligned from 1010
        sub(2, 1, { ack: 1049, align: 29, sync: 2, async: 8 }),
        sub(3, 0, { ack: 1060, align: 0, sync: 1, async: 5 }),
        sub(3, 1, { ack: 1061, align: 0, sync: 1, async: 5 }),
      ],
    });
    assert.equal(t.start, 1000);
    assert.equal(t.end, 1061);
    const join = t.vertices.find((v) => v.vertexId === 2)!;
    assert.deepEqual(join, { vertexId: 2, alignmentStart: 1010, snapshot: 1040, emit: 1041, acked: 1050 });
    const into = t.edges.filter((e) => e.to === 2).map((e) => [e.input, e.fromSubtask, e.fromSubtasks, e.leaves, e.arrives, e.waitsUntil]);
    assert.deepEqual(into, [
      // input 0 (vertex 0, two subtasks): each subtask's barrier leaves when it snapshotted; the first
      // reaches the join when its alignment starts, and both wait for the slow input until the snapshot.
      [0, 0, 2, 1002, 1010, 1040],
      [0, 1, 2, 1003, 1010, 1040],
      [1, 0, 1, 1032, 1032, 1040],
    ]);
    const toSink = t.edges.find((e) => e.to === 3)!;
    assert.ok(toSink.leaves >= join.snapshot && toSink.arrives >= toSink.leaves);
  });

  it('planFromMetrics: tasks and their parallelism from the subtask names, no edges', () => {
    const s = (vertexId: number, subtaskIndex: number, name: string) => ({ subtask: { vertexId, subtaskIndex }, name, recordsIn: 0, recordsOut: 0, backpressured: 0 });
    const plan = planFromMetrics([s(0, 0, 'numbers → seen (1/2)'), s(0, 1, 'numbers → seen (2/2)'), s(1, 0, 'count (1/1)')]);
    assert.deepEqual(plan.vertices.map((v) => [v.id, v.parallelism, v.operators.map((o) => o.name), v.inputs.length]), [[0, 2, ['numbers', 'seen'], 0], [1, 1, ['count'], 0]]);
  });
});
