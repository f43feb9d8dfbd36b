// The job graph as SVG: one box per vertex (a task: several chained operators share one), edges
// labelled with their partitioner, live records/s and backpressure per vertex, live alignment from
// the 'metrics' event, and a replay of one checkpoint's barriers travelling the edges and waiting
// at multi-input vertices (barrier-timeline.ts), at a chosen slow-down.
import type { BarrierTimeline } from './barrier-timeline.js';
import { BOX, layoutGraph, type GraphLayout } from './graph-layout.js';
import type { PlanDescription } from './plan-types.js';
import type { VertexRates } from './rates.js';
import { rate, svg } from './svg.js';

interface VertexEls {
  readonly group: SVGGElement;
  readonly rect: SVGRectElement;
  readonly metrics: SVGTextElement;
  readonly pressure: SVGTextElement;
}

export class GraphView {
  private layout: GraphLayout | undefined;
  private readonly vertices = new Map<number, VertexEls>();
  private barriers: SVGGElement | undefined;
  private caption: SVGTextElement | undefined;
  private frame: number | undefined;

  constructor(private readonly root: SVGSVGElement, private readonly onVertexClick: (vertexId: number) => void = () => {}) {}

  setPlan(plan: PlanDescription | null, note?: string): void {
    this.stopReplay();
    this.root.replaceChildren();
    this.vertices.clear();
    if (!plan) {
      this.root.setAttribute('viewBox', '0 0 900 30');
      this.root.style.maxWidth = '900px';
      this.root.append(svg('text', { x: 8, y: 20, class: 'caption' }, note ?? 'no job running'));
      return;
    }
    const layout = (this.layout = layoutGraph(plan));
    const height = layout.height + 22; // room for the replay caption
    this.root.setAttribute('viewBox', `0 0 ${Math.max(layout.width, 400)} ${height}`);
    this.root.style.maxWidth = `${Math.max(layout.width, 400)}px`;
    const defs = svg('defs');
    const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#57606a' }));
    defs.append(marker);
    this.root.append(defs);
    for (const e of layout.edges) {
      const mx = (e.x1 + e.x2) / 2;
      const g = svg('g', { class: `edge ${e.partitioner}`, 'data-from': e.from, 'data-to': e.to });
      g.append(svg('path', { d: `M ${e.x1} ${e.y1} C ${mx} ${e.y1}, ${mx} ${e.y2}, ${e.x2} ${e.y2}`, 'marker-end': 'url(#arrow)' }));
      g.append(svg('text', { x: mx, y: (e.y1 + e.y2) / 2 - 5, 'text-anchor': 'middle', class: 'edge-label' }, e.partitioner));
      this.root.append(g);
    }
    const byId = new Map(plan.vertices.map((v) => [v.id, v]));
    for (const n of layout.nodes) {
      const v = byId.get(n.id)!;
      const group = svg('g', { class: 'vertex', 'data-vertex': n.id, transform: `translate(${n.x} ${n.y})` });
      const rect = svg('rect', { width: n.width, height: n.height, rx: 6 });
      group.append(rect);
      // The operators are listed below; the title says what the box is (its name is the chain's).
      group.append(svg('text', { x: 8, y: 15, class: 'vertex-title' }, v.operators.length > 1 ? `task ${v.id}: a chain of ${v.operators.length}` : `task ${v.id}`));
      group.append(svg('text', { x: n.width - 8, y: 15, 'text-anchor': 'end', class: 'parallelism' }, `×${v.parallelism}`));
      v.operators.forEach((op, i) => {
        const prefix = v.operators.length > 1 ? (i === 0 ? '┌ ' : i === v.operators.length - 1 ? '└ ' : '├ ') : '';
        group.append(svg('text', { x: 8, y: BOX.headerHeight + 11 + i * BOX.lineHeight, class: 'operator' }, `${prefix}${op.name} · ${op.kind}`));
      });
      const base = BOX.headerHeight + 11 + v.operators.length * BOX.lineHeight;
      const metrics = svg('text', { x: 8, y: base + 2, class: 'metrics' }, '–');
      const pressure = svg('text', { x: 8, y: base + 2 + BOX.lineHeight, class: 'pressure' }, '');
      group.append(metrics, pressure);
      if (v.operators.length > 1) group.append(svg('title', {}, `a chain of ${v.operators.length} operators in one task (forward edges, same parallelism)`));
      group.addEventListener('click', () => this.onVertexClick(n.id));
      this.root.append(group);
      this.vertices.set(n.id, { group, rect, metrics, pressure });
    }
    this.barriers = svg('g', { class: 'barriers' });
    this.caption = svg('text', { x: 8, y: height - 6, class: 'caption' }, '');
    this.root.append(this.barriers, this.caption);
  }

  /** Live numbers from the last 'metrics' event. */
  setRates(rates: readonly VertexRates[]): void {
    for (const r of rates) {
      const els = this.vertices.get(r.vertexId);
      if (!els) continue;
      els.metrics.textContent = `in ${rate(r.inPerSecond)}/s · out ${rate(r.outPerSecond)}/s`;
      const level = r.backpressuredPerSecond >= 20 ? 'high' : r.backpressuredPerSecond > 0 ? 'low' : 'none';
      const aligning = r.aligning[0];
      els.pressure.textContent = aligning
        ? `aligning checkpoint ${aligning.checkpointId}: ${aligning.blockedChannels}/${aligning.channels} inputs in`
        : `backpressure ${level === 'none' ? 'none' : `${rate(r.backpressuredPerSecond)}×/s`}`;
      // Event time, where the task has a watermark (Infinity once its input ended).
      const wm = r.watermark;
      if (wm !== undefined && wm !== -Infinity) els.pressure.textContent += wm === Infinity ? ' · input ended' : ` · wm ${(wm / 1000).toFixed(1)} s`;
      els.group.dataset.backpressure = level;
      els.group.classList.toggle('aligning-live', aligning !== undefined);
    }
  }

