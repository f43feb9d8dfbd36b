import assert from 'node:assert/strict';
import { expectedWindowSums, type WindowSum } from '../../examples/checkpoint-example.lines.js';

// The check of what the seed example (examples/checkpoint-example.job.ts) committed: every window
// once with the sum computed directly from the input lines, and every bad line once as a dead
// letter. Uses node:assert, so it runs in Node and in Deno (not in a browser).

export function assertExactWindowSums(rows: WindowSum[], lines: number, dead: { value: string; error: string }[]): void {
  const { sums, badLines } = expectedWindowSums({ lines });
  const id = (r: WindowSum) => `${r.key}@${r.windowStart}`;
  const seen = new Map<string, WindowSum>();
  for (const r of rows) {
    assert.ok(!seen.has(id(r)), `window ${id(r)} committed twice`);
    assert.ok(Number.isFinite(r.sum), `window ${id(r)} has sum ${r.sum}`);
    seen.set(id(r), r);
  }
  assert.equal(seen.size, sums.length, 'every window committed once');
  for (const e of sums) assert.deepEqual(seen.get(id(e)), e, `window ${id(e)}`);
  assert.equal(dead.length, badLines, 'every bad line is a dead letter, once');
  assert.equal(new Set(dead.map((d) => d.value)).size, badLines);
  for (const d of dead) assert.match(d.error, /not an integer/);
}
