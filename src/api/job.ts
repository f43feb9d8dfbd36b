import { InvalidArgumentError, requireFunction, requireString, WeirError } from '../errors/index.js';
import { JobGraph } from '../graph/job-graph.js';
import { validateJobGraph } from '../graph/validate-graph.js';
import type { JobDefinition } from './job-definition.js';
import { StreamEnvironment } from './stream-environment.js';

export { isJobDefinition, type JobDefinition } from './job-definition.js';

const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Describes a job. `build` must only describe the graph: it runs in the runner and in every worker. */
export function job(name: string, build: (env: StreamEnvironment) => void): JobDefinition {
  requireString('job(name)', name);
  if (!JOB_NAME.test(name)) {
    throw new InvalidArgumentError('job(name)', `'${name}' is not a valid job name; use letters, digits, '.', '_' and '-' (at most 128)`);
  }
  requireFunction('job(name, build)', build);
  return Object.freeze({ kind: 'weir.job', name, build });
}

/** Runs the job's build function on a fresh environment and validates the graph it describes. */
export function buildJobGraph(definition: JobDefinition): JobGraph {
  const graph = new JobGraph(definition.name);
  try {
    definition.build(new StreamEnvironment(graph));
  } catch (error) {
    if (error instanceof WeirError) throw error;
    throw new WeirError('INVALID_GRAPH', `job '${definition.name}': building the graph threw: ${error instanceof Error ? error.message : String(error)}`, {
      domain: 'user', retryable: false, cause: error,
    });
  }
  validateJobGraph(graph);
  return graph;
}
