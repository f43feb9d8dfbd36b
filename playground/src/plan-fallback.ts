// A partial plan from the 'metrics' event alone, for a Weir without handle.plan(): the tasks (a
// subtask's name lists its chained operators, "a → b (1/2)") and their parallelism, but no edges,
// which only the plan knows. Pure.
import type { PlanDescription, SubtaskSample } from './plan-types.js';

export function planFromMetrics(subtasks: readonly SubtaskSample[]): PlanDescription {
  const vertices = new Map<number, { name: string; parallelism: number }>();
  for (const s of subtasks) {
    const v = vertices.get(s.subtask.vertexId);
    const name = s.name.replace(/\s*\(\d+\/\d+\)$/, '');
    vertices.set(s.subtask.vertexId, { name, parallelism: (v?.parallelism ?? 0) + 1 });
  }
  return {
    vertices: [...vertices].sort((a, b) => a[0] - b[0]).map(([id, v]) => {
      const names = v.name.split(' → ');
      return { id, name: names.length > 1 ? `${names[0]} …` : v.name, parallelism: v.parallelism, operators: names.map((n) => ({ uid: n, name: n, kind: 'operator' })), inputs: [] };
    }),
  };
}
