import { WeirError } from '../../errors/index.js';
import type {
  AbortReason,
  BarrierAction,
  CheckpointBarrierHandler,
  CheckpointId,
} from './checkpoint-barrier-handler.js';

/** Which channels delivered a barrier (or cancel marker) for one id, and whether that id is already aborted. */
interface BarrierCount {
  readonly arrived: Set<number>;
  aborted: boolean;
}

/**
 * At-least-once barrier tracking (Flink's CheckpointBarrierTracker): never blocks a channel;
 * checkpoint n is snapshotted when barrier n has arrived on every channel that has not
 * ended, so records after barrier n on a fast channel may be in the snapshot too. Several
 * ids may be counting at once.
 *
 * Decisions beyond Flink's:
 * - Arrivals are kept per channel, not as a bare count, so a channel that delivered barrier n
 *   and then ended is not counted twice.
 * - When n completes, older ids still counting can never complete (every live channel is
 *   past them). Flink drops them silently; here each is returned as `abort k (overtaken)`,
 *   before `snapshot n`, so every started id ends in exactly one action.
 * - A cancel marker or a coordinator abort marks the id aborted (one `abort` action) but keeps
 *   counting it, so its later barriers are absorbed rather than restarting the count; the
 *   entry goes when all live channels delivered it or a newer id completes.
 */
export class BarrierTracker implements CheckpointBarrierHandler {
  readonly mode = 'at-least-once' as const;
  private readonly ended: boolean[];
  private latest: CheckpointId;
  /** Ids above `latest` that a barrier, cancel marker or coordinator abort has started. */
  private readonly counts = new Map<CheckpointId, BarrierCount>();

  constructor(
    readonly channelCount: number,
    initialLatestHandledId: CheckpointId = 0,
  ) {
    this.ended = new Array<boolean>(channelCount).fill(false);
    this.latest = initialLatestHandledId;
  }

  get pendingCheckpointId(): CheckpointId | undefined {
    let oldest: CheckpointId | undefined;
    for (const [id, count] of this.counts) {
      if (!count.aborted && (oldest === undefined || id < oldest)) oldest = id;
    }
    return oldest;
  }

  get latestHandledId(): CheckpointId {
    return this.latest;
  }

  isBlocked(channel: number): boolean {
    this.checkRange(channel, 'isBlocked');
    return false;
  }

  onBarrier(channel: number, checkpointId: CheckpointId): BarrierAction[] {
    this.checkReadable(channel, `barrier ${checkpointId}`);
    if (checkpointId <= this.latest) return [];
    const count = this.countFor(checkpointId);
    count.arrived.add(channel);
    return this.isComplete(count) ? this.complete(checkpointId) : [];
  }

  onCancelBarrier(channel: number, checkpointId: CheckpointId): BarrierAction[] {
    this.checkReadable(channel, `cancel marker ${checkpointId}`);
    if (checkpointId <= this.latest) return [];
    const count = this.countFor(checkpointId);
    count.arrived.add(channel);
    return this.abortAndCompleteIfDone(checkpointId, count, 'cancelled-upstream');
  }

  /** Completes every id that this channel alone was still missing, oldest first. */
  onEndOfInput(channel: number): BarrierAction[] {
    this.checkReadable(channel, 'end of input');
    this.ended[channel] = true;
    const actions: BarrierAction[] = [];
    for (const id of [...this.counts.keys()].sort((a, b) => a - b)) {
      const count = this.counts.get(id);
      if (count !== undefined && this.isComplete(count)) actions.push(...this.complete(id));
    }
    return actions;
  }

  onAbort(checkpointId: CheckpointId): BarrierAction[] {
    if (checkpointId <= this.latest) return [];
    return this.abortAndCompleteIfDone(checkpointId, this.countFor(checkpointId), 'coordinator-abort');
  }

  private abortAndCompleteIfDone(
    checkpointId: CheckpointId,
    count: BarrierCount,
    reason: AbortReason,
  ): BarrierAction[] {
    const actions: BarrierAction[] = [];
    if (!count.aborted) {
      count.aborted = true;
      actions.push({ kind: 'abort', checkpointId, reason });
    }
    if (this.isComplete(count)) actions.push(...this.complete(checkpointId));
    return actions;
  }

  private countFor(checkpointId: CheckpointId): BarrierCount {
    let count = this.counts.get(checkpointId);
    if (count === undefined) {
      count = { arrived: new Set(), aborted: false };
      this.counts.set(checkpointId, count);
    }
    return count;
  }

  private isComplete(count: BarrierCount): boolean {
    return this.ended.every((hasEnded, channel) => hasEnded || count.arrived.has(channel));
  }

  /** Finishes `checkpointId` and drops every older id, which can no longer complete. */
  private complete(checkpointId: CheckpointId): BarrierAction[] {
    const actions: BarrierAction[] = [];
    const finished = [...this.counts.keys()].filter((id) => id <= checkpointId).sort((a, b) => a - b);
    for (const id of finished) {
      const count = this.counts.get(id);
      this.counts.delete(id);
      if (count === undefined || count.aborted) continue;
      actions.push(
        id === checkpointId
          ? { kind: 'snapshot', checkpointId }
          : { kind: 'abort', checkpointId: id, reason: 'overtaken' },
      );
    }
    this.latest = checkpointId;
    return actions;
  }

  private checkRange(channel: number, what: string): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channelCount) {
      throw protocolError(`${what} on channel ${channel}, but the gate has channels 0..${this.channelCount - 1}`, {
        channel,
        channelCount: this.channelCount,
      });
    }
  }

  /** Must hold for every event read from a channel: nothing follows a channel's end of input. */
  private checkReadable(channel: number, what: string): void {
    this.checkRange(channel, what);
    if (this.ended[channel] === true) {
      throw protocolError(`${what} on channel ${channel} after its end of input`, { channel });
    }
  }
}

/** The task broke the handler's contract: a bug in Weir, not in the job, and a restart replays it. */
function protocolError(message: string, details: Record<string, unknown>): WeirError {
  return new WeirError('TASK_FAILED', message, { domain: 'internal', retryable: false, details });
}
