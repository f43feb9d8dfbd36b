import { createMemoryChannel, type ChannelOptions, type ChannelReceiver, type ChannelSender } from '../../channel/index.js';
import type { ChannelMessage, RecordBatch } from '../../channel/channel-message.js';

/**
 * The sending end of a recycling memory channel: besides sending, it gives its RecordWriter the
 * arrays of batches the receiving task has consumed, to fill again (no three new arrays of the
 * batch size per batch: ≈ 24 bytes a record, a quarter of what the in-process window job allocated).
 */
export class RecyclingSender implements ChannelSender {
  /** Record batches sent and not yet released by the receiver, oldest first. */
  private readonly sent: RecordBatch[] = [];
  /** Released full batches: their arrays are the writer's again. */
  private readonly spares: RecordBatch[] = [];

  constructor(private readonly inner: ChannelSender) {}

  send(message: ChannelMessage): void {
    if (message.kind === 'records') this.sent.push(message);
    this.inner.send(message);
  }

  hasCredit(): boolean {
    return this.inner.hasCredit();
  }

  onCredit(listener: () => void): void {
    this.inner.onCredit(listener);
  }

  /**
   * The arrays of a batch of `size` records the receiver released (records emptied), or undefined:
   * the writer makes new ones. A batch cut short by a flush is dropped here (its arrays were shortened).
   */
  spare(size: number): RecordBatch | undefined {
    const spare = this.spares.pop();
    return spare !== undefined && spare.records.length === size ? spare : undefined;
  }

  /**
   * The receiver released its oldest batch (the channel is a queue, and a task releases a batch
   * only once every record of it was processed, one batch at a time): its arrays come back.
   * Must come back only then: until the release, the receiving task's chain reads them, and an
   * unaligned checkpoint may still copy them into its channel state (it encodes a batch the moment
   * it is handed over, so nothing holds them after the release).
   */
  released(): void {
    const batch = this.sent.shift();
    if (batch === undefined) return;
    batch.records.fill(undefined); // the records may go now, not when the arrays are next filled
    this.spares.push(batch);
  }
}

/**
 * A channel inside one thread (createMemoryChannel) whose batches' arrays go back to the sender
 * when the receiving task releases each batch (RecyclingSender). Only a memory channel can:
 * there the receiver reads the sender's very arrays, and its release says when it is done; a
 * MessagePort channel copies at `send` and gives its arrays to no one.
 */
export function createRecyclingMemoryChannel(options: ChannelOptions): { sender: RecyclingSender; receiver: ChannelReceiver } {
  const { sender: inner, receiver: innerReceiver } = createMemoryChannel(options);
  const sender = new RecyclingSender(inner);
  const receiver: ChannelReceiver = {
    poll: () => innerReceiver.poll(),
    get hasMessage() {
      return innerReceiver.hasMessage;
    },
    get queued() {
      return innerReceiver.queued;
    },
    release() {
      sender.released(); // first: a credit listener may have the sender write its next batch at once
      innerReceiver.release();
    },
    setListener: (listener) => innerReceiver.setListener(listener),
    ...(innerReceiver.queuedBarrier !== undefined ? { queuedBarrier: innerReceiver.queuedBarrier } : {}),
    ...(innerReceiver.spill !== undefined ? { spill: innerReceiver.spill } : {}),
  };
  return { sender, receiver };
}
