import type { CheckpointStorage, MetadataCondition } from '../state/checkpoint-storage.js';
import type { OperatorStateAccess } from '../state/operator-state-store.js';

// The sink contract, in the shape of Flink's Sink V2: a writer per subtask stages what it
// receives and turns it into committables at each checkpoint barrier; the committables are
// stored in the checkpoint; once the checkpoint is complete a committer commits them,
// idempotently. A fallback to an older checkpoint (or a start after a crash) first asks the
// sink to take back every effect of the transactions after the checkpoint it restores.
//
// Checkpoint n's committables are committed after checkpoint n completes, or with a later one
// (n aborted, or its commit deferred): what a writer received before barrier n belongs to every
// checkpoint from n on. A committable is never dropped because its checkpoint was aborted.

/**
 * What a writer and a committer know of where they run. Plain data, except the storage and the
 * operator state (`getOperatorListState`, `getUnionListState`: lists restored before the writer
 * is created and stored at every checkpoint after `prepareCommit`).
 */
export interface SinkContext extends OperatorStateAccess {
  readonly jobName: string;
  /** The sink operator's uid: stable across runs, so it may name what the sink stores or sends. */
  readonly sinkUid: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly storage: CheckpointStorage;
  /**
   * Unique to this attempt of this runner: staged data named with it is never overwritten by
   * another attempt's (a killed attempt's writes may still land after its successor started).
   */
  readonly attemptId: string;
  /**
   * The attempt's fence: a sink that commits into the job's storage makes its writes
   * conditional on it, so an attempt that was stopped (a failover, a newer runner) commits nothing.
   */
  readonly fence?: MetadataCondition;
  /** Resolves after `ms` on the job's clock (a retry's backoff), or at once when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Where a sink's recovery runs: in the control plane, while no task of the job runs. */
export interface SinkRecoveryContext {
  readonly jobName: string;
  readonly sinkUid: string;
  readonly storage: CheckpointStorage;
  /** The runner's fence: every write and delete of a recovery must carry it. */
  readonly fence: MetadataCondition;
  /** This runner's current attempt (as SinkContext's): names what a recovery or post-commit step writes. */
  readonly attemptId: string;
  /** Set when the job falls back from this (completed, now unreadable) checkpoint to an older one. */
  readonly fellBackFrom?: number;
}

/**
 * Stages records and prepares committables at each barrier (Flink's SinkWriter and its
 * prepareCommit). Runs in the task's mailbox: calls never overlap.
 */
export interface SinkWriter<T, C = unknown> {
  /** Must not block. A throw fails the record as a user function's would (the job's error policy). */
  write(value: T): void;
  /**
   * `write` for a record its producer updates in place (Sink.acceptsUpdatedInPlace), given what
   * this method returned for the same record last time (undefined at first, and whenever the
   * producer replaced the record): a writer may return a handle to where it keeps the record and
   * so skip finding its key at the next update. Must behave as `write`. Absent: `write` is used.
   */
  writeUpdated?(value: T, cell: unknown): unknown;
  /**
   * At the barrier of checkpoint `checkpointId`: must close what was written since the last call
   * into one committable (plain data; undefined when there is nothing to commit), synchronously
   * (the next record may arrive right after). The committable is stored in the checkpoint, so it
   * should refer to staged data rather than hold it.
   */
  prepareCommit(checkpointId: number): C | undefined;
  /**
   * Must resolve only once everything the committables prepared so far refer to is stored: the
   * subtask acks its checkpoint only then. A rejection fails that checkpoint (not the job); the
   * writer must then store the data again at its next flush, since those committables stay pending.
   * Absent: committables need nothing stored.
   */
  flush?(): Promise<void>;
  /**
   * The task stops (finished, cancelled, failed or killed): release what the writer holds.
   * Must not flush or commit anything: a crashed worker never calls it.
   */
  close?(): void;
}

/**
 * Commits what writers prepared, once their checkpoint completed (Flink's Committer). Runs in
 * the same subtask as a writer; after a restore at another parallelism a subtask also commits
 * committables that another subtask's writer prepared.
 */
export interface Committer<C> {
  /**
   * Must be idempotent: after a restore it is called again with every committable the restored
   * checkpoint recorded, some of which may have been committed already, by this attempt or by a
   * killed one whose commit landed late. Committables come in checkpoint order.
   * Must reject with an error whose `retryable` is true (a WeirError 'CHECKPOINT_STORAGE_FAILED':
   * quota, disk full, a server that is down) when committing later may succeed: the committables
   * then stay pending and are committed again at the next completed checkpoint, and the job
   * goes on. Any other rejection fails the attempt (the restart strategy decides).
   */
  commit(committables: readonly C[]): Promise<void>;
}

export interface Sink<T, C = unknown> {
  readonly kind: 'weir.sink';
  readonly name: string;
  /** 'exactly-once' needs a committer (and checkpoints to commit at). */
  readonly guarantee: 'exactly-once' | 'at-least-once';
  createWriter(ctx: SinkContext): SinkWriter<T, C>;
  /** Absent: nothing is committed (a sink that writes as records arrive, at least once). */
  createCommitter?(ctx: SinkContext): Committer<C>;
  /**
   * Runs before every deploy (a start, a restore, a fallback) with the checkpoint the job
   * resumes from (0: none).
   * Must take back every effect of the transactions after `checkpointId`: abort what was staged
   * for them (no restored checkpoint records it, so nothing will commit it) and roll back what
   * was committed for them (after a fallback the replay produces that output again).
   * Must be idempotent (a crash may repeat it) and make every write and delete conditional on
   * ctx.fence, so that a superseded runner's recovery changes nothing.
   * A sink that cannot take committed output back (an HTTP endpoint) says so in its guarantee.
   */
  rollBack?(ctx: SinkRecoveryContext, checkpointId: number): Promise<void>;
  /**
   * Flink's post-commit topology, in small: runs in the control plane after a checkpoint whose
   * transactions every subtask committed, one call at a time. `settledCheckpointId` is the
   * oldest checkpoint the job retains: no restore can take back a transaction up to it (only a
   * fresh start, which clears the job's output). What a sink does there (compact what it
   * committed, delete staged data nothing needs again, tell watchers) must be idempotent,
   * crash-safe and conditional on ctx.fence. A rejection never fails the job; it runs again
   * after the next checkpoint.
   */
  postCommit?(ctx: SinkRecoveryContext, settledCheckpointId: number): Promise<void>;
  /**
   * Whether `write` may be given a record its producer goes on changing in place until the next
   * barrier — only in field `field`, and writing the record again after each change. True only
   * for a sink that keeps nothing of a record but the latest one per key (keyed by anything but
   * `field`) and encodes what it kept when the barrier comes. It lets a running sum/min/max
   * chained into the sink emit its accumulator instead of a copy per record (Flink's object
   * reuse, decided per chained edge). Absent: every record the sink gets is its own.
   */
  acceptsUpdatedInPlace?(field: string): boolean;
}

export function isSink(value: unknown): value is Sink<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'weir.sink';
}

/** Whether a committer's rejection means "commit these again later" rather than a failure. */
export function isRetryableCommitFailure(error: unknown): boolean {
  const e = error as { retryable?: unknown; code?: unknown } | null;
  return typeof e === 'object' && e !== null && e.retryable === true && e.code !== 'STORAGE_FENCED' && e.code !== 'CORRUPT_DATA';
}
