import { WeirError } from '../../errors/index.js';
import type { AbortReason, BarrierAction, CheckpointBarrierHandler, CheckpointId } from './checkpoint-barrier-handler.js';

/**
 * `arrived[c]`: channel c delivered barrier `checkpointId` in order (and is blocked until the
 * snapshot). `deadline`: when the alignment gives up and the checkpoint goes unaligned.
 */
type HandlerState =
  | { kind: 'waiting' }
  | { kind: 'collecting-aligned'; checkpointId: CheckpointId; arrived: boolean[]; deadline: number }
  | { kind: 'ended' };

type HandlerStatus = HandlerState['kind'];

/**
 * Every transition. An unaligned snapshot never leaves `waiting`: nothing is blocked while its
 * channel state is recorded (the channels record it themselves, see ChannelReceiver.spill).
 */
const NEXT = {
  waiting: ['collecting-aligned', 'ended'],
  'collecting-aligned': ['waiting'],
  ended: [],
} as const satisfies Record<HandlerStatus, readonly HandlerStatus[]>;

/**
 * Exactly-once barrier handling, aligned and unaligned (FLIP-76), one checkpoint at a time, as
 * Flink's SingleCheckpointBarrierHandler with its alternating controller:
 * - `alignedTimeoutMs` Infinity (exactly-once without `unaligned`; savepoints always): aligned. A
 *   channel that delivered the barrier is blocked until every live channel delivered it, then
 *   the snapshot; a newer barrier or a cancel marker aborts the alignment.
 * - `alignedTimeoutMs` 0 (`unaligned: true` alone): the first barrier of a checkpoint to reach
 *   the task — announced while still queued behind records, or read — starts an unaligned
 *   snapshot at once; every channel that has not delivered that barrier spills.
 * - `alignedTimeoutMs` > 0: the checkpoint starts aligned (channels that delivered the barrier are
 *   blocked, as above) and, if it is not aligned by the barrier's timestamp (its
 *   trigger time) plus the timeout, switches to unaligned: snapshot now, unblock everything, the
 *   channels still without their barrier spill. The timeout counts from the trigger, as Flink's
 *   does, so a checkpoint does not wait one timeout per task on its way down the graph.
 *
 * Contract for the caller (the task), beyond CheckpointBarrierHandler's:
 * - Must call `onBarrierAnnounced` when a barrier newer than `latestHandledId` (and other than
 *   `pendingCheckpointId`) is queued on a channel behind other messages; repeating it is harmless.
 * - Must call `onAlignmentTimeout(now)` once the clock reaches `alignmentDeadline`.
 */
export class AlternatingBarrierHandler implements CheckpointBarrierHandler {
  readonly mode = 'exactly-once' as const;
  private state: HandlerState = { kind: 'waiting' };
  private readonly ended: boolean[];
  private liveChannels: number;
  private latest: CheckpointId;
  /** Ids above `latest` that the coordinator aborted before they reached this task. */
  private readonly abortedAhead = new Set<CheckpointId>();

  constructor(
    readonly channelCount: number,
    /** 0: always unaligned; Infinity: always aligned (exactly-once without `unaligned`); else the alignment a checkpoint gets before it switches. */
    readonly alignedTimeoutMs: number,
    initialLatestHandledId: CheckpointId = 0,
  ) {
    this.ended = new Array<boolean>(channelCount).fill(false);
    this.liveChannels = channelCount;
    this.latest = initialLatestHandledId;
  }

  get pendingCheckpointId(): CheckpointId | undefined {
    return this.state.kind === 'collecting-aligned' ? this.state.checkpointId : undefined;
  }

  get latestHandledId(): CheckpointId {
    return this.latest;
  }

  /** When the aligned phase of the pending checkpoint gives up, if one is aligning. */
  get alignmentDeadline(): number | undefined {
    return this.state.kind === 'collecting-aligned' && Number.isFinite(this.state.deadline) ? this.state.deadline : undefined;
  }

