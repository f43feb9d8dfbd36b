import type { SubtaskId } from '../../graph/execution-plan.js';
import type { CheckpointStorage, MetadataCondition, StorageDescriptor } from '../../state/checkpoint-storage.js';
import type { RestoreAssignment, TaskCheckpointOptions, SerializedError, TaskCommand, TaskReport } from '../control-messages.js';
import type { SubtaskMetrics } from '../execution/task-executor.js';

/**
 * The control plane between the runner and a worker, carried by comlink. Everything here
 * is plain data (plus the transferred ports and the runner's callback proxy), so the same
 * protocol can later cross a Durable Object RPC.
 */
export interface WorkerDeployRequest {
  readonly jobModuleUrl: string;
  /** The runner's graph fingerprint: the worker must build the same graph. */
  readonly fingerprint: string;
  readonly defaultParallelism: number;
  readonly workerIndex: number;
  readonly workerCount: number;
  readonly epoch: number;
  readonly attempt: number;
  readonly mode: 'exactly-once' | 'at-least-once';
  /** How tasks take part in checkpoints beyond the mode: unaligned barriers, event-time stops of sources. */
  readonly checkpointOptions?: TaskCheckpointOptions;
  /** By subtask key, for this worker's subtasks only. */
  readonly restore: readonly [string, RestoreAssignment][];
  readonly network: { readonly batchSize: number; readonly flushIntervalMs: number; readonly credits: number; readonly binary: boolean };
  readonly commitFence: MetadataCondition | undefined;
  /** Set when the worker opens the job's storage itself (IndexedDB, files); else it uses the runner's through the callbacks. */
  readonly storage: StorageDescriptor | undefined;
  /** One port per other worker, by that worker's index. */
  readonly peers: Readonly<Record<number, MessagePort>>;
}

/** What a worker may call on the runner. */
export interface RunnerCallbacks {
  report(report: TaskReport): void;
  /** The worker failed outside any task (an unhandled rejection, a failed deploy). */
  workerFailed(workerIndex: number, error: SerializedError): void;
  /** The runner's checkpoint storage, for storages that live in the runner's realm ('memory', custom). */
  readonly storage: CheckpointStorage;
}

/** What the runner may call on a worker. */
export interface WorkerApi {
  deploy(request: WorkerDeployRequest, callbacks: RunnerCallbacks): Promise<void>;
  command(subtask: SubtaskId, command: TaskCommand): Promise<void>;
  /** Answers while the worker's event loop turns; carries the tasks' counters. */
  heartbeat(): SubtaskMetrics[];
  /** Stops every task and closes the ports, reporting nothing: the worker then waits for its next deploy (a pool's). */
  stop(): void;
}
