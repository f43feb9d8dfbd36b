import { describeValue, InvalidArgumentError, requireFunction, requireInteger, requireOptions } from '../errors/index.js';
import type { CheckpointStats } from '../runtime/coordinator/checkpoint-stats.js';
import type { JobEventName, JobEvents } from '../runtime/coordinator/job-events.js';
import type { JobMaster, JobResult } from '../runtime/coordinator/job-master.js';
import type { JobStatus } from '../runtime/coordinator/job-status.js';
import { planView, type JobPlanView } from './plan-view.js';

const EVENTS: readonly JobEventName[] = ['checkpoint', 'restart', 'restore', 'status', 'metrics', 'warning'];

/** A running job, as `run()` returns it. */
export interface JobHandle {
  readonly jobName: string;
  status(): JobStatus;
  /** Resolves once bounded sources are exhausted and every sink committed (or the job is cancelled); rejects with the cause when the restart strategy gives up. */
  readonly done: Promise<JobResult>;
  checkpoints(): CheckpointStats[];
  triggerCheckpoint(): Promise<CheckpointStats>;
  cancel(): Promise<void>;
  /** Kills a worker (or the in-process task set) abruptly, as a crash would. */
  injectFailure(options?: { worker?: number }): void;
  on<E extends JobEventName>(event: E, listener: (value: JobEvents[E]) => void): () => void;
  /** The execution plan: operators, chains, parallelism and partitioners, as plain data. */
  plan(): JobPlanView;
  /**
   * A savepoint: a full checkpoint taken now, resolved once its output is committed, as one
   * self-contained archive that `run(job, { resume: { savepoint } })` restores in any runtime and
   * storage, at any parallelism (docs/savepoint-format.md).
   */
  savepoint(): Promise<Uint8Array>;
  /** Stop-with-savepoint: takes a savepoint, commits what it covers, stops the job (`done` resolves 'finished') and returns it. */
  stop(options?: { savepoint?: boolean }): Promise<Uint8Array>;
}

export function createJobHandle(master: JobMaster): JobHandle {
  return {
    jobName: master.jobName,
    status: () => master.getStatus(),
    done: master.done,
    checkpoints: () => master.checkpoints(),
    plan: () => planView(master.plan),
    triggerCheckpoint: () => master.triggerCheckpoint(),
    savepoint: () => master.savepoint(false),
    async stop(options) {
      const o = requireOptions<{ savepoint?: boolean }>('stop(options)', options, ['savepoint']);
      if (o.savepoint !== undefined && o.savepoint !== true) {
        throw new InvalidArgumentError('stop(options).savepoint', `must be true (a stop always takes a savepoint; cancel() stops without one), got ${describeValue(o.savepoint)}`);
      }
      return master.savepoint(true);
    },
    cancel: () => master.cancel(),
    injectFailure(options) {
      const o = requireOptions<{ worker?: number }>('injectFailure(options)', options, ['worker']);
      master.injectFailure(o.worker === undefined ? undefined : requireInteger('injectFailure(options).worker', o.worker, { min: 0 }));
    },
    on(event, listener) {
      if (!EVENTS.includes(event)) {
        throw new InvalidArgumentError('on(event)', `expected one of ${EVENTS.map((e) => `'${e}'`).join(', ')}, got ${describeValue(event)}`);
      }
      requireFunction('on(event, listener)', listener);
      return master.events.on(event, listener);
    },
  };
}
