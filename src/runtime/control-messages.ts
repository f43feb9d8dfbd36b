import type { SubtaskId } from '../graph/execution-plan.js';
import type { KeyGroupRange } from '../graph/key-groups.js';
import type { SerializedError } from '../errors/serialized-error.js';

export { serializeError, type SerializedError } from '../errors/serialized-error.js';

/**
 * The control plane: every message between the JobMaster and a task, as plain data with a
 * readable `kind`. In one thread they are function calls; across workers they cross comlink.
 */

/** Where one piece of a subtask's snapshot lives. */
export interface StateHandle {
  readonly key: string;
  /** `channel`: an unaligned checkpoint's in-flight records of the subtask's inputs (held under its chain's head operator). */
  readonly kind: 'keyed' | 'operator' | 'channel';
  /**
   * Keyed handles: a span's full state, a delta over the span's chunks before it (its chain), or
   * timers (rewritten each time).
   */
  readonly part?: 'state' | 'delta' | 'timers';
  /** Keyed state and deltas: the checkpoint that wrote the chunk (a chain applies in this order). */
  readonly seq?: number;
  readonly operatorUid: string;
  readonly subtaskIndex: number;
  readonly bytes: number;
  readonly checksum: number;
  /** Keyed handles only: the key groups the chunk holds. */
  readonly keyGroupRange?: KeyGroupRange;
  /** Operator handles of a named list (getOperatorListState, getUnionListState): its name; absent for the operator's own list (splits, pending commits). */
  readonly stateName?: string;
  /** Named operator lists: how a restore deals the entries out (operator-state-store.ts). */
  readonly distribution?: 'split' | 'union';
}

export interface SubtaskCheckpointStats {
  readonly subtask: SubtaskId;
  readonly taskName: string;
  readonly ackTimestamp: number;
  /** When the first barrier of the checkpoint reached the subtask (a source: when it was triggered). */
  readonly alignmentStartTimestamp: number;
  /** When the subtask began its snapshot (the barriers were aligned); the barrier goes on downstream after its synchronous part, at snapshotTimestamp + syncDurationMs. */
  readonly snapshotTimestamp: number;
  readonly alignmentDurationMs: number;
  readonly syncDurationMs: number;
  readonly asyncDurationMs: number;
  /** Bytes of every chunk the snapshot references. */
  readonly stateSize: number;
  /** Bytes this snapshot wrote; the rest it reused from a completed checkpoint. */
  readonly persistedSize: number;
  /** Set when the subtask took the checkpoint unaligned: its barrier overtook the records in flight. */
  readonly unaligned?: boolean;
  /** Unaligned: bytes and records of the channel state it stored (the records in flight across the cut). */
  readonly channelStateSize?: number;
  readonly channelStateRecords?: number;
}

/**
 * Something a running job's user should know although nothing failed: shown by the 'warning'
 * event. Plain data: it crosses from workers.
 */
export interface JobWarning {
  readonly kind:
    /** The checkpoints live in memory only (a browser without IndexedDB): a reload loses them. */
    | 'storage-not-durable'
    /** An unbounded job with an exactly-once sink and no checkpoint interval commits only at triggered checkpoints. */
    | 'no-periodic-checkpoints'
    /** A checkpoint completed but a sink could not commit it yet (a full quota); it commits with a later one. */
    | 'sink-commit-deferred';
  readonly message: string;
  readonly checkpointId?: number;
  readonly subtask?: SubtaskId;
}

/** Task → JobMaster. `attempt` lets the master ignore reports of tasks it already replaced. */
export type TaskReport =
  | { kind: 'ack'; attempt: number; subtask: SubtaskId; checkpointId: number; handles: StateHandle[]; stats: SubtaskCheckpointStats }
  | { kind: 'decline'; attempt: number; subtask: SubtaskId; checkpointId: number; reason: string; storageFailure: boolean }
  /** Every input ended and everything was emitted; the task now waits for the final checkpoint. */
  | { kind: 'finished'; attempt: number; subtask: SubtaskId }
  /**
   * `unreadableCheckpoint`: the task failed reading the restored checkpoint's state (a chunk
   * missing, or failing its checksum): the proof a fallback needs to drop that checkpoint.
   */
  | { kind: 'failed'; attempt: number; subtask: SubtaskId; error: SerializedError; cause: unknown; unreadableCheckpoint?: number }
  | { kind: 'warning'; attempt: number; subtask: SubtaskId; warning: JobWarning }
  /** Event-time checkpoints: a source subtask stopped where its watermark reached `position`, a new multiple of the interval. */
  | { kind: 'event-time'; attempt: number; subtask: SubtaskId; position: number };

/** JobMaster → task. */
export type TaskCommand =
  /** Sent to sources and to tasks whose input ended: they snapshot without waiting for barriers. */
  | { kind: 'trigger'; checkpointId: number; timestamp: number; savepoint?: boolean }
  | { kind: 'complete'; checkpointId: number }
  | { kind: 'abort'; checkpointId: number }
  | { kind: 'cancel' };

/** What a task needs to know of the job's checkpointing beyond its mode (plain data: it crosses to workers). */
export interface TaskCheckpointOptions {
  /** Unaligned checkpoints (FLIP-76): alignedTimeoutMs 0 = unaligned from the first barrier; n > 0 = aligned for n ms after the trigger, then unaligned. */
  readonly unaligned?: { readonly alignedTimeoutMs: number };
  /** Event-time checkpoints: a source stops where its watermark reaches a new multiple of this, until the checkpoint there is triggered. */
  readonly eventTimeIntervalMs?: number;
}

/** The part of the checkpoint configuration tasks carry out. */
export function taskCheckpointOptions(config: TaskCheckpointOptions): TaskCheckpointOptions {
  return {
    ...(config.unaligned !== undefined ? { unaligned: config.unaligned } : {}),
    ...(config.eventTimeIntervalMs !== undefined ? { eventTimeIntervalMs: config.eventTimeIntervalMs } : {}),
  };
}

/** What a restored subtask reads, per operator uid. */
export interface OperatorRestore {
  readonly keyed: StateHandle[];
  /** Every subtask's operator-state handles, in old subtask order; entries are dealt round-robin. */
  readonly operator: StateHandle[];
  /** The channel state this subtask replays before new input (unaligned checkpoints; same parallelism only). */
  readonly channel?: StateHandle[];
}

export interface RestoreAssignment {
  readonly checkpointId: number;
  /** An event-time checkpoint's position: sources stop only at later multiples. */
  readonly eventTimePosition?: number;
  readonly operators: Record<string, OperatorRestore>;
}
