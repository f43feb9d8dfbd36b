import { readCommittedTable } from '../connectors/sinks/read-table.js';
import { describeValue, InvalidArgumentError, requireOptions, requireString, WeirError } from '../errors/index.js';
import { buildExecutionPlan } from '../graph/execution-plan.js';
import { createMacrotaskScheduler } from '../platform/macrotask.js';
import { resolveStorage, type StorageOption } from '../platform/resolve-storage.js';
import { systemClock } from '../runtime/clock.js';
import { JobMaster } from '../runtime/coordinator/job-master.js';
import { InProcessExecutor } from '../runtime/execution/in-process-executor.js';
import { buildJobGraph, isJobDefinition, type JobDefinition } from './job.js';
import { createJobHandle, type JobHandle } from './job-handle.js';
import { defaultRestartStrategy, resolveCheckpointing, validateRunOptions, type RunOptions } from './run-options.js';

let scheduleMacrotask: ((callback: () => void) => void) | undefined;

/**
 * Runs a job: a job definition in this thread, or a job module (URL or string) that is
 * loaded and run. Resolves with a handle once the job is deployed; rejects, before anything
 * runs, on a bad option, an invalid graph, or a checkpoint that does not fit the job.
 */
export async function run(job: URL | string | JobDefinition, options?: RunOptions): Promise<JobHandle> {
  const o = validateRunOptions(options);
  const definition = await loadJob(job);
  if (o.executor === 'workers') {
    throw new WeirError('INVALID_ARGUMENT', "run(job, options).executor: 'workers' is not available in this build yet; use 'in-process'", {
      domain: 'user', retryable: false, details: { argument: 'run(job, options).executor' },
    });
  }
  const storage = resolveStorage(o.storage, 'run(job, options).storage');
  const graph = buildJobGraph(definition);
  const plan = buildExecutionPlan(graph, o.parallelism ?? 1);
  const { mode, config } = resolveCheckpointing(o.checkpointing, graph.checkpointing);
  const clock = o.clock ?? systemClock;
  scheduleMacrotask ??= createMacrotaskScheduler();
  const executor = new InProcessExecutor({
    storage, clock, scheduleMacrotask, batchSize: o.network.batchSize, flushIntervalMs: o.network.flushIntervalMs, channelCredits: o.network.credits,
  });
  const master = new JobMaster({
    plan, mode, checkpoint: config, restart: o.restart ?? defaultRestartStrategy(config.intervalMs !== undefined),
    resume: o.resume, allowNonRestoredState: o.allowNonRestoredState, storage, clock, executor, metricsIntervalMs: o.metricsIntervalMs,
  });
  await master.start();
  return createJobHandle(master);
}

async function loadJob(job: unknown): Promise<JobDefinition> {
  if (isJobDefinition(job)) return job;
  if (job instanceof URL || typeof job === 'string') {
    const url = job instanceof URL ? job.href : requireString('run(job)', job);
    let module: { default?: unknown };
    try {
      module = (await import(/* @vite-ignore */ url)) as { default?: unknown };
    } catch (error) {
      throw new WeirError('INVALID_ARGUMENT', `run(job): could not load the job module '${url}': ${error instanceof Error ? error.message : String(error)}`, {
        domain: 'user', retryable: false, cause: error, details: { argument: 'run(job)' },
      });
    }
    if (!isJobDefinition(module.default)) {
      throw new InvalidArgumentError('run(job)', `the module '${url}' must export default job(name, build), but its default export is ${describeValue(module.default)}`);
    }
    return module.default;
  }
  throw new InvalidArgumentError('run(job)', `expected a job definition from job(…), or the URL of a job module, got ${describeValue(job)}`);
}

/** The committed content of a job's `sinks.table`: readable with no job running. */
export async function readTable<T = unknown>(jobName: string, table: string, options?: { storage?: StorageOption }): Promise<T[]> {
  requireString('readTable(jobName)', jobName);
  requireString('readTable(jobName, table)', table);
  const o = requireOptions<{ storage?: StorageOption }>('readTable(jobName, table, options)', options, ['storage']);
  return readCommittedTable<T>(resolveStorage(o.storage, 'readTable(jobName, table, options).storage'), jobName, table);
}
