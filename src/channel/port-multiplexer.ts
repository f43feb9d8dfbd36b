import type { ChannelMessage, RecordBatch } from './channel-message.js';
import type { ChannelReceiver, ChannelSender } from './channel.js';
import { ChannelSpills } from './channel-spill.js';

/** What Weir needs of a MessagePort; a browser, Deno or Node MessagePort all fit. */
export interface PortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

/** Optional binary packing of record batches (batch-codec.ts); undefined means structured clone. */
export interface BatchPacking {
  /** `spare`: a buffer to write into if it is large enough (one the receiver handed back). */
  encode(batch: RecordBatch, spare?: ArrayBuffer): { buffer: ArrayBuffer } | undefined;
  decode(buffer: ArrayBuffer): RecordBatch;
}

/** The wire protocol between two workers: every message names its logical channel. */
export type PortMessage =
  | { kind: 'message'; channel: number; message: ChannelMessage }
  /** A batch the codec packed; its timestamps (event time) travel as a second transferred buffer. */
  | { kind: 'packed'; channel: number; buffer: ArrayBuffer; timestamps?: ArrayBuffer }
  /** Credits back, with the packed buffers the receiver decoded, for the sender to write into again. */
  | { kind: 'credit'; channel: number; credits: number; buffers?: ArrayBuffer[] };

/** A packed batch waits as it came: it is decoded when the task takes it (and is smaller meanwhile). */
type Queued = ChannelMessage | { kind: 'packed'; buffer: ArrayBuffer; timestamps?: ArrayBuffer };

interface ReceiverState {
  queue: Queued[];
  head: number;
  listener: (() => void) | undefined;
  /** Credits consumed and not yet returned to the sender. */
  toReturn: number;
  /** Buffers decoded since, to go back with those credits. */
  buffers: ArrayBuffer[];
  /** Unaligned checkpoints: batches in flight (queued here, or arriving) copied into channel state. */
  spills: ChannelSpills<Queued>;
}

interface SenderState {
  credits: number;
  waiting: (() => void)[];
  /** Buffers the receiver handed back, to encode into. */
  spares: ArrayBuffer[];
}

/** Buffers kept per channel for reuse: one per credit is all a sender can have in flight. */
const MAX_SPARES = 8;

/**
 * Many logical channels over one MessagePort between two workers, each with the same credit
 * protocol as an in-memory channel: the sender starts with the agreed credits, each record
 * batch takes one, and the receiver returns credits as it consumes batches (coalesced into
 * one message per turn). Messages for a channel whose receiver is not open yet are kept.
 */
export class PortMultiplexer {
  private readonly receivers = new Map<number, ReceiverState>();
  private readonly senders = new Map<number, SenderState>();
  private creditFlushScheduled = false;

  constructor(
    private readonly port: PortLike,
    private readonly credits: number,
    private readonly packing: BatchPacking | undefined,
  ) {
    port.onmessage = (event) => this.onMessage(event.data as PortMessage);
  }

  private receiverState(channel: number): ReceiverState {
    let state = this.receivers.get(channel);
    if (state === undefined) {
      // A spill decodes a packed batch into a copy: the queued buffer stays for the task.
      const spills = new ChannelSpills<Queued>((q) => (q.kind === 'packed' ? this.decodeCopy(q) : q));
      this.receivers.set(channel, (state = { queue: [], head: 0, listener: undefined, toReturn: 0, buffers: [], spills }));
    }
    return state;
  }

  private senderState(channel: number): SenderState {
    let state = this.senders.get(channel);
    if (state === undefined) this.senders.set(channel, (state = { credits: this.credits, waiting: [], spares: [] }));
    return state;
  }

  private onMessage(data: PortMessage): void {
    switch (data.kind) {
      case 'credit': {
        const s = this.senderState(data.channel);
        s.credits += data.credits;
        if (data.buffers !== undefined) for (const b of data.buffers) if (s.spares.length < MAX_SPARES) s.spares.push(b);
        if (s.credits > 0 && s.waiting.length > 0) {
          const waiting = s.waiting;
          s.waiting = [];
          for (const w of waiting) w();
        }
        return;
      }
      case 'message':
      case 'packed': {
        const r = this.receiverState(data.channel);
        const queued: Queued = data.kind === 'packed' ? { kind: 'packed', buffer: data.buffer, ...(data.timestamps !== undefined ? { timestamps: data.timestamps } : {}) } : data.message;
        r.queue.push(queued);
        r.spills.arrived(queued);
        r.listener?.();
        return;
      }
    }
  }