  isBlocked(channel: number): boolean {
    this.checkRange(channel, 'isBlocked');
    return this.state.kind === 'collecting-aligned' && this.state.arrived[channel] === true;
  }

  /** Barrier `checkpointId` (triggered at `timestamp`) is queued on `channel`, not yet read. */
  onBarrierAnnounced(channel: number, checkpointId: CheckpointId, timestamp: number, now: number, savepoint = false): BarrierAction[] {
    this.checkRange(channel, `announced barrier ${checkpointId}`);
    if (this.ended[channel] === true || this.isStale(checkpointId) || this.pendingCheckpointId === checkpointId) return [];
    const { actions, skip } = this.overtakePending(checkpointId);
    return skip ? actions : [...actions, ...this.begin(checkpointId, timestamp, now, undefined, savepoint)];
  }

  onBarrier(channel: number, checkpointId: CheckpointId, timestamp = 0, now = 0, savepoint = false): BarrierAction[] {
    this.checkReadable(channel, `barrier ${checkpointId}`);
    if (this.isStale(checkpointId)) return [];
    if (this.state.kind === 'collecting-aligned' && this.state.checkpointId === checkpointId) {
      this.state.arrived[channel] = true;
      return this.completeIfAligned();
    }
    const { actions, skip } = this.overtakePending(checkpointId);
    return skip ? actions : [...actions, ...this.begin(checkpointId, timestamp, now, channel, savepoint)];
  }

  onAlignmentTimeout(now: number): BarrierAction[] {
    if (this.state.kind !== 'collecting-aligned' || now < this.state.deadline) return [];
    return [this.goUnaligned()];
  }

  onCancelBarrier(channel: number, checkpointId: CheckpointId): BarrierAction[] {
    this.checkReadable(channel, `cancel marker ${checkpointId}`);
    if (this.isStale(checkpointId)) return [];
    if (this.state.kind === 'collecting-aligned' && this.state.checkpointId === checkpointId) {
      return [abort(this.closeAlignment(), 'cancelled-upstream')];
    }
    const actions: BarrierAction[] = [];
    if (this.state.kind === 'collecting-aligned') actions.push(abort(this.closeAlignment(), 'overtaken'));
    if (!this.abortedAhead.has(checkpointId)) actions.push(abort(checkpointId, 'cancelled-upstream'));
    this.markHandled(checkpointId);
    return actions;
  }

  onEndOfInput(channel: number): BarrierAction[] {
    this.checkReadable(channel, 'end of input');
    this.ended[channel] = true;
    this.liveChannels -= 1;
    const actions = this.completeIfAligned();
    if (this.liveChannels === 0) this.moveTo({ kind: 'ended' });
    return actions;
  }

  onAbort(checkpointId: CheckpointId): BarrierAction[] {
    if (checkpointId <= this.latest || this.abortedAhead.has(checkpointId)) return [];
    if (this.state.kind === 'collecting-aligned' && this.state.checkpointId === checkpointId) {
      return [abort(this.closeAlignment(), 'coordinator-abort')];
    }
    this.abortedAhead.add(checkpointId);
    return [abort(checkpointId, 'coordinator-abort')];
  }

  /**
   * A newer checkpoint reached the task: the one aligning can no longer complete here. `skip`:
   * the coordinator aborted the newer one already; it is finished silently.
   */
  private overtakePending(checkpointId: CheckpointId): { actions: BarrierAction[]; skip: boolean } {
    const actions: BarrierAction[] = [];
    if (this.state.kind === 'collecting-aligned') actions.push(abort(this.closeAlignment(), 'overtaken'));
    if (!this.abortedAhead.has(checkpointId)) return { actions, skip: false };
    this.markHandled(checkpointId);
    return { actions, skip: true };
  }

