import {
  describeValue, InvalidArgumentError, requireFunction, requireInteger, requireNumber, requireOneOf, requireOptions, requirePositiveInteger, requireString,
} from '../errors/index.js';

function requireBoolean(argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(argument, `expected true or false, got ${describeValue(value)}`);
  return value;
}
import { MAX_MAX_PARALLELISM } from '../graph/key-groups.js';
import type { CheckpointingConfig } from '../graph/job-graph.js';
import type { StorageOption } from '../platform/resolve-storage.js';
import type { Clock } from '../runtime/clock.js';
import type { CheckpointConfig } from '../runtime/coordinator/checkpoint-coordinator.js';
import type { RestartStrategy } from '../runtime/coordinator/restart-strategy.js';
import { poolOf, type WorkerPool } from '../runtime/execution/worker-pool.js';

export interface CheckpointingOptions {
  /** Periodic checkpoints, this far apart. Required unless `eventTimeIntervalMs` is given (the two exclude each other). */
  intervalMs?: number;
  mode?: 'exactly-once' | 'at-least-once';
  /** A checkpoint not completed in this time is aborted. Default 60 000. */
  timeoutMs?: number;
  /** The least time between the end of one checkpoint and the start of the next. Default 0. */
  minPauseMs?: number;
  /** Completed checkpoints kept (the job falls back to an older one when the latest is unreadable). Default 2. */
  retained?: number;
  /** Checkpoints that may fail in a row before the job fails. Default 5. */
  tolerableFailures?: number;
  /**
   * Unaligned checkpoints (Flink's FLIP-76): the first barrier overtakes the records queued in
   * the tasks' buffers, which are stored with the checkpoint as channel state and replayed first
   * on restore, so a checkpoint completes quickly under backpressure. Exactly-once only. Default false.
   */
  unaligned?: boolean;
  /** With `unaligned`: a checkpoint starts aligned and switches to unaligned once it is this old (from its trigger) and not yet aligned. Default 0: unaligned at once. */
  alignedCheckpointTimeoutMs?: number;
  /**
   * A checkpoint each time the sources' combined watermark crosses a multiple of this, instead of
   * every `intervalMs`: replays of the same input take their checkpoints at the same event-time
   * positions. Needs a watermark strategy on the sources.
   */
  eventTimeIntervalMs?: number;
}

export type ResumeOption = 'latest' | 'none' | { savepoint: Uint8Array | URL | string } | { checkpoint: number };

export interface NetworkOptions {
  /** Records per batch on a channel. Default 1024. */
  batchSize?: number;
  /** A partly filled batch is sent after this long at the latest. Default 10. */
  flushIntervalMs?: number;
  /** Batches a receiver accepts ahead of processing. Default 4. */
  credits?: number;
  /** Between workers, pack batches of flat records into transferred binary buffers. Default true. */
  binary?: boolean;
}

export interface RunOptions {
  parallelism?: number;
  checkpointing?: CheckpointingOptions | false;
  storage?: StorageOption;
  restart?: RestartStrategy;
  /**
   * Where to start: the latest checkpoint in `storage` (default), nothing, a savepoint (its bytes,
   * a URL to fetch, or a file path in Node and Deno), or a retained checkpoint chosen by id.
   */
  resume?: ResumeOption;
  executor?: 'workers' | 'in-process';
  /** Restore even though the checkpoint holds state of operators the job no longer has (that state is dropped). */
  allowNonRestoredState?: boolean;
  network?: NetworkOptions;
  /** How often the 'metrics' event fires. Default 1000. */
  metricsIntervalMs?: number;
  /** Processing time for the runtime (tests inject a manual clock). */
  clock?: Clock;
  /** Starts a worker the app's own way (instead of the bundled `weir-worker.js`). */
  createWorker?: () => unknown;
  /**
   * Warm workers from `createWorkerPool()`: the job takes idle ones instead of starting its own and
   * gives them back when it ends (finished, cancelled); an attempt that fails over terminates its
   * workers. A job module's top-level state lives on in a pooled worker (the module stays loaded).
   */
  workers?: WorkerPool;
  /** The module URL of a job definition passed directly, so that it can run in workers. */
  jobModule?: URL | string;
  /** Workers: how often the runner asks each worker for a heartbeat (and its metrics), and how long silence means death. Default 1000 / 10 000. */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
}

