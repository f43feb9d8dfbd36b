// The control plane between a job's coordinator object and its shard objects (Durable Objects),
// as plain data: every call names the coordinator's epoch, and all but storage calls the attempt
// they belong to, so an object refuses what an older coordinator or attempt sends.
import type { MetadataCondition } from '../../state/checkpoint-storage.js';
import type { Reply, StorageCall } from '../../state/backends/remote-storage.js';
import type { SubtaskId } from '../../graph/execution-plan.js';
import type { RestoreAssignment, SerializedError, TaskCheckpointOptions, TaskCommand, TaskReport } from '../control-messages.js';
import type { SubtaskMetrics } from './task-executor.js';

export type { Reply } from '../../state/backends/remote-storage.js';

export interface ShardDeployment {
  readonly epoch: number;
  readonly attempt: number;
  /** Unguessable, per attempt: a shard accepts a peer's connection only with it. */
  readonly token: string;
  readonly shards: number;
  readonly fingerprint: string;
  readonly mode: 'exactly-once' | 'at-least-once';
  /** How tasks take part in checkpoints beyond the mode: unaligned barriers, event-time stops of sources. */
  readonly checkpointOptions?: TaskCheckpointOptions;
  readonly restore: readonly [string, RestoreAssignment][];
  readonly network: { readonly batchSize: number; readonly flushIntervalMs: number; readonly credits: number; readonly binary: boolean };
  readonly commitFence: MetadataCondition | undefined;
  readonly heartbeatTimeoutMs: number;
}

/** Coordinator → shard. Deploying takes three rounds: every shard prepared, then connected to every other, then started. */
export type ShardCall =
  | { readonly kind: 'prepare'; readonly deployment: ShardDeployment }
  /** Opens the WebSocket to every higher-numbered shard; lower-numbered ones connect to this one. */
  | { readonly kind: 'connect'; readonly epoch: number; readonly attempt: number }
  | { readonly kind: 'start'; readonly epoch: number; readonly attempt: number }
  | { readonly kind: 'command'; readonly epoch: number; readonly attempt: number; readonly subtask: SubtaskId; readonly command: TaskCommand }
  | { readonly kind: 'heartbeat'; readonly epoch: number; readonly attempt: number }
  | { readonly kind: 'cancel'; readonly epoch: number; readonly attempt: number }
  /** Resets the shard object (`ctx.abort()`), as a crash would: injectFailure. */
  | { readonly kind: 'abort'; readonly epoch: number; readonly attempt: number }
  | { readonly kind: 'storage'; readonly epoch: number; readonly call: StorageCall }
  /** Records were appended to a log in the coordinator's storage: its readers in the shard look again now rather than at their next re-check. */
  | { readonly kind: 'appended'; readonly epoch: number; readonly log: string; readonly partition: number; readonly next: number };

/** Shard → coordinator. */
export type CoordinatorCall =
  /** Task reports, in the order the tasks made them. */
  | { readonly kind: 'report'; readonly epoch: number; readonly attempt: number; readonly shard: number; readonly reports: readonly TaskReport[] }
  /** The shard lost its deployment outside any task (a peer's WebSocket closed, a failed start). */
  | { readonly kind: 'lost'; readonly epoch: number; readonly attempt: number; readonly shard: number; readonly error: SerializedError }
  | { readonly kind: 'storage'; readonly epoch: number; readonly call: StorageCall };

export type HeartbeatReply = Reply<SubtaskMetrics[]>;