  /**
   * Replays one checkpoint. Its barriers cross the graph in a few milliseconds while writing the
   * state takes most of its duration, so the two parts are slowed apart: the barriers' flow (trigger
   * to the last snapshot) lasts `flowMs` of real time, the rest (state being written, acks) `restMs`.
   * Barriers move along the edges; one that arrived at a vertex still waiting for its other inputs
   * stays at the arrow's head, marked 'waiting'; vertices show their phase (aligning, snapshot,
   * writing, acked).
   */
  replay(timeline: BarrierTimeline, checkpointId: number, durations: { flowMs: number; restMs: number }, onEnd?: () => void): void {
    this.stopReplay();
    if (!this.layout || !this.barriers) return;
    const layout = this.layout;
    const edgeLine = new Map(layout.edges.map((e) => [`${e.from}>${e.to}>${e.input}`, e]));
    const span = timeline.end - timeline.start;
    const flowEnd = Math.min(timeline.end, Math.max(timeline.start + 0.5, ...timeline.vertices.map((v) => v.emit)));
    const flowSlowdown = durations.flowMs / (flowEnd - timeline.start);
    const restSlowdown = durations.restMs / Math.max(0.5, timeline.end - flowEnd);
    // Timestamps have millisecond resolution and a hop between workers often takes less: such a hop
    // is drawn over at least half a second of the replay (and a barrier that must wait, waits at
    // least a third of one), so that every barrier shows; the caption keeps the measured times.
    const minTravel = 500 / flowSlowdown;
    const minWait = 300 / flowSlowdown;
    const startedAt = performance.now();
    const draw = (now: number) => {
      const real = now - startedAt;
      const t = real < durations.flowMs ? timeline.start + real / flowSlowdown : flowEnd + (real - durations.flowMs) / restSlowdown;
      const slowdown = real < durations.flowMs ? flowSlowdown : restSlowdown;
      const done = t >= timeline.end;
      const at = Math.min(t, timeline.end);
      this.barriers!.replaceChildren();
      for (const trip of timeline.edges) {
        const e = edgeLine.get(`${trip.from}>${trip.to}>${trip.input}`);
        // A barrier that arrives while the target still waits for others (another input, or another
        // upstream subtask on a hash or rebalance edge) blocks its channel and waits.
        const aligns = e !== undefined && (e.inputs > 1 || (trip.fromSubtasks > 1 && e.partitioner !== 'forward'));
        const travel = Math.max(trip.arrives - trip.leaves, minTravel);
        const until = Math.max(trip.waitsUntil, trip.leaves + travel + (aligns ? minWait : 0));
        if (!e || at < trip.leaves || at >= until) continue;
        const f = Math.min(1, (at - trip.leaves) / travel);
        const waiting = f >= 1 && aligns;
        // Upstream subtasks' barriers side by side, so each one shows.
        const lane = (trip.fromSubtask - (trip.fromSubtasks - 1) / 2) * 7;
        // A point on the edge's curve (the same cubic as in setPlan).
        const mx = (e.x1 + e.x2) / 2;
        const u = 1 - f;
        const x = u * u * u * e.x1 + 3 * u * u * f * mx + 3 * u * f * f * mx + f * f * f * e.x2;
        const y = u * u * u * e.y1 + 3 * u * u * f * e.y1 + 3 * u * f * f * e.y2 + f * f * f * e.y2;
        const g = svg('g', { class: `barrier${waiting ? ' waiting' : ''}`, transform: `translate(${x - (f >= 1 ? 6 : 3) - (f >= 1 ? Math.abs(lane) : 0)} ${y + lane})` });
        g.append(svg('rect', { x: 0, y: -6, width: 4, height: 12, rx: 1 }));
        if (waiting && trip.fromSubtask === 0) g.append(svg('text', { x: -4, y: -9, 'text-anchor': 'end' }, 'waits'));
        g.append(svg('title', {}, `barrier ${checkpointId} from subtask ${trip.fromSubtask}`));
        this.barriers!.append(g);
      }
      for (const p of timeline.vertices) {
        const els = this.vertices.get(p.vertexId);
        if (!els) continue;
        const phase = at < p.alignmentStart ? '' : at < p.snapshot ? 'aligning' : at < p.emit ? 'snapshot' : at < p.acked ? 'writing' : 'acked';
        els.group.dataset.phase = phase;
      }
      this.caption!.textContent = `checkpoint ${checkpointId}: +${(at - timeline.start).toFixed(1)} ms of ${span.toFixed(1)} ms`
        + `${slowdown > 1 ? ` (${Math.round(slowdown)}× slower${real < durations.flowMs ? ': barriers flowing' : ': state being written'})` : ''}${done ? ' — every subtask acked' : ''}`;
      if (done) {
        this.frame = undefined;
        onEnd?.();
        return;
      }
      this.frame = requestAnimationFrame(draw);
    };
    this.frame = requestAnimationFrame(draw);
  }

  stopReplay(): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    this.barriers?.replaceChildren();
    for (const els of this.vertices.values()) delete els.group.dataset.phase;
    if (this.caption) this.caption.textContent = '';
  }

  get replaying(): boolean {
    return this.frame !== undefined;
  }
}