const RUN_OPTION_KEYS = ['parallelism', 'checkpointing', 'storage', 'restart', 'resume', 'executor', 'allowNonRestoredState', 'network', 'metricsIntervalMs', 'clock', 'createWorker', 'workers', 'jobModule', 'heartbeat'];

export interface ResolvedRunOptions {
  readonly parallelism: number | undefined;
  readonly checkpointing: CheckpointingOptions | false | undefined;
  readonly restart: RestartStrategy | undefined;
  readonly resume: ResumeOption;
  readonly executor: 'workers' | 'in-process' | undefined;
  readonly allowNonRestoredState: boolean;
  readonly network: Required<NetworkOptions>;
  readonly metricsIntervalMs: number;
  readonly clock: Clock | undefined;
  readonly storage: StorageOption | undefined;
  readonly createWorker: (() => unknown) | undefined;
  readonly workers: WorkerPool | undefined;
  readonly jobModule: URL | string | undefined;
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number };
}

export function validateRunOptions(options: unknown): ResolvedRunOptions {
  const o = requireOptions<RunOptions>('run(job, options)', options, RUN_OPTION_KEYS);
  const arg = (k: string) => `run(job, options).${k}`;
  const network = requireOptions<NetworkOptions>(arg('network'), o.network, ['batchSize', 'flushIntervalMs', 'credits', 'binary']);
  if (o.clock !== undefined && (typeof o.clock !== 'object' || o.clock === null || typeof (o.clock as Clock).now !== 'function')) {
    throw new InvalidArgumentError(arg('clock'), `expected a clock with now(), setTimeout() and clearTimeout(), got ${describeValue(o.clock)}`);
  }
  if (o.allowNonRestoredState !== undefined) requireBoolean(arg('allowNonRestoredState'), o.allowNonRestoredState);
  return {
    parallelism: o.parallelism === undefined ? undefined : requirePositiveInteger(arg('parallelism'), o.parallelism, MAX_MAX_PARALLELISM),
    checkpointing: validateCheckpointing(o.checkpointing),
    restart: o.restart === undefined ? undefined : validateRestart(o.restart),
    resume: validateResume(o.resume),
    executor: o.executor === undefined ? undefined : requireOneOf(arg('executor'), o.executor, ['workers', 'in-process'] as const),
    allowNonRestoredState: o.allowNonRestoredState ?? false,
    network: {
      batchSize: network.batchSize === undefined ? 1024 : requirePositiveInteger(arg('network.batchSize'), network.batchSize, 1 << 20),
      flushIntervalMs: network.flushIntervalMs === undefined ? 10 : requireNumber(arg('network.flushIntervalMs'), network.flushIntervalMs, { min: 0 }),
      credits: network.credits === undefined ? 4 : requirePositiveInteger(arg('network.credits'), network.credits, 1024),
      binary: network.binary === undefined ? true : requireBoolean(arg('network.binary'), network.binary),
    },
    createWorker: o.createWorker === undefined ? undefined : requireFunction<() => unknown>(arg('createWorker'), o.createWorker),
    workers: o.workers === undefined ? undefined : requirePool(arg('workers'), o.workers),
    jobModule: o.jobModule === undefined ? undefined : o.jobModule instanceof URL ? o.jobModule : requireString(arg('jobModule'), o.jobModule),
    heartbeat: validateHeartbeat(o.heartbeat),
    metricsIntervalMs: o.metricsIntervalMs === undefined ? 1000 : requireNumber(arg('metricsIntervalMs'), o.metricsIntervalMs, { min: 1 }),
    clock: o.clock,
    storage: o.storage,
  };
}

function requirePool(argument: string, value: unknown): WorkerPool {
  if (poolOf(value) === undefined) throw new InvalidArgumentError(argument, `expected a pool from createWorkerPool(), got ${describeValue(value)}`);
  return value as WorkerPool;
}

