import { describeValue, InvalidArgumentError } from '../errors/index.js';
import { buildExecutionPlan, type ExecutionPlan } from '../graph/execution-plan.js';
import { buildJobGraph, isJobDefinition, type JobDefinition } from './job.js';

/** Imports a job module; its default export must be a job definition. */
export async function loadJob(url: string): Promise<JobDefinition> {
  let module: { default?: unknown };
  try {
    module = (await import(/* @vite-ignore */ url)) as { default?: unknown };
  } catch (error) {
    throw new InvalidArgumentError('run(job)', `could not load the job module '${url}': ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!isJobDefinition(module.default)) {
    throw new InvalidArgumentError('run(job)', `the module '${url}' must export default job(name, build), but its default export is ${describeValue(module.default)}`);
  }
  return module.default;
}

/** What a worker does with a job module: import it and build the plan the runner built. */
export async function loadPlan(url: string, defaultParallelism: number): Promise<{ plan: ExecutionPlan; fingerprint: string }> {
  const graph = buildJobGraph(await loadJob(url));
  return { plan: buildExecutionPlan(graph, defaultParallelism), fingerprint: graph.fingerprint() };
}
