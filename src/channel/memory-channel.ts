import type { ChannelMessage } from './channel-message.js';
import { ChannelSpills } from './channel-spill.js';
import { DEFAULT_CHANNEL_CREDITS, type ChannelOptions, type ChannelPair, type ChannelReceiver, type ChannelSender } from './channel.js';

/** A channel inside one thread: a queue, with the same credit protocol as the MessagePort channel. */
export function createMemoryChannel(options: ChannelOptions = { credits: DEFAULT_CHANNEL_CREDITS }): ChannelPair {
  const queue: ChannelMessage[] = [];
  let head = 0;
  let credits = options.credits;
  let creditListeners: (() => void)[] = [];
  let arrivalListener: (() => void) | undefined;
  const spills = new ChannelSpills<ChannelMessage>((m) => m);
  function* waiting(): Iterable<ChannelMessage> {
    for (let i = head; i < queue.length; i++) yield queue[i]!;
  }

  const sender: ChannelSender = {
    send(message) {
      if (message.kind === 'records') credits--;
      queue.push(message);
      spills.arrived(message);
      arrivalListener?.();
    },
    hasCredit: () => credits > 0,
    onCredit(listener) {
      if (credits > 0) listener();
      else creditListeners.push(listener);
    },
  };

  const receiver: ChannelReceiver = {
    poll() {
      if (head === queue.length) return undefined;
      const message = queue[head]!;
      queue[head++] = undefined as unknown as ChannelMessage;
      spills.polled(message);
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      return message;
    },
    get hasMessage() {
      return head < queue.length;
    },
    get queued() {
      return queue.length - head;
    },
    release() {
      credits++;
      if (credits > 0 && creditListeners.length > 0) {
        const listeners = creditListeners;
        creditListeners = [];
        for (const l of listeners) l();
      }
    },
    setListener(listener) {
      arrivalListener = listener;
    },
    queuedBarrier: (after) => spills.queuedBarrier(after),
    spill: (checkpointId, sink) => spills.spill(checkpointId, waiting(), sink),
  };
  return { sender, receiver };
}
