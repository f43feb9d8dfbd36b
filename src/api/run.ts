import { describeValue, InvalidArgumentError, requireOptions, requireString, WeirError } from '../errors/index.js';
import { resolveStorage, type StorageOption } from '../platform/resolve-storage.js';
import type { RuntimePlatform } from '../platform/runtime-platform.js';
import { systemClock } from '../runtime/clock.js';
import { JobMaster } from '../runtime/coordinator/job-master.js';
import type { TaskExecutor } from '../runtime/execution/task-executor.js';
import type { CheckpointStorage } from '../state/checkpoint-storage.js';
import type { Clock } from '../runtime/clock.js';

/** What run() resolved, for a caller that brings its own executor (a job object's shard objects). */
export interface ExecutorContext {
  readonly fingerprint: string;
  readonly storage: CheckpointStorage;
  readonly clock: Clock;
  readonly network: { readonly batchSize: number; readonly flushIntervalMs: number; readonly credits: number; readonly binary: boolean };
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number };
}

export interface RunHooks {
  /** Where the tasks of an in-process run go instead of this thread. */
  createExecutor?(context: ExecutorContext): TaskExecutor;
  /** Reads a savepoint file (`resume: { savepoint: path }`): Node and Deno. */
  readFile?: ReadFile;
}
import { WorkerExecutor } from '../runtime/execution/worker-executor.js';
import { isJobDefinition, type JobDefinition } from './job-definition.js';
import { createJobHandle, type JobHandle } from './job-handle.js';
import type { ReadFile } from './savepoint-input.js';
import { defaultRestartStrategy, resolveCheckpointing, validateRunOptions, type RunOptions } from './run-options.js';

/**
 * Makes `run()` for one runtime. Runs a job: a job definition in this thread, or a job module
 * (URL or string) in workers where the runtime has them. Resolves with a handle once the job is
 * deployed; rejects, before anything runs, on a bad option, an invalid graph, or a checkpoint
 * that does not fit the job.
 */
