// Records/s and backpressure per operator from the 'metrics' event, whose counters are cumulative
// per subtask and start again at 0 in a restarted attempt's fresh tasks. Pure.
import type { SubtaskSample } from './plan-types.js';

export interface VertexRates {
  readonly vertexId: number;
  readonly name: string;
  readonly inPerSecond: number;
  readonly outPerSecond: number;
  /** Times per second a subtask found its outputs without credit, summed over subtasks. */
  readonly backpressuredPerSecond: number;
  /** Subtasks aligning a checkpoint now, with the channels that already delivered the barrier. */
  readonly aligning: readonly { subtaskIndex: number; checkpointId: number; blockedChannels: number; channels: number }[];
  readonly watermark: number | undefined;
}

interface Last {
  readonly at: number;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly backpressured: number;
}

export class RateTracker {
  private readonly last = new Map<string, Last>();

  /** The rates since the previous sample of each subtask (a subtask seen the first time counts from 0 at `previousAt`). */
  update(timestamp: number, subtasks: readonly SubtaskSample[], previousAt: number | undefined): VertexRates[] {
    const byVertex = new Map<number, { name: string; inR: number; outR: number; bpR: number; aligning: VertexRates['aligning'][number][]; watermark: number | undefined }>();
    for (const s of subtasks) {
      const key = `${s.subtask.vertexId}.${s.subtask.subtaskIndex}`;
      const prev = this.last.get(key);
      // A counter that went down belongs to a new attempt's task: it counted from 0.
      const reset = prev !== undefined && (s.recordsIn < prev.recordsIn || s.recordsOut < prev.recordsOut);
      const base = prev === undefined || reset ? { at: prev?.at ?? previousAt ?? timestamp, recordsIn: 0, recordsOut: 0, backpressured: 0 } : prev;
      const seconds = Math.max(0.001, (timestamp - base.at) / 1000);
      this.last.set(key, { at: timestamp, recordsIn: s.recordsIn, recordsOut: s.recordsOut, backpressured: s.backpressured });
      const v = byVertex.get(s.subtask.vertexId) ?? { name: s.name, inR: 0, outR: 0, bpR: 0, aligning: [], watermark: undefined };
      if (timestamp > base.at) {
        v.inR += (s.recordsIn - base.recordsIn) / seconds;
        v.outR += (s.recordsOut - base.recordsOut) / seconds;
        v.bpR += Math.max(0, s.backpressured - base.backpressured) / seconds;
      }
      if (s.aligning) v.aligning.push({ subtaskIndex: s.subtask.subtaskIndex, ...s.aligning });
      if (s.watermark !== undefined) v.watermark = v.watermark === undefined ? s.watermark : Math.min(v.watermark, s.watermark);
      byVertex.set(s.subtask.vertexId, v);
    }
    return [...byVertex].sort((a, b) => a[0] - b[0]).map(([vertexId, v]) => ({
      vertexId, name: v.name, inPerSecond: v.inR, outPerSecond: v.outR, backpressuredPerSecond: v.bpR, aligning: v.aligning, watermark: v.watermark,
    }));
  }

  reset(): void {
    this.last.clear();
  }
}
