import type { ChannelReceiver, ChannelSender } from '../../channel/index.js';
import type { ExecutionPlan, ExecutionVertex } from '../../graph/execution-plan.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import type { Clock } from '../clock.js';
import type { RestoreAssignment, TaskReport } from '../control-messages.js';
import type { TaskScheduler } from './task-scheduler.js';

export interface TaskSetup {
  readonly jobName: string;
  /** The runner's epoch and its attempt: together they name this attempt's chunks (storageLayout.attemptId). */
  readonly epoch: number;
  readonly attempt: number;
  readonly plan: ExecutionPlan;
  readonly vertex: ExecutionVertex;
  readonly subtaskIndex: number;
  /** In gate order: for each vertex input, one channel per upstream subtask. */
  readonly inputs: readonly ChannelReceiver[];
  /** Per vertex output edge, one sender per downstream subtask. */
  readonly outputs: readonly (readonly ChannelSender[])[];
  readonly restore: RestoreAssignment | undefined;
  readonly storage: CheckpointStorage;
  /** Commits into the job's storage are conditional on it (see JobMaster.fenceAttempt). */
  readonly commitFence: MetadataCondition | undefined;
  readonly clock: Clock;
  readonly scheduler: TaskScheduler;
  readonly report: (report: TaskReport) => void;
  readonly mode: 'exactly-once' | 'at-least-once';
  readonly batchSize: number;
  readonly flushIntervalMs: number;
}

export interface TaskMetrics {
  /** Records taken from the input channels. */
  recordsIn: number;
  /** Sources only: records read from the source. */
  recordsOut: number;
  /** Times the task found its outputs without credit (backpressured). */
  backpressured: number;
}

/** What a task is doing now, for the metrics: its event time, and the checkpoint it is aligning. */
export interface TaskProgress {
  /** The task's event time (its input watermark; a source's own). -Infinity before the first watermark. */
  readonly watermark: number;
  /** Set while barriers of a checkpoint arrived on some input channels but not all. */
  readonly aligning: { readonly checkpointId: number; readonly blockedChannels: number; readonly channels: number } | undefined;
  /** Messages waiting in the input channels. */
  readonly queued: number;
  /** Late records its windows dropped (no late-data side output), this attempt. */
  readonly lateRecordsDropped: number;
}