  /** Decodes a packed batch; its buffer then goes back to the sender with the batch's credit. */
  private unpack(r: ReceiverState, data: { buffer: ArrayBuffer; timestamps?: ArrayBuffer }): ChannelMessage {
    const batch = this.packing!.decode(data.buffer);
    r.buffers.push(data.buffer);
    if (data.timestamps === undefined) return batch;
    return { ...batch, timestamps: Array.from(new Float64Array(data.timestamps)) };
  }

  private decodeCopy(data: { buffer: ArrayBuffer; timestamps?: ArrayBuffer }): ChannelMessage {
    const batch = this.packing!.decode(data.buffer);
    return data.timestamps === undefined ? batch : { ...batch, timestamps: Array.from(new Float64Array(data.timestamps)) };
  }

  sender(channel: number): ChannelSender {
    const state = this.senderState(channel);
    return {
      send: (message) => {
        if (message.kind === 'records') {
          state.credits--;
          // A keyed batch goes without its keys: the receiving task takes them from the records again (key groups travel).
          const batch = withoutKeys(message);
          const packed = this.packing?.encode(batch, state.spares.pop());
          if (packed !== undefined) {
            if (message.timestamps === undefined) {
              this.port.postMessage({ kind: 'packed', channel, buffer: packed.buffer } satisfies PortMessage, [packed.buffer]);
            } else {
              const timestamps = Float64Array.from(message.timestamps).buffer;
              this.port.postMessage({ kind: 'packed', channel, buffer: packed.buffer, timestamps } satisfies PortMessage, [packed.buffer, timestamps]);
            }
            return;
          }
        }
        this.port.postMessage({ kind: 'message', channel, message: message.kind === 'records' ? withoutKeys(message) : message } satisfies PortMessage);
      },
      hasCredit: () => state.credits > 0,
      onCredit: (listener) => {
        if (state.credits > 0) listener();
        else state.waiting.push(listener);
      },
    };
  }

  receiver(channel: number): ChannelReceiver {
    const state = this.receiverState(channel);
    return {
      poll: () => {
        if (state.head === state.queue.length) return undefined;
        const queued = state.queue[state.head]!;
        state.queue[state.head++] = undefined as unknown as Queued;
        const message = queued.kind === 'packed' ? this.unpack(state, queued) : queued;
        state.spills.polled(message);
        if (state.head > 1024 && state.head * 2 > state.queue.length) {
          state.queue.splice(0, state.head);
          state.head = 0;
        }
        return message;
      },
      get hasMessage() {
        return state.head < state.queue.length;
      },
      get queued() {
        return state.queue.length - state.head;
      },
      release: () => {
        state.toReturn++;
        this.scheduleCreditFlush();
      },
      setListener: (listener) => {
        state.listener = listener;
        if (state.head < state.queue.length) listener();
      },
      queuedBarrier: (after) => state.spills.queuedBarrier(after),
      spill: (checkpointId, sink) => state.spills.spill(checkpointId, waiting(state), sink),
    };
  }

  private scheduleCreditFlush(): void {
    if (this.creditFlushScheduled) return;
    this.creditFlushScheduled = true;
    queueMicrotask(() => {
      this.creditFlushScheduled = false;
      for (const [channel, r] of this.receivers) {
        if (r.toReturn === 0) continue;
        const buffers = r.buffers;
        if (buffers.length === 0) this.port.postMessage({ kind: 'credit', channel, credits: r.toReturn } satisfies PortMessage);
        else {
          r.buffers = [];
          this.port.postMessage({ kind: 'credit', channel, credits: r.toReturn, buffers } satisfies PortMessage, buffers);
        }
        r.toReturn = 0;
      }
    });
  }

  close(): void {
    this.port.onmessage = null;
    this.port.close();
  }
}

function* waiting(state: ReceiverState): Iterable<Queued> {
  for (let i = state.head; i < state.queue.length; i++) yield state.queue[i]!;
}

/** A keyed batch without its keys (the receiving task computes them from the records). */
function withoutKeys(batch: RecordBatch): RecordBatch {
  if (batch.keys === undefined || batch.keyGroups === undefined) return batch;
  return { kind: 'records', records: batch.records, keyGroups: batch.keyGroups, ...(batch.timestamps !== undefined ? { timestamps: batch.timestamps } : {}) };
}