export function createRun(platform: RuntimePlatform, hooks: RunHooks = {}) {
  return async function run(job: URL | string | JobDefinition, options?: RunOptions): Promise<JobHandle> {
    const o = validateRunOptions(options);
    // Loaded on demand (bundlers split them off): the graph builder, and the in-process runtime below.
    const { buildExecutionPlan, buildJobGraph, loadJob } = await import('./plan-job.js');
    const moduleUrl = isJobDefinition(job) ? (o.jobModule === undefined ? undefined : platform.resolveModuleUrl(o.jobModule)) : moduleUrlOf(platform, job);
    const definition = isJobDefinition(job) ? job : await loadJob(moduleUrl!);
    const executorKind = o.executor ?? (moduleUrl !== undefined && !isJobDefinition(job) && platform.workers ? 'workers' : 'in-process');
    if (executorKind === 'workers' && (moduleUrl === undefined || platform.workers === undefined)) {
      throw new InvalidArgumentError(
        'run(job, options).executor',
        platform.workers === undefined
          ? `'workers' is not available on this runtime (${platform.name}); use 'in-process'`
          : "'workers' needs the job's module URL: pass the module's URL as the job, or options.jobModule",
      );
    }
    const storage = resolveStorage(o.storage, 'run(job, options).storage', platform);
    const graph = buildJobGraph(definition);
    // Loaded on demand: a page that never resumes from a savepoint does not carry its decoder.
    const resume = typeof o.resume === 'string' ? o.resume : await (await import('./savepoint-input.js')).resolveStartPoint(o.resume, hooks.readFile);
    const parallelism = o.parallelism ?? 1;
    const plan = buildExecutionPlan(graph, parallelism);
    const { mode, config } = resolveCheckpointing(o.checkpointing, graph.checkpointing);
    if (config.eventTimeIntervalMs !== undefined && !plan.eventTime) {
      throw new InvalidArgumentError('run(job, options).checkpointing.eventTimeIntervalMs', `needs event time, but job '${graph.jobName}' has no source with a watermark strategy (fromSource(source, { watermarks }))`);
    }
    const clock = o.clock ?? systemClock;
    const executor: TaskExecutor =
      hooks.createExecutor !== undefined && executorKind === 'in-process'
        ? hooks.createExecutor({ fingerprint: graph.fingerprint(), storage, clock, network: { ...o.network }, heartbeat: o.heartbeat })
      : executorKind === 'workers'
        ? new WorkerExecutor({
            platform: platform.workers!(o.createWorker), jobModuleUrl: moduleUrl!, fingerprint: graph.fingerprint(), defaultParallelism: parallelism,
            storage, clock, network: { ...o.network }, heartbeatIntervalMs: o.heartbeat.intervalMs, heartbeatTimeoutMs: o.heartbeat.timeoutMs,
            pool: o.workers,
          })
        : new (await import('../runtime/execution/in-process-executor.js')).InProcessExecutor({
            storage, clock, scheduleMacrotask: (cb) => platform.scheduleMacrotask(cb),
            batchSize: o.network.batchSize, flushIntervalMs: o.network.flushIntervalMs, channelCredits: o.network.credits,
          });
    const notDurable = o.storage === undefined ? platform.defaultStorageNotDurable : undefined;
    const master = new JobMaster({
      plan, mode, checkpoint: config, restart: o.restart ?? defaultRestartStrategy(config.intervalMs !== undefined || config.eventTimeIntervalMs !== undefined),
      resume, allowNonRestoredState: o.allowNonRestoredState, storage, clock, random: Math.random, executor, metricsIntervalMs: o.metricsIntervalMs,
      warnings: notDurable === undefined ? [] : [{ kind: 'storage-not-durable', message: `job '${graph.jobName}': ${notDurable}` }],
    });
    const handle = createJobHandle(master);
    const lock = platform.acquireJobLock;
    if (lock === undefined) {
      await master.start();
      return handle;
    }
    // One runner per job: a second one waits in standby and takes over when the first goes away.
    const lockName = `weir:job:${graph.jobName}`;
    const release = await lock(lockName, false);
    if (release !== undefined) {
      await startHolding(master, release);
      return handle;
    }
    void lock(lockName, true).then(async (acquired) => {
      if (acquired === undefined) return;
      if (master.getStatus() !== 'standby') return acquired(); // cancelled while waiting
      await startHolding(master, acquired).catch((error) => master.failToStart(error));
    });
    return handle;
  };
}

/** Starts the job and keeps the job's lock until it ends, however it ends. */
async function startHolding(master: JobMaster, release: () => void): Promise<void> {
  try {
    await master.start();
  } catch (error) {
    release();
    throw error;
  }
  master.done.then(release, release);
}

function moduleUrlOf(platform: RuntimePlatform, job: unknown): string {
  if (job instanceof URL) return job.href;
  if (typeof job === 'string') return platform.resolveModuleUrl(requireString('run(job)', job));
  throw new InvalidArgumentError('run(job)', `expected a job definition from job(…), or the URL of a job module, got ${describeValue(job)}`);
}

/** Makes `readTable()` for one runtime: the committed content of a job's `sinks.table`, readable with no job running. */
export function createReadTable(platform: RuntimePlatform) {
  return async function readTable<T = unknown>(jobName: string, table: string, options?: { storage?: StorageOption }): Promise<T[]> {
    requireString('readTable(jobName)', jobName);
    requireString('readTable(jobName, table)', table);
    const o = requireOptions<{ storage?: StorageOption }>('readTable(jobName, table, options)', options, ['storage']);
    const storage = resolveStorage(o.storage, 'readTable(jobName, table, options).storage', platform);
    // Loaded on demand: a page that only starts jobs never reads a table's records.
    const { readCommittedTable } = await import('../connectors/sinks/read-table.js');
    return readCommittedTable<T>(storage, jobName, table);
  };
}
