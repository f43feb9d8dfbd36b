import type { SubtaskId } from '../graph/execution-plan.js';
import type { KeyGroupRange } from '../graph/key-groups.js';

/**
 * The control plane: every message between the JobMaster and a task, as plain data with a
 * readable `kind`. In one thread they are function calls; across workers they cross comlink.
 */

/** Where one piece of a subtask's snapshot lives. */
export interface StateHandle {
  readonly key: string;
  readonly kind: 'keyed' | 'operator';
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
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
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
  | { kind: 'warning'; attempt: number; subtask: SubtaskId; warning: JobWarning };

/** JobMaster → task. */
export type TaskCommand =
  /** Sent to sources and to tasks whose input ended: they snapshot without waiting for barriers. */
  | { kind: 'trigger'; checkpointId: number; timestamp: number }
  | { kind: 'complete'; checkpointId: number }
  | { kind: 'abort'; checkpointId: number }
  | { kind: 'cancel' };

/** What a restored subtask reads, per operator uid. */
export interface OperatorRestore {
  readonly keyed: StateHandle[];
  /** Every subtask's operator-state handles, in old subtask order; entries are dealt round-robin. */
  readonly operator: StateHandle[];
}

export interface RestoreAssignment {
  readonly checkpointId: number;
  readonly operators: Record<string, OperatorRestore>;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, stack: error.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}