  /**
   * The first barrier of `checkpointId`: unaligned at once, or aligned until its deadline; a
   * savepoint aligned without a deadline. `read`: the channel it was read on.
   */
  private begin(checkpointId: CheckpointId, timestamp: number, now: number, read: number | undefined, savepoint: boolean): BarrierAction[] {
    if (this.state.kind !== 'waiting') return [];
    const arrived = new Array<boolean>(this.channelCount).fill(false);
    if (read !== undefined) arrived[read] = true;
    const deadline = savepoint ? Infinity : timestamp + this.alignedTimeoutMs;
    this.moveTo({ kind: 'collecting-aligned', checkpointId, arrived, deadline });
    if (!savepoint && (this.alignedTimeoutMs === 0 || now >= deadline)) return [this.goUnaligned()];
    return this.completeIfAligned();
  }

  /** Snapshot now: every live channel that has not delivered the barrier spills until it does. */
  private goUnaligned(): BarrierAction {
    if (this.state.kind !== 'collecting-aligned') throw protocolError('no checkpoint is aligning', {});
    const { arrived } = this.state;
    const spill: number[] = [];
    for (let c = 0; c < this.channelCount; c++) if (!this.ended[c] && arrived[c] !== true) spill.push(c);
    return { kind: 'snapshot', checkpointId: this.closeAlignment(), unaligned: { spill } };
  }

  private isStale(checkpointId: CheckpointId): boolean {
    return checkpointId <= this.latest || (this.state.kind === 'collecting-aligned' && checkpointId < this.state.checkpointId);
  }

  private completeIfAligned(): BarrierAction[] {
    if (this.state.kind !== 'collecting-aligned') return [];
    const { arrived } = this.state;
    const aligned = this.ended.every((hasEnded, channel) => hasEnded || arrived[channel] === true);
    return aligned ? [{ kind: 'snapshot', checkpointId: this.closeAlignment() }] : [];
  }

  private closeAlignment(): CheckpointId {
    if (this.state.kind !== 'collecting-aligned') throw protocolError('no checkpoint is aligning', {});
    const { checkpointId } = this.state;
    this.moveTo({ kind: 'waiting' });
    this.markHandled(checkpointId);
    return checkpointId;
  }

  private markHandled(checkpointId: CheckpointId): void {
    if (checkpointId <= this.latest) return;
    this.latest = checkpointId;
    for (const id of this.abortedAhead) if (id <= checkpointId) this.abortedAhead.delete(id);
  }

  private moveTo(next: HandlerState): void {
    const allowed: readonly HandlerStatus[] = NEXT[this.state.kind];
    if (!allowed.includes(next.kind)) {
      throw protocolError(`barrier handler cannot go from ${this.state.kind} to ${next.kind}`, { from: this.state.kind, to: next.kind });
    }
    this.state = next;
  }

  private checkRange(channel: number, what: string): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channelCount) {
      throw protocolError(`${what} on channel ${channel}, but the gate has channels 0..${this.channelCount - 1}`, { channel, channelCount: this.channelCount });
    }
  }

  /** Must hold for every event read from a channel: the task reads neither blocked nor ended channels. */
  private checkReadable(channel: number, what: string): void {
    this.checkRange(channel, what);
    if (this.ended[channel] === true) throw protocolError(`${what} on channel ${channel} after its end of input`, { channel });
    if (this.isBlocked(channel)) {
      throw protocolError(`${what} read from channel ${channel} while it is blocked for alignment`, { channel, pendingCheckpointId: this.pendingCheckpointId });
    }
  }
}

function abort(checkpointId: CheckpointId, reason: AbortReason): BarrierAction {
  return { kind: 'abort', checkpointId, reason };
}

/** The task broke the handler's contract: a bug in Weir, not in the job, and a restart replays it. */
function protocolError(message: string, details: Record<string, unknown>): WeirError {
  return new WeirError('TASK_FAILED', message, { domain: 'internal', retryable: false, details });
}
