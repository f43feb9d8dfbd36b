import { InvalidArgumentError } from '../../errors/index.js';
import { AlternatingBarrierHandler } from './alternating-barrier-handler.js';
import { BarrierTracker } from './barrier-tracker.js';

/** A checkpoint's id; ids grow with every trigger. (A branded type may replace this alias.) */
export type CheckpointId = number;

export type CheckpointingMode = 'exactly-once' | 'at-least-once';

/**
 * Why a checkpoint will not be snapshotted by this task:
 * - `overtaken`: a channel delivered a newer checkpoint's barrier (or cancel marker) before
 *   this one completed here, so this one can never complete here;
 * - `coordinator-abort`: the coordinator aborted it (timeout, a decline elsewhere);
 * - `cancelled-upstream`: an upstream task aborted it and sent a cancel marker in-band.
 */
export type AbortReason = 'overtaken' | 'coordinator-abort' | 'cancelled-upstream';

/** What the task must do, in the order the actions are returned. */
export type BarrierAction =
  /**
   * Take the snapshot now, then forward barrier `checkpointId` downstream, before reading more input.
   * `unaligned`: the barrier overtakes what is queued (FLIP-76): the records queued on the `spill`
   * channels ahead of their barrier, and those arriving there before it, go into the checkpoint as
   * channel state; the task still processes them after the snapshot.
   */
  | { kind: 'snapshot'; checkpointId: CheckpointId; unaligned?: { readonly spill: readonly number[] } }
  /**
   * Checkpoint `checkpointId` will not be snapshotted here: decline it to the coordinator (unless
   * the coordinator aborted it) and forward a cancel marker downstream, so downstream tasks stop
   * aligning it.
   */
  | { kind: 'abort'; checkpointId: CheckpointId; reason: AbortReason };

/**
 * Decides, purely, when a task with N input channels snapshots or aborts a checkpoint and
 * which channels it must not read meanwhile. The task does all I/O.
 *
 * Contract for the caller (the task):
 * - Must ask `isBlocked(channel)` before taking the next item from a channel, and not take
 *   one while it is blocked: a blocked channel's data belongs after the snapshot.
 * - Must report each barrier, cancel marker and end of input of a channel in the order the
 *   channel delivered them, and nothing for a channel after its end of input. A violation
 *   throws a `WeirError` with code `TASK_FAILED` (domain `internal`).
 * - Must carry out the returned actions in order before reading further input.
 *
 * Guarantees of every handler:
 * - Each checkpoint id gets at most one action, ever: one snapshot or one abort.
 * - Snapshot ids strictly increase; `latestHandledId` never decreases.
 * - An id this handler has started (a barrier or cancel marker arrived, or the coordinator
 *   aborted it) always ends in exactly one action, at the latest when a newer checkpoint
 *   completes or every channel has ended.
 * - A channel that has ended is never blocked; once every channel has ended, nothing is pending.
 */
export interface CheckpointBarrierHandler {
  readonly mode: CheckpointingMode;
  isBlocked(channel: number): boolean;
  /**
   * `timestamp`: the barrier's (its checkpoint's trigger time); `now`: the task's clock. Only a handler with an alignment timeout needs them.
   * `savepoint`: a savepoint's barrier, which is always aligned (as Flink takes savepoints): its state holds no in-flight records.
   */
  onBarrier(channel: number, checkpointId: CheckpointId, timestamp?: number, now?: number, savepoint?: boolean): BarrierAction[];
  /** An upstream task aborted `checkpointId` and sent a cancel marker in-band on `channel`. */
  onCancelBarrier(channel: number, checkpointId: CheckpointId): BarrierAction[];
  onEndOfInput(channel: number): BarrierAction[];
  /**
   * The coordinator aborted `checkpointId`. Returns `abort checkpointId (coordinator-abort)`
   * exactly once if the id is not yet finished here, so the task has one rule for every
   * abort; returns nothing if it was already snapshotted or aborted here.
   */
  onAbort(checkpointId: CheckpointId): BarrierAction[];
  /** The id being aligned (exactly-once) or the oldest id still counting (at-least-once), if any. */
  readonly pendingCheckpointId: CheckpointId | undefined;
  /** Checkpoints at or below this id are finished here (snapshotted or aborted); their stale barriers are ignored. */
  readonly latestHandledId: CheckpointId;
}

/**
 * `exactly-once` aligns (a channel that delivered barrier n is blocked until every live
 * channel has); `at-least-once` only counts barriers and never blocks.
 * `initialLatestHandledId` is the checkpoint the task was restored from, if any.
 */
export function createBarrierHandler(
  mode: CheckpointingMode,
  channelCount: number,
  initialLatestHandledId: CheckpointId = 0,
): CheckpointBarrierHandler {
  if (!Number.isSafeInteger(channelCount) || channelCount < 1) {
    throw new InvalidArgumentError('channelCount', `must be an integer of at least 1, got ${channelCount}`);
  }
  if (!Number.isSafeInteger(initialLatestHandledId) || initialLatestHandledId < 0) {
    throw new InvalidArgumentError(
      'initialLatestHandledId',
      `must be a non-negative integer, got ${initialLatestHandledId}`,
    );
  }
  switch (mode) {
    case 'exactly-once':
      // Aligned checkpoints are unaligned ones that never time out: one state machine for both.
      return new AlternatingBarrierHandler(channelCount, Infinity, initialLatestHandledId);
    case 'at-least-once':
      return new BarrierTracker(channelCount, initialLatestHandledId);
    default:
      throw new InvalidArgumentError('mode', `must be 'exactly-once' or 'at-least-once', got ${String(mode)}`);
  }
}
