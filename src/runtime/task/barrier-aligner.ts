import { WeirError } from '../../errors/index.js';
import type {
  AbortReason,
  BarrierAction,
  CheckpointBarrierHandler,
  CheckpointId,
} from './checkpoint-barrier-handler.js';

/** `arrived[c]` is true for the channels that delivered barrier `checkpointId`: exactly the blocked ones. */
type AlignerState =
  | { kind: 'idle' }
  | { kind: 'aligning'; checkpointId: CheckpointId; arrived: boolean[] }
  | { kind: 'ended' };

type AlignerStatus = AlignerState['kind'];

/**
 * Every transition the aligner makes. An overtaking barrier goes aligning → idle → aligning.
 * aligning → ended cannot happen: a blocked channel is not read, so it cannot end, and the
 * alignment completes as soon as the other channels have ended.
 */
const NEXT = {
  idle: ['aligning', 'ended'],
  aligning: ['idle'],
  ended: [],
} as const satisfies Record<AlignerStatus, readonly AlignerStatus[]>;

/**
 * Exactly-once alignment of one checkpoint at a time (Flink's SingleCheckpointBarrierHandler,
 * aligned): a channel that delivered barrier n stays blocked until every live channel has,
 * so the snapshot sees exactly the records before barrier n on every channel.
 *
 * Decisions beyond Flink's:
 * - A cancel marker for a newer id m aborts the pending checkpoint as `overtaken` and then
 *   returns `abort m (cancelled-upstream)`, so the task forwards the cancel marker downstream
 *   (as Flink does), and marks m finished.
 * - A coordinator abort of an id the aligner has not started returns `abort n` at once and
 *   remembers n; the first later barrier or cancel marker for n then finishes n silently (it
 *   overtakes an older pending checkpoint as any newer barrier would). `latestHandledId` does
 *   not jump to n at the abort itself, so an older checkpoint still on its way is not lost.
 */
export class BarrierAligner implements CheckpointBarrierHandler {
  readonly mode = 'exactly-once' as const;
  private state: AlignerState = { kind: 'idle' };
  private readonly ended: boolean[];
  private liveChannels: number;
  private latest: CheckpointId;
  /** Ids above `latest` that the coordinator aborted before they were pending here. */
  private readonly abortedAhead = new Set<CheckpointId>();

  constructor(
    readonly channelCount: number,
    initialLatestHandledId: CheckpointId = 0,
  ) {
    this.ended = new Array<boolean>(channelCount).fill(false);
    this.liveChannels = channelCount;
    this.latest = initialLatestHandledId;
  }

  get pendingCheckpointId(): CheckpointId | undefined {
    return this.state.kind === 'aligning' ? this.state.checkpointId : undefined;
  }

  get latestHandledId(): CheckpointId {
    return this.latest;
  }

  isBlocked(channel: number): boolean {
    this.checkRange(channel, 'isBlocked');
    return this.state.kind === 'aligning' && this.state.arrived[channel] === true;
  }

  onBarrier(channel: number, checkpointId: CheckpointId): BarrierAction[] {
    this.checkReadable(channel, `barrier ${checkpointId}`);
    if (this.isStale(checkpointId)) return [];
    const actions: BarrierAction[] = [];
    if (this.state.kind === 'aligning' && checkpointId > this.state.checkpointId) {
      actions.push(abort(this.closeAlignment(), 'overtaken'));
    }
    if (this.abortedAhead.has(checkpointId)) {
      this.markHandled(checkpointId);
      return actions;
    }
    if (this.state.kind === 'idle') {
      this.moveTo({ kind: 'aligning', checkpointId, arrived: new Array<boolean>(this.channelCount).fill(false) });
    }
    if (this.state.kind === 'aligning') this.state.arrived[channel] = true;
    actions.push(...this.completeIfAligned());
    return actions;
  }

  onCancelBarrier(channel: number, checkpointId: CheckpointId): BarrierAction[] {
    this.checkReadable(channel, `cancel marker ${checkpointId}`);
    if (this.isStale(checkpointId)) return [];
    if (this.state.kind === 'aligning' && this.state.checkpointId === checkpointId) {
      return [abort(this.closeAlignment(), 'cancelled-upstream')];
    }
    const actions: BarrierAction[] = [];
    if (this.state.kind === 'aligning') actions.push(abort(this.closeAlignment(), 'overtaken'));
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
    if (this.state.kind === 'aligning' && this.state.checkpointId === checkpointId) {
      return [abort(this.closeAlignment(), 'coordinator-abort')];
    }
    this.abortedAhead.add(checkpointId);
    return [abort(checkpointId, 'coordinator-abort')];
  }

  /** Older than what is finished or than the pending checkpoint: that checkpoint cannot complete here. */
  private isStale(checkpointId: CheckpointId): boolean {
    return (
      checkpointId <= this.latest || (this.state.kind === 'aligning' && checkpointId < this.state.checkpointId)
    );
  }

  private completeIfAligned(): BarrierAction[] {
    if (this.state.kind !== 'aligning') return [];
    const { arrived } = this.state;
    const aligned = this.ended.every((hasEnded, channel) => hasEnded || arrived[channel] === true);
    return aligned ? [{ kind: 'snapshot', checkpointId: this.closeAlignment() }] : [];
  }

  /** Ends the open alignment (unblocking every channel) and marks its id finished. */
  private closeAlignment(): CheckpointId {
    if (this.state.kind !== 'aligning') throw protocolError('no alignment is open', {});
    const { checkpointId } = this.state;
    this.moveTo({ kind: 'idle' });
    this.markHandled(checkpointId);
    return checkpointId;
  }

  private markHandled(checkpointId: CheckpointId): void {
    if (checkpointId <= this.latest) return;
    this.latest = checkpointId;
    for (const id of this.abortedAhead) if (id <= checkpointId) this.abortedAhead.delete(id);
  }

  private moveTo(next: AlignerState): void {
    const allowed: readonly AlignerStatus[] = NEXT[this.state.kind];
    if (!allowed.includes(next.kind)) {
      throw protocolError(`barrier aligner cannot go from ${this.state.kind} to ${next.kind}`, {
        from: this.state.kind,
        to: next.kind,
      });
    }
    this.state = next;
  }

  private checkRange(channel: number, what: string): void {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channelCount) {
      throw protocolError(`${what} on channel ${channel}, but the gate has channels 0..${this.channelCount - 1}`, {
        channel,
        channelCount: this.channelCount,
      });
    }
  }

  /** Must hold for every event read from a channel: the task reads neither blocked nor ended channels. */
  private checkReadable(channel: number, what: string): void {
    this.checkRange(channel, what);
    if (this.ended[channel] === true) {
      throw protocolError(`${what} on channel ${channel} after its end of input`, { channel });
    }
    if (this.isBlocked(channel)) {
      throw protocolError(`${what} read from channel ${channel} while it is blocked for alignment`, {
        channel,
        pendingCheckpointId: this.pendingCheckpointId,
      });
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
