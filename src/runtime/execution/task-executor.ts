import type { ExecutionPlan, SubtaskId } from '../../graph/execution-plan.js';
import type { MetadataCondition } from '../../state/checkpoint-storage.js';
import type { RestoreAssignment, TaskCheckpointOptions, TaskCommand, TaskReport } from '../control-messages.js';
import type { Task } from '../task/task.js';

export interface DeployRequest {
  readonly plan: ExecutionPlan;
  /** The runner's epoch: with the attempt, it keeps every attempt's chunks apart; an executor whose tasks live elsewhere sends it with every call. */
  readonly epoch: number;
  readonly attempt: number;
  /** By subtask key; empty for a fresh start. */
  readonly restore: ReadonlyMap<string, RestoreAssignment>;
  readonly mode: 'exactly-once' | 'at-least-once';
  /** How tasks take part in checkpoints beyond the mode: unaligned barriers, event-time stops of sources. */
  readonly checkpointOptions?: TaskCheckpointOptions;
  readonly report: (report: TaskReport) => void;
  /** The attempt's fence for commits (plain data: it crosses to workers). */
  readonly commitFence: MetadataCondition | undefined;
}

export interface SubtaskMetrics {
  readonly subtask: SubtaskId;
  readonly name: string;
  /** Cumulative counters, this attempt. */
  readonly recordsIn: number;
  readonly recordsOut: number;
  /** Times the subtask found its outputs without credit. */
  readonly backpressured: number;
  /** Its event time: -Infinity before the first watermark, Infinity once its input ended. */
  readonly watermark: number;
  /** Set while it aligns a checkpoint's barriers: how many input channels wait for the rest. */
  readonly aligning: { readonly checkpointId: number; readonly blockedChannels: number; readonly channels: number } | undefined;
  /** Messages waiting in its input channels. */
  readonly queued: number;
  /** Records its windows dropped as too late (no `sideOutputLateData`), this attempt. */
  readonly lateRecordsDropped: number;
}

/** A task's metrics as plain data (they cross from workers with the heartbeat). */
export function subtaskMetricsOf(task: Task): SubtaskMetrics {
  return { subtask: task.id, name: task.name, ...task.metrics, ...task.progress() };
}

/**
 * Where tasks run: in this thread, or in workers. The JobMaster talks to tasks only through
 * this, with plain messages, so it never assumes it shares a process with them.
 */
export interface TaskExecutor {
  deploy(request: DeployRequest): Promise<void>;
  send(subtask: SubtaskId, command: TaskCommand): Promise<void>;
  /** Stops every task of the current attempt; their late reports are ignored by attempt. */
  cancelAll(): Promise<void>;
  /** Kills tasks abruptly, as a crash would: one worker's, or all. Reports the failure. */
  kill(worker?: number): void;
  metrics(): SubtaskMetrics[];
  dispose(): Promise<void>;
}
