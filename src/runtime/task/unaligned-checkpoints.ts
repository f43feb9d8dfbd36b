import type { ChannelReceiver } from '../../channel/index.js';
import { chunkChecksum, encodeChunk } from '../../state/chunk-format.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { Clock } from '../clock.js';
import type { StateHandle } from '../control-messages.js';
import type { AlternatingBarrierHandler } from './alternating-barrier-handler.js';
import type { BarrierAction } from './checkpoint-barrier-handler.js';
import { ChannelStateCapture, type StoredBatch } from './channel-state.js';
import type { SubtaskIdentity } from './subtask-snapshot.js';

/** The chunk of one checkpoint's channel state, once every spilling channel delivered it; undefined if nothing was in flight. */
export type ChannelStateChunk = Promise<{ readonly handle: StateHandle; readonly bytes: Uint8Array; readonly records: number } | undefined>;

export interface UnalignedCheckpointsSetup {
  readonly handler: AlternatingBarrierHandler;
  readonly inputs: readonly ChannelReceiver[];
  /** The vertex input (edge) of each channel. */
  readonly inputOf: (channel: number) => number;
  readonly clock: Clock;
  /** Runs `action` as a mail of the task (the alignment timer fires outside the mailbox). */
  readonly mail: (action: () => void) => void;
  /** Carries out the handler's actions when an alignment times out (in a mail). */
  readonly onTimeout: (actions: BarrierAction[]) => void;
  /** The operator whose uid the chunk is stored under: the chain's head, which reads the input. */
  readonly headUid: string;
}

/**
 * A task's part of unaligned checkpoints (FLIP-76): finds barriers queued behind records (Flink's
 * announcements), keeps the alignment timer of a checkpoint that may switch to unaligned, and
 * captures each unaligned checkpoint's channel state into one chunk. The decisions are the
 * AlternatingBarrierHandler's; this does what they say to the channels and the clock.
 */
export class UnalignedCheckpoints {
  private readonly captures = new Map<number, ChannelStateCapture>();
  private timer: { checkpointId: number; handle: unknown } | undefined;

  constructor(private readonly setup: UnalignedCheckpointsSetup) {}

  /** Whether `channel` holds a barrier of a checkpoint the handler has not started (cheap: the channel counts its barriers). */
  announced(channel: number): boolean {
    const { handler, inputs } = this.setup;
    return inputs[channel]!.queuedBarrier?.(Math.max(handler.latestHandledId, handler.pendingCheckpointId ?? 0)) !== undefined;
  }

  /** The handler's actions for every barrier queued on a channel that it has not seen (cheap: channels count their barriers). */
  announce(): BarrierAction[] {
    const { handler, inputs, clock } = this.setup;
    const actions: BarrierAction[] = [];
    for (let c = 0; c < inputs.length; c++) {
      const barrier = inputs[c]!.queuedBarrier?.(Math.max(handler.latestHandledId, handler.pendingCheckpointId ?? 0));
      if (barrier === undefined) continue;
      actions.push(...handler.onBarrierAnnounced(c, barrier.checkpointId, barrier.timestamp, clock.now(), barrier.savepoint === true));
    }
    this.armTimer(); // an announcement may start an alignment without any action yet
    return actions;
  }

  /**
   * Keeps one timer for the pending checkpoint's alignment deadline; when it fires, `onTimeout`
   * gets the handler's actions (as a mail). Call after every event the handler was told of.
   */
  armTimer(): void {
    const { handler, clock } = this.setup;
    const pending = handler.pendingCheckpointId;
    const deadline = handler.alignmentDeadline;
    if (this.timer !== undefined && this.timer.checkpointId === pending) return;
    if (this.timer !== undefined) clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (pending === undefined || deadline === undefined) return;
    const handle = clock.setTimeout(() => {
      if (this.timer?.handle === handle) this.timer = undefined;
      this.setup.mail(() => this.setup.onTimeout(handler.onAlignmentTimeout(clock.now())));
    }, deadline - clock.now());
    this.timer = { checkpointId: pending, handle };
  }

  /**
   * The snapshot of an unaligned checkpoint was just taken: its channel state is `leading` (per
   * channel, records the task holds but has not processed: the rest of the batch in progress,
   * restored channel state not yet replayed), then what the `spill` channels hold or receive ahead
   * of their barrier. Resolves with the chunk to store, encoded once complete.
   */
  begin(checkpointId: number, spill: readonly number[], leading: readonly { channel: number; batch: StoredBatch; from: number }[], who: SubtaskIdentity): ChannelStateChunk {
    const capture = new ChannelStateCapture(checkpointId, this.setup.inputOf);
    this.captures.set(checkpointId, capture);
    for (const { channel, batch, from } of leading) capture.add(channel, batch, from);
    for (const c of spill) {
      const receiver = this.setup.inputs[c]!;
      capture.spill(c, (sink) => receiver.spill!(checkpointId, sink));
    }
    capture.seal();
    return capture.complete.then(() => {
      if (this.captures.get(checkpointId) !== capture) return undefined; // given up meanwhile
      this.captures.delete(checkpointId);
      if (capture.empty) return undefined;
      const bytes = encodeChunk('channel-state', capture.payload());
      const key = storageLayout.stateChunkKey(who.jobName, checkpointId, who.attemptId, this.setup.headUid, who.subtaskIndex, 'channel');
      const handle: StateHandle = { key, kind: 'channel', operatorUid: this.setup.headUid, subtaskIndex: who.subtaskIndex, bytes: bytes.byteLength, checksum: chunkChecksum(bytes) };
      return { handle, bytes, records: capture.records };
    });
  }

  /** The checkpoint was aborted (or, without an id, the task stops): its channels stop copying. */
  abandon(checkpointId?: number): void {
    for (const [id, capture] of this.captures) {
      if (checkpointId !== undefined && id !== checkpointId) continue;
      capture.cancel();
      this.captures.delete(id);
    }
    if (checkpointId === undefined && this.timer !== undefined) {
      this.setup.clock.clearTimeout(this.timer.handle);
      this.timer = undefined;
    }
  }
}
