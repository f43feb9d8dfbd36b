// Throughput (records/s read from the sources, a line, left axis) and checkpoint duration (a bar
// per checkpoint at its trigger time, right axis) over the last two minutes, hand-drawn in SVG.
// Restarts are red vertical lines.
import { rate, svg } from './svg.js';

const WINDOW_MS = 120_000;
const W = 640;
const H = 170;
const PAD = { left: 44, right: 48, top: 10, bottom: 22 };

export interface ChartData {
  readonly throughput: readonly { t: number; value: number }[];
  readonly checkpoints: readonly { t: number; durationMs: number; failed: boolean }[];
  readonly restarts: readonly number[];
}

function niceMax(n: number): number {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return ([1, 2, 5, 10].find((m) => m * p >= n) ?? 10) * p;
}

export function drawChart(root: SVGSVGElement, data: ChartData, now: number): void {
  root.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const t0 = now - WINDOW_MS;
  const x = (t: number) => PAD.left + ((t - t0) / WINDOW_MS) * (W - PAD.left - PAD.right);
  const points = data.throughput.filter((p) => p.t >= t0);
  const cps = data.checkpoints.filter((c) => c.t >= t0);
  const maxRate = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const maxMs = niceMax(Math.max(0, ...cps.map((c) => c.durationMs)));
  const yRate = (v: number) => H - PAD.bottom - (v / maxRate) * (H - PAD.top - PAD.bottom);
  const yMs = (v: number) => H - PAD.bottom - (v / maxMs) * (H - PAD.top - PAD.bottom);
  const parts: SVGElement[] = [];
  parts.push(svg('rect', { x: PAD.left, y: PAD.top, width: W - PAD.left - PAD.right, height: H - PAD.top - PAD.bottom, class: 'plot' }));
  for (const f of [0, 0.5, 1]) {
    const y = yRate(maxRate * f);
    parts.push(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' }));
    parts.push(svg('text', { x: PAD.left - 4, y: y + 4, 'text-anchor': 'end', class: 'axis rate' }, rate(maxRate * f)));
    parts.push(svg('text', { x: W - PAD.right + 4, y: y + 4, class: 'axis ms' }, `${Math.round(maxMs * f)} ms`));
  }
  for (let s = 0; s <= WINDOW_MS / 1000; s += 30) {
    parts.push(svg('text', { x: x(now - s * 1000), y: H - 6, 'text-anchor': 'middle', class: 'axis' }, s === 0 ? 'now' : `−${s} s`));
  }
  for (const c of cps) {
    const bx = x(c.t);
    parts.push(svg('rect', { x: bx - 1.5, y: yMs(c.durationMs), width: 3, height: Math.max(1, H - PAD.bottom - yMs(c.durationMs)), class: c.failed ? 'cp-bar failed' : 'cp-bar' }));
  }
  for (const t of data.restarts.filter((r) => r >= t0)) parts.push(svg('line', { x1: x(t), x2: x(t), y1: PAD.top, y2: H - PAD.bottom, class: 'restart' }));
  if (points.length > 1) parts.push(svg('polyline', { points: points.map((p) => `${x(p.t).toFixed(1)},${yRate(p.value).toFixed(1)}`).join(' '), class: 'rate-line' }));
  parts.push(svg('text', { x: PAD.left + 6, y: PAD.top + 12, class: 'legend rate' }, 'records/s'));
  parts.push(svg('text', { x: W - PAD.right - 6, y: PAD.top + 12, 'text-anchor': 'end', class: 'legend ms' }, 'checkpoint duration'));
  root.replaceChildren(...parts);
}
