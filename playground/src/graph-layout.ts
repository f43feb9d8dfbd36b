// Where each vertex of a small job graph goes: columns by depth (a vertex one column right of its
// deepest input), rows in id order within a column, centred. Pure; the SVG is graph-view.ts's.
import type { Partitioner, PlanDescription } from './plan-types.js';

export interface NodeBox {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface EdgeLine {
  readonly from: number;
  readonly to: number;
  readonly partitioner: Partitioner;
  /** Index of this input among the target's inputs, and how many it has (several: the target aligns barriers). */
  readonly input: number;
  readonly inputs: number;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface GraphLayout {
  readonly nodes: readonly NodeBox[];
  readonly edges: readonly EdgeLine[];
  readonly width: number;
  readonly height: number;
}

export const BOX = { width: 220, gapX: 80, gapY: 28, pad: 16, headerHeight: 22, lineHeight: 15 };

/** A box is tall enough for its header, one line per chained operator and two lines of metrics. */
export function boxHeight(operators: number): number {
  return BOX.headerHeight + operators * BOX.lineHeight + 2 * BOX.lineHeight + 8;
}

export function layoutGraph(plan: PlanDescription): GraphLayout {
  const byId = new Map(plan.vertices.map((v) => [v.id, v]));
  const depth = new Map<number, number>();
  const depthOf = (id: number, seen: Set<number>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle cannot happen in a job graph; do not loop if it did
    seen.add(id);
    const v = byId.get(id);
    const d = v === undefined || v.inputs.length === 0 ? 0 : 1 + Math.max(...v.inputs.map((i) => depthOf(i.from, seen)));
    depth.set(id, d);
    return d;
  };
  for (const v of plan.vertices) depthOf(v.id, new Set());
  const columns: number[][] = [];
  for (const v of [...plan.vertices].sort((a, b) => a.id - b.id)) (columns[depth.get(v.id)!] ??= []).push(v.id);
  const columnHeight = (ids: number[]) => ids.reduce((h, id) => h + boxHeight(byId.get(id)!.operators.length), 0) + BOX.gapY * (ids.length - 1);
  const height = Math.max(0, ...columns.map((c) => columnHeight(c ?? []))) + 2 * BOX.pad;
  const nodes: NodeBox[] = [];
  columns.forEach((ids = [], column) => {
    let y = (height - columnHeight(ids)) / 2;
    for (const id of ids) {
      const h = boxHeight(byId.get(id)!.operators.length);
      nodes.push({ id, x: BOX.pad + column * (BOX.width + BOX.gapX), y, width: BOX.width, height: h });
      y += h + BOX.gapY;
    }
  });
  const box = new Map(nodes.map((n) => [n.id, n]));
  const edges: EdgeLine[] = [];
  for (const v of plan.vertices) {
    const to = box.get(v.id)!;
    v.inputs.forEach((input, i) => {
      const from = box.get(input.from);
      if (!from) return;
      // Several inputs enter at different heights, so their barriers can be told apart.
      const y2 = to.y + (to.height * (i + 1)) / (v.inputs.length + 1);
      edges.push({
        from: input.from, to: v.id, partitioner: input.partitioner, input: i, inputs: v.inputs.length,
        x1: from.x + from.width, y1: from.y + from.height / 2, x2: to.x, y2,
      });
    });
  }
  const width = columns.length === 0 ? 0 : 2 * BOX.pad + columns.length * BOX.width + (columns.length - 1) * BOX.gapX;
  return { nodes, edges, width, height };
}