function validateResume(value: unknown): ResumeOption {
  const arg = 'run(job, options).resume';
  if (value === undefined) return 'latest';
  if (typeof value === 'string') return requireOneOf(arg, value, ['latest', 'none'] as const);
  const r = requireOptions<{ savepoint: unknown; checkpoint: unknown }>(arg, value, ['savepoint', 'checkpoint']);
  if ((r.savepoint === undefined) === (r.checkpoint === undefined)) {
    throw new InvalidArgumentError(arg, `expected 'latest', 'none', { savepoint } or { checkpoint }, got ${describeValue(value)}`);
  }
  if (r.checkpoint !== undefined) return { checkpoint: requirePositiveInteger(`${arg}.checkpoint`, r.checkpoint) };
  const s = r.savepoint;
  if (s instanceof Uint8Array || s instanceof URL) return { savepoint: s };
  if (s instanceof ArrayBuffer) return { savepoint: new Uint8Array(s) };
  if (typeof s !== 'string') throw new InvalidArgumentError(`${arg}.savepoint`, `expected the savepoint's bytes (a Uint8Array), a URL or a file path, got ${describeValue(s)}`);
  return { savepoint: requireString(`${arg}.savepoint`, s) };
}

function validateHeartbeat(value: unknown): ResolvedRunOptions['heartbeat'] {
  const h = requireOptions<{ intervalMs?: number; timeoutMs?: number }>('run(job, options).heartbeat', value, ['intervalMs', 'timeoutMs']);
  const intervalMs = h.intervalMs === undefined ? 1000 : requireNumber('run(job, options).heartbeat.intervalMs', h.intervalMs, { min: 1 });
  const timeoutMs = h.timeoutMs === undefined ? Math.max(10_000, 3 * intervalMs) : requireNumber('run(job, options).heartbeat.timeoutMs', h.timeoutMs, { min: intervalMs, minExclusive: true });
  return { intervalMs, timeoutMs };
}

function validateCheckpointing(value: unknown): CheckpointingOptions | false | undefined {
  if (value === undefined || value === false) return value;
  const arg = (k: string) => `run(job, options).checkpointing.${k}`;
  const c = requireOptions<CheckpointingOptions>('run(job, options).checkpointing', value, [
    'intervalMs', 'mode', 'timeoutMs', 'minPauseMs', 'retained', 'tolerableFailures', 'unaligned', 'alignedCheckpointTimeoutMs', 'eventTimeIntervalMs',
  ]);
  if (c.intervalMs === undefined && c.eventTimeIntervalMs === undefined) {
    throw new InvalidArgumentError(arg('intervalMs'), 'is required, or eventTimeIntervalMs (or pass checkpointing: false)');
  }
  if (c.intervalMs !== undefined && c.eventTimeIntervalMs !== undefined) {
    throw new InvalidArgumentError(arg('eventTimeIntervalMs'), 'excludes intervalMs: checkpoints taken at processing-time intervals would not fall at the same event-time positions on a replay; give one of the two');
  }
  const mode = c.mode === undefined ? 'exactly-once' : requireOneOf(arg('mode'), c.mode, ['exactly-once', 'at-least-once'] as const);
  const timeoutMs = c.timeoutMs === undefined ? undefined : requireNumber(arg('timeoutMs'), c.timeoutMs, { min: 0, minExclusive: true });
  const unaligned = c.unaligned === undefined ? false : requireBoolean(arg('unaligned'), c.unaligned);
  if (unaligned && mode !== 'exactly-once') {
    throw new InvalidArgumentError(arg('unaligned'), "needs mode 'exactly-once': at-least-once never blocks a channel, so there is nothing for a barrier to overtake");
  }
  let alignedCheckpointTimeoutMs: number | undefined;
  if (c.alignedCheckpointTimeoutMs !== undefined) {
    if (!unaligned) throw new InvalidArgumentError(arg('alignedCheckpointTimeoutMs'), 'applies only with unaligned: true (it is when an aligned checkpoint turns unaligned)');
    alignedCheckpointTimeoutMs = requireNumber(arg('alignedCheckpointTimeoutMs'), c.alignedCheckpointTimeoutMs, { min: 0 });
    const limit = timeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS;
    if (alignedCheckpointTimeoutMs >= limit) {
      throw new InvalidArgumentError(arg('alignedCheckpointTimeoutMs'), `must be less than the checkpoint timeout (${limit} ms), got ${alignedCheckpointTimeoutMs}: the checkpoint would expire before it turned unaligned`);
    }
  }
  return {
    ...(c.intervalMs !== undefined ? { intervalMs: requireNumber(arg('intervalMs'), c.intervalMs, { min: 0, minExclusive: true }) } : {}),
    ...(c.eventTimeIntervalMs !== undefined ? { eventTimeIntervalMs: requireNumber(arg('eventTimeIntervalMs'), c.eventTimeIntervalMs, { min: 0, minExclusive: true }) } : {}),
    mode,
    ...(unaligned ? { unaligned, alignedCheckpointTimeoutMs: alignedCheckpointTimeoutMs ?? 0 } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(c.minPauseMs !== undefined ? { minPauseMs: requireNumber(arg('minPauseMs'), c.minPauseMs, { min: 0 }) } : {}),
    ...(c.retained !== undefined ? { retained: requirePositiveInteger(arg('retained'), c.retained) } : {}),
    ...(c.tolerableFailures !== undefined ? { tolerableFailures: requireInteger(arg('tolerableFailures'), c.tolerableFailures, { min: 0 }) } : {}),
  };
}

function validateRestart(value: unknown): RestartStrategy {
  const base = requireOptions<{ strategy: string }>('run(job, options).restart', value, ['strategy', 'attempts', 'delayMs', 'initialDelayMs', 'maxDelayMs', 'resetBackoffThresholdMs']);
  const strategy = requireOneOf('run(job, options).restart.strategy', base.strategy, ['none', 'fixed-delay', 'exponential-delay']);
  const arg = (k: string) => `run(job, options).restart.${k}`;
  const r = value as Record<string, unknown>;
  const allowed = { none: ['strategy'], 'fixed-delay': ['strategy', 'attempts', 'delayMs'], 'exponential-delay': ['strategy', 'initialDelayMs', 'maxDelayMs', 'attempts', 'resetBackoffThresholdMs'] }[strategy];
  for (const key of Object.keys(value as object)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(`run(job, options).restart.${key}`, `does not apply to the '${strategy}' strategy, which takes ${allowed.join(', ')}`);
    }
  }
  switch (strategy) {
    case 'none':
      return { strategy };
    case 'fixed-delay':
      return { strategy, attempts: requireInteger(arg('attempts'), r.attempts, { min: 0 }), delayMs: requireNumber(arg('delayMs'), r.delayMs, { min: 0 }) };
    case 'exponential-delay': {
      const initialDelayMs = requireNumber(arg('initialDelayMs'), r.initialDelayMs, { min: 0 });
      const maxDelayMs = requireNumber(arg('maxDelayMs'), r.maxDelayMs, { min: initialDelayMs });
      return {
        strategy, initialDelayMs, maxDelayMs,
        ...(r.attempts !== undefined ? { attempts: requireInteger(arg('attempts'), r.attempts, { min: 0 }) } : {}),
        ...(r.resetBackoffThresholdMs !== undefined ? { resetBackoffThresholdMs: requireNumber(arg('resetBackoffThresholdMs'), r.resetBackoffThresholdMs, { min: 0 }) } : {}),
      };
    }
  }
}

