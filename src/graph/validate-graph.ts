import { WeirError } from '../errors/index.js';
import type { JobGraph } from './job-graph.js';

function invalid(message: string, details: Record<string, unknown> = {}): WeirError {
  return new WeirError('INVALID_GRAPH', message, { domain: 'user', retryable: false, details });
}

/** Refuses a graph that cannot run, naming the culprit, before anything starts. */
export function validateJobGraph(graph: JobGraph): void {
  const name = `job '${graph.jobName}'`;
  if (!graph.nodes.some((n) => n.spec.kind === 'source')) {
    throw invalid(`${name} has no source: start a stream with env.fromSource(…)`);
  }
  if (!graph.nodes.some((n) => n.spec.kind === 'sink')) {
    throw invalid(`${name} has no sink: end a stream with .sinkTo(…), or nothing it computes is kept`);
  }
  const byUid = new Map<string, number>();
  for (const node of graph.nodes) {
    const other = byUid.get(node.uid);
    if (other !== undefined) {
      throw invalid(`${name} has two operators with uid '${node.uid}' (operators ${other} and ${node.id}): uids must be unique`, { uid: node.uid });
    }
    byUid.set(node.uid, node.id);
  }
}
