import type { BarrierEvent, ChannelMessage } from './channel-message.js';
import type { SpillSink } from './channel-spill.js';

/**
 * One logical channel from an upstream subtask to a downstream subtask, with credit-based
 * flow control: the receiver grants a fixed number of credits, each record batch takes one,
 * and consuming a batch gives it back. Events take no credit (they are tiny and must never
 * wait behind a full channel, or a barrier could not pass a blocked one).
 */
export interface ChannelSender {
  /**
   * Must not be called with a batch that the caller will touch again: the batch is handed over.
   * Sending a batch without credit is allowed (a bounded overdraft, as Flink's overdraft
   * buffers), but the caller must then stop taking input until `hasCredit()` is true again.
   */
  send(message: ChannelMessage): void;
  hasCredit(): boolean;
  /** Calls `listener` once, when credit next becomes available. */
  onCredit(listener: () => void): void;
  /** True where a keyed batch's dictionary hints save work (a channel to another worker, with a dictionary): elsewhere a writer leaves them out. */
  readonly takesDictionaryHints?: boolean;
}

export interface ChannelReceiver {
  poll(): ChannelMessage | undefined;
  /** Whether a message is waiting. */
  readonly hasMessage: boolean;
  /** How many messages are waiting (a backpressure gauge for the metrics). */
  readonly queued?: number;
  /** Returns one credit to the sender: call once a record batch has been processed. */
  release(): void;
  /** `listener` is called whenever a message arrives. */
  setListener(listener: () => void): void;
  /** Unaligned checkpoints: the first barrier queued, not yet polled, of a checkpoint after `after` (it may wait behind records). */
  queuedBarrier?(after: number): BarrierEvent | undefined;
  /**
   * Unaligned checkpoints (FLIP-76): hands `sink` the record batches queued ahead of barrier
   * `checkpointId`, in order, then each one arriving before it, and calls `sink.end()` once that
   * barrier (or a newer one, a cancel marker, the end of input) is queued. The batches stay queued
   * for the task. Returns a function that stops the spill.
   */
  spill?(checkpointId: number, sink: SpillSink): () => void;
}

export interface ChannelPair {
  readonly sender: ChannelSender;
  readonly receiver: ChannelReceiver;
}

export interface ChannelOptions {
  /** Record batches a receiver accepts ahead of processing (Flink's exclusive buffers). */
  credits: number;
}

export const DEFAULT_CHANNEL_CREDITS = 4;
