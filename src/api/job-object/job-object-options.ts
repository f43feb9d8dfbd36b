import { describeValue, InvalidArgumentError, requireInteger, requireNumber, requireOptions, requireString } from '../../errors/index.js';
import { validateRunOptions, type RunOptions } from '../run-options.js';

/** `jobObject(job, options)`: run() options (storage is the object's own) and the object's own. */
export interface JobObjectOptions extends Omit<RunOptions, 'storage' | 'executor' | 'createWorker' | 'jobModule'> {
  /**
   * The name of this class's namespace in the Worker's `env`, through which the object reaches
   * its shard objects when `parallelism > 1`. Default: the env's only Durable Object namespace.
   */
  binding?: string;
  /** The largest `POST /logs/<name>` body, in bytes; a larger one is refused with 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Records one `POST /logs/<name>` may append; more are refused with 413. Default 10,000. */
  maxRecordsPerAppend?: number;
  /** The largest record, in bytes of its JSON; a larger one is refused with 400 naming it. Default 256 KiB, at most 1 MiB (a storage row). */
  maxRecordBytes?: number;
  /** How often the object's alarm fires to keep the job going (and to start it again after an eviction). Default 30,000. */
  alarmIntervalMs?: number;
}

export interface ResolvedJobObjectOptions {
  readonly run: RunOptions;
  readonly binding: string | undefined;
  readonly maxBodyBytes: number;
  readonly maxRecordsPerAppend: number;
  readonly maxRecordBytes: number;
  readonly alarmIntervalMs: number;
}

const OWN = ['binding', 'maxBodyBytes', 'maxRecordsPerAppend', 'maxRecordBytes', 'alarmIntervalMs'] as const;
const RUN = ['parallelism', 'checkpointing', 'restart', 'resume', 'allowNonRestoredState', 'network', 'metricsIntervalMs', 'clock', 'heartbeat'] as const;
export const MAX_RECORD_BYTES = 1 << 20;

/** Checks the options when the class is made (a Worker's module load), so a mistake fails the deploy, not a request. */
export function validateJobObjectOptions(options: unknown): ResolvedJobObjectOptions {
  const arg = 'jobObject(job, options)';
  const o = requireOptions<JobObjectOptions>(arg, options, [...OWN, ...RUN]);
  if ('storage' in o) throw new InvalidArgumentError(`${arg}.storage`, "a job object keeps its data in its own Durable Object storage");
  const run: Record<string, unknown> = {};
  for (const key of RUN) if (o[key] !== undefined) run[key] = o[key];
  validateRunOptions(run); // the same checks (and messages) as run() itself
  return {
    run: run as RunOptions,
    binding: o.binding === undefined ? undefined : requireString(`${arg}.binding`, o.binding),
    maxBodyBytes: o.maxBodyBytes === undefined ? 1 << 20 : requireInteger(`${arg}.maxBodyBytes`, o.maxBodyBytes, { min: 1 }),
    maxRecordsPerAppend: o.maxRecordsPerAppend === undefined ? 10_000 : requireInteger(`${arg}.maxRecordsPerAppend`, o.maxRecordsPerAppend, { min: 1 }),
    maxRecordBytes: o.maxRecordBytes === undefined ? 256 * 1024 : requireInteger(`${arg}.maxRecordBytes`, o.maxRecordBytes, { min: 1, max: MAX_RECORD_BYTES }),
    alarmIntervalMs: o.alarmIntervalMs === undefined ? 30_000 : requireNumber(`${arg}.alarmIntervalMs`, o.alarmIntervalMs, { min: 1 }),
  };
}

/** The namespace named `binding` (or the env's only one) in a Worker's env, with a clear error when it is missing or ambiguous. */
export function namespaceOf<N>(env: unknown, binding: string | undefined, isNamespace: (value: unknown) => value is N): { name: string; namespace: N } {
  const entries = typeof env === 'object' && env !== null ? Object.entries(env as Record<string, unknown>) : [];
  if (binding !== undefined) {
    const value = (env as Record<string, unknown> | undefined)?.[binding];
    if (!isNamespace(value)) {
      throw new InvalidArgumentError('jobObject(job, options).binding', `env.${binding} is not a Durable Object namespace (got ${describeValue(value)}); name the binding of this class in wrangler.toml`);
    }
    return { name: binding, namespace: value };
  }
  const namespaces = entries.filter(([, v]) => isNamespace(v));
  if (namespaces.length === 1) return { name: namespaces[0]![0], namespace: namespaces[0]![1] as N };
  throw new InvalidArgumentError(
    'jobObject(job, options).binding',
    namespaces.length === 0
      ? 'the Worker env has no Durable Object namespace; a job with parallelism > 1 reaches its shard objects through its own class binding'
      : `the Worker env has ${namespaces.length} Durable Object namespaces (${namespaces.map(([k]) => k).join(', ')}); say which is this class's with options.binding`,
  );
}
