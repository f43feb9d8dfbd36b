import type { JobWarning } from '../control-messages.js';
import type { SubtaskMetrics } from '../execution/task-executor.js';
import type { CheckpointStats } from './checkpoint-stats.js';
import type { JobStatus } from './job-status.js';

export interface RestartEvent {
  /** 1 for the first restart. */
  readonly restart: number;
  readonly cause: unknown;
  readonly delayMs: number;
  /** The checkpoint the job resumes from; undefined when it starts over. */
  readonly restoredCheckpointId: number | undefined;
  /** Set when the latest checkpoint could not be restored (a corrupt or missing chunk) and the job fell back from it. */
  readonly fellBackFrom?: number;
}

/** Where a (re)deployed job's state came from. */
export interface RestoreEvent {
  /** undefined: the job started over. */
  readonly checkpointId: number | undefined;
  /** Newer checkpoints that could not be read and were passed over, with why. */
  readonly skipped: readonly { readonly checkpointId: number; readonly reason: string }[];
}

export interface MetricsEvent {
  readonly timestamp: number;
  /** Records read from the sources per second since the last event. */
  readonly recordsPerSecond: number;
  readonly subtasks: readonly SubtaskMetrics[];
}

export interface JobEvents {
  checkpoint: CheckpointStats;
  restart: RestartEvent;
  restore: RestoreEvent;
  status: JobStatus;
  metrics: MetricsEvent;
  warning: JobWarning;
}

export type JobEventName = keyof JobEvents;

/** A tiny typed emitter; a listener that throws is isolated from the job and from other listeners. */
export class JobEventEmitter {
  private readonly listeners = new Map<JobEventName, Set<(value: never) => void>>();

  on<E extends JobEventName>(event: E, listener: (value: JobEvents[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(listener as (value: never) => void);
    return () => void set.delete(listener as (value: never) => void);
  }

  emit<E extends JobEventName>(event: E, value: JobEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as (value: JobEvents[E]) => void)(value);
      } catch (error) {
        console.error(`weir: a '${event}' listener threw`, error);
      }
    }
  }
}