/** The run's checkpointing wins over the job's `enableCheckpointing`; `false` turns it off. */
export function resolveCheckpointing(run: CheckpointingOptions | false | undefined, job: CheckpointingConfig | undefined): { mode: 'exactly-once' | 'at-least-once'; config: CheckpointConfig } {
  const chosen = run === false ? undefined : (run ?? job);
  return {
    mode: chosen?.mode ?? 'exactly-once',
    config: {
      intervalMs: chosen?.intervalMs,
      timeoutMs: (run || undefined)?.timeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS,
      minPauseMs: (run || undefined)?.minPauseMs ?? 0,
      tolerableFailures: (run || undefined)?.tolerableFailures ?? 5,
      retained: (run || undefined)?.retained ?? 2,
      ...((run || undefined)?.unaligned === true ? { unaligned: { alignedTimeoutMs: (run as CheckpointingOptions).alignedCheckpointTimeoutMs ?? 0 } } : {}),
      ...((run || undefined)?.eventTimeIntervalMs !== undefined ? { eventTimeIntervalMs: (run as CheckpointingOptions).eventTimeIntervalMs } : {}),
    },
  };
}

const DEFAULT_CHECKPOINT_TIMEOUT_MS = 60_000;

/** Flink's defaults: with checkpointing, exponential backoff without end; without, no restart. */
export function defaultRestartStrategy(checkpointing: boolean): RestartStrategy {
  return checkpointing ? { strategy: 'exponential-delay', initialDelayMs: 1000, maxDelayMs: 60_000 } : { strategy: 'none' };
}
