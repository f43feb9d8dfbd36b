// When checkpoint n's barrier reached, waited at and left each vertex, from the per-subtask stats
// of a finished checkpoint — what the slow-motion view replays. Pure.
//
// Per subtask the runtime reports ackTimestamp and the durations of alignment, the synchronous
// snapshot and the asynchronous write, and (newer builds) alignmentStartTimestamp and
// snapshotTimestamp. Where those two are missing they are derived from the durations:
//   snapshot = ack − async − sync,  alignment start = snapshot − alignment.
// A task forwards the barrier right after its synchronous snapshot, so the barrier leaves a vertex
// at snapshot + sync; it reaches a downstream input no earlier than that, and no later than the
// downstream task's snapshot (which needed every input's barrier).
import type { PlanDescription } from './plan-types.js';

export interface SubtaskTimes {
  readonly subtask: { readonly vertexId: number; readonly subtaskIndex: number };
  readonly ackTimestamp: number;
  readonly alignmentDurationMs: number;
  readonly syncDurationMs: number;
  readonly asyncDurationMs: number;
  readonly alignmentStartTimestamp?: number;
  readonly snapshotTimestamp?: number;
}

export interface VertexPhase {
  readonly vertexId: number;
  /** First barrier in (for a source: the trigger). */
  readonly alignmentStart: number;
  /** Every input's barrier in; the synchronous snapshot starts (latest subtask). */
  readonly snapshot: number;
  /** The barrier leaves downstream (earliest subtask). */
  readonly emit: number;
  /** Every subtask acked: its state is stored. */
  readonly acked: number;
}

/** One upstream subtask's barrier on one edge (a hash edge carries one from each upstream subtask). */
export interface EdgeTrip {
  readonly from: number;
  readonly to: number;
  readonly input: number;
  readonly fromSubtask: number;
  /** Upstream subtasks on this edge: a target aligns over all of them (and over all its inputs). */
  readonly fromSubtasks: number;
  readonly leaves: number;
  readonly arrives: number;
  /** The target's snapshot: a barrier that arrived before it waited (its channel blocked) until then. */
  readonly waitsUntil: number;
}

export interface BarrierTimeline {
  readonly start: number;
  readonly end: number;
  readonly vertices: readonly VertexPhase[];
  readonly edges: readonly EdgeTrip[];
}

export function subtaskPhases(s: SubtaskTimes): { alignmentStart: number; snapshot: number; emit: number; acked: number } {
  const snapshot = s.snapshotTimestamp ?? s.ackTimestamp - s.asyncDurationMs - s.syncDurationMs;
  const alignmentStart = s.alignmentStartTimestamp ?? snapshot - s.alignmentDurationMs;
  return { alignmentStart, snapshot, emit: snapshot + s.syncDurationMs, acked: s.ackTimestamp };
}

export function barrierTimeline(plan: PlanDescription, checkpoint: { triggerTimestamp: number; subtasks: readonly SubtaskTimes[] }): BarrierTimeline {
  const start = checkpoint.triggerTimestamp;
  const vertices: VertexPhase[] = [];
  for (const v of plan.vertices) {
    const phases = checkpoint.subtasks.filter((s) => s.subtask.vertexId === v.id).map(subtaskPhases);
    if (phases.length === 0) continue;
    const at = (f: (p: (typeof phases)[number]) => number, pick: (...n: number[]) => number) => Math.max(start, pick(...phases.map(f)));
    const snapshot = at((p) => p.snapshot, Math.max);
    vertices.push({
      vertexId: v.id,
      // A source aligns nothing: the trigger reaches it and it snapshots.
      alignmentStart: v.inputs.length === 0 ? snapshot : at((p) => p.alignmentStart, Math.min),
      snapshot,
      emit: at((p) => p.emit, Math.min),
      acked: at((p) => p.acked, Math.max),
    });
  }
  const phase = new Map(vertices.map((p) => [p.vertexId, p]));
  const edges: EdgeTrip[] = [];
  for (const v of plan.vertices) {
    const target = phase.get(v.id);
    if (!target) continue;
    v.inputs.forEach((input, i) => {
      const upstream = checkpoint.subtasks.filter((s) => s.subtask.vertexId === input.from).sort((a, b) => a.subtask.subtaskIndex - b.subtask.subtaskIndex);
      for (const s of upstream) {
        const leaves = Math.min(Math.max(start, subtaskPhases(s).emit), target.snapshot);
        const arrives = Math.min(Math.max(leaves, target.alignmentStart), target.snapshot);
        edges.push({ from: input.from, to: v.id, input: i, fromSubtask: s.subtask.subtaskIndex, fromSubtasks: upstream.length, leaves, arrives, waitsUntil: target.snapshot });
      }
    });
  }
  const end = Math.max(start + 1, ...vertices.map((p) => p.acked));
  return { start, end, vertices, edges };
}
