import { CorruptDataError } from '../errors/index.js';
import type { ChannelMessage, RecordBatch } from './channel-message.js';
import type { ChannelReceiver, ChannelSender } from './channel.js';
import { ChannelSpills } from './channel-spill.js';
import { extendTable, StringDictionary } from './batch-dictionary.js';

/** What Weir needs of a MessagePort; a browser, Deno or Node MessagePort all fit. */
export interface PortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

/** Optional binary packing of record batches (batch-codec.ts); undefined means structured clone. */
export interface BatchPacking {
  /**
   * `spare`: a buffer to write into if it is large enough (one the receiver handed back).
   * `dictionary`: the channel's string dictionary (batch-dictionary.ts); `strings`, the strings
   * this batch added to it, which must reach the receiver's table before the batch is decoded.
   */
  encode(batch: RecordBatch, spare?: ArrayBuffer, dictionary?: StringDictionary): { buffer: ArrayBuffer; strings?: string[] } | undefined;
  /** `table`: every string the channel's batches brought so far (this one's included). */
  decode(buffer: ArrayBuffer, table?: readonly string[]): RecordBatch;
  /** False where encode leaves the dictionary unused: a writer then hands the channel no dictionary hints. */
  readonly usesDictionary?: boolean;
}

/** One frame of the wire protocol between two workers: every frame names its logical channel. */
export type PortFrame =
  | { kind: 'message'; channel: number; message: ChannelMessage }
  /**
   * A batch the codec packed; its timestamps (event time) travel as a second transferred buffer,
   * one float64 per record (it may be longer); `strings`, the channel dictionary's new entries.
   */
  | { kind: 'packed'; channel: number; buffer: ArrayBuffer; timestamps?: ArrayBuffer; strings?: string[] }
  /** Credits back, with the packed buffers (and timestamp buffers) the receiver decoded, for the sender to write into again. */
  | { kind: 'credit'; channel: number; credits: number; buffers?: ArrayBuffer[]; timestampBuffers?: ArrayBuffer[] };

/**
 * What one postMessage carries: a frame, or the frames of one turn in order. A message costs
 * far more than its bytes (the receiving thread wakes, the structured clone walks it, Chromium
 * ~6.6 µs and Node ~1.4 µs per message, PLATFORM-LIMITS.md), so the frames a thread sends in one
 * turn, credits back included, travel as one message.
 */
export type PortMessage = PortFrame | { kind: 'frames'; frames: PortFrame[] };

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
  timestampBuffers: ArrayBuffer[];
  /** Unaligned checkpoints: batches in flight (queued here, or arriving) copied into channel state. */
  spills: ChannelSpills<Queued>;
  /** The channel's dictionary strings, by id, appended as each batch arrives (batch-dictionary.ts). */
  table: string[];
}

interface SenderState {
  credits: number;
  waiting: (() => void)[];
  /** Buffers the receiver handed back, to encode into. */
  spares: ArrayBuffer[];
  timestampSpares: ArrayBuffer[];
  dictionary: StringDictionary;
}

/** Buffers kept per channel for reuse: one per credit is all a sender can have in flight. */
const MAX_SPARES = 8;
/** Frames wait for the end of the turn, or until this many bytes of batches are waiting. */
const FLUSH_BYTES = 256 * 1024;

/**
 * Many logical channels over one MessagePort between two workers, each with the same credit
 * protocol as an in-memory channel: the sender starts with the agreed credits, each record
 * batch takes one, and the receiver returns credits as it consumes batches (coalesced into
 * one message per turn). Messages for a channel whose receiver is not open yet are kept.
 */
export class PortMultiplexer {
  private readonly receivers = new Map<number, ReceiverState>();
  private readonly senders = new Map<number, SenderState>();
  /** Frames of this turn not yet posted, and what they transfer. */
  private outbox: PortFrame[] = [];
  private transfer: Transferable[] = [];
  private outboxBytes = 0;
  private flushScheduled = false;
  /** Receivers with credits to return at the end of the turn. */
  private readonly crediting = new Set<number>();

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
      const spills = new ChannelSpills<Queued>((q) => (q.kind === 'packed' ? this.decodeCopy(state!, q) : q));
      this.receivers.set(channel, (state = { queue: [], head: 0, listener: undefined, toReturn: 0, buffers: [], timestampBuffers: [], spills, table: [] }));
    }
    return state;
  }

  private senderState(channel: number): SenderState {
    let state = this.senders.get(channel);
    if (state === undefined) this.senders.set(channel, (state = { credits: this.credits, waiting: [], spares: [], timestampSpares: [], dictionary: new StringDictionary() }));
    return state;
  }

  private onMessage(data: PortMessage): void {
    if (data.kind === 'frames') {
      for (const frame of data.frames) this.onFrame(frame);
    } else this.onFrame(data);
  }

  private onFrame(data: PortFrame): void {
    switch (data.kind) {
      case 'credit': {
        const s = this.senderState(data.channel);
        s.credits += data.credits;
        if (data.buffers !== undefined) for (const b of data.buffers) if (s.spares.length < MAX_SPARES) s.spares.push(b);
        if (data.timestampBuffers !== undefined) for (const b of data.timestampBuffers) if (s.timestampSpares.length < MAX_SPARES) s.timestampSpares.push(b);
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
        // In wire order, before anything can decode this batch (the task's poll or a spill).
        if (data.kind === 'packed' && data.strings !== undefined) extendTable(r.table, data.strings);
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
    const batch = this.packing!.decode(data.buffer, r.table);
    r.buffers.push(data.buffer);
    if (data.timestamps === undefined) return batch;
    r.timestampBuffers.push(data.timestamps);
    return withTimestamps(batch, data.timestamps);
  }

  private decodeCopy(r: ReceiverState, data: { buffer: ArrayBuffer; timestamps?: ArrayBuffer }): ChannelMessage {
    const batch = this.packing!.decode(data.buffer, r.table);
    return data.timestamps === undefined ? batch : withTimestamps(batch, data.timestamps);
  }

  sender(channel: number): ChannelSender {
    const state = this.senderState(channel);
    return {
      send: (message) => {
        if (message.kind === 'records') {
          state.credits--;
          // A keyed batch goes without its keys: the receiving task takes them from the records again (key groups travel).
          const batch = withoutKeys(message);
          // The writer's dictionary hints go to the encoder, never on the wire.
          const hinted = message.dictionaryHints === undefined ? batch : { ...batch, dictionaryHints: message.dictionaryHints };
          const packed = this.packing?.encode(hinted, state.spares.pop(), state.dictionary);
          if (packed !== undefined) {
            const { buffer, strings } = packed;
            const frame: PortFrame = { kind: 'packed', channel, buffer, ...(strings !== undefined ? { strings } : {}) };
            if (message.timestamps === undefined) this.post(frame, buffer.byteLength, buffer);
            else {
              const timestamps = packTimestamps(message.timestamps, state.timestampSpares.pop());
              this.post({ ...frame, timestamps }, buffer.byteLength + timestamps.byteLength, buffer, timestamps);
            }
            // Out of credit: nothing more goes on this channel until the receiver has these.
            if (state.credits <= 0) this.flush();
            return;
          }
          // Structured clone copies the records when posted: post now, so the copy is of what was sent (a record may change once handed over).
          this.post({ kind: 'message', channel, message: batch }, 0);
          this.flush();
          return;
        }
        this.post({ kind: 'message', channel, message }, 0);
      },
      hasCredit: () => state.credits > 0,
      onCredit: (listener) => {
        if (state.credits > 0) listener();
        else state.waiting.push(listener);
      },
      takesDictionaryHints: this.packing !== undefined && this.packing.usesDictionary !== false,
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
        this.scheduleCreditFlush(channel);
      },
      setListener: (listener) => {
        state.listener = listener;
        if (state.head < state.queue.length) listener();
      },
      queuedBarrier: (after) => state.spills.queuedBarrier(after),
      spill: (checkpointId, sink) => state.spills.spill(checkpointId, waiting(state), sink),
    };
  }

  private scheduleCreditFlush(channel: number): void {
    this.crediting.add(channel);
    this.scheduleFlush();
  }

  /** Queues a frame for the end of the turn (or for now, once enough bytes wait). */
  private post(frame: PortFrame, bytes: number, ...transfer: ArrayBuffer[]): void {
    this.outbox.push(frame);
    for (const t of transfer) this.transfer.push(t);
    this.outboxBytes += bytes;
    if (this.outboxBytes >= FLUSH_BYTES) this.flush();
    else this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Posts the frames of this turn, with the credits due, as one message. */
  private flush(): void {
    for (const channel of this.crediting) {
      const r = this.receivers.get(channel)!;
      if (r.toReturn === 0) continue;
      const { buffers, timestampBuffers } = r;
      if (buffers.length === 0 && timestampBuffers.length === 0) this.outbox.push({ kind: 'credit', channel, credits: r.toReturn });
      else {
        r.buffers = [];
        r.timestampBuffers = [];
        this.outbox.push({ kind: 'credit', channel, credits: r.toReturn, buffers, ...(timestampBuffers.length > 0 ? { timestampBuffers } : {}) });
        for (const b of buffers) this.transfer.push(b);
        for (const b of timestampBuffers) this.transfer.push(b);
      }
      r.toReturn = 0;
    }
    this.crediting.clear();
    const frames = this.outbox;
    if (frames.length === 0) return;
    const transfer = this.transfer;
    this.outbox = [];
    this.transfer = [];
    this.outboxBytes = 0;
    const message: PortMessage = frames.length === 1 ? frames[0]! : { kind: 'frames', frames };
    if (transfer.length === 0) this.port.postMessage(message);
    else this.port.postMessage(message, transfer);
  }

  close(): void {
    this.outbox = [];
    this.transfer = [];
    this.crediting.clear();
    this.port.onmessage = null;
    this.port.close();
  }
}

function* waiting(state: ReceiverState): Iterable<Queued> {
  for (let i = state.head; i < state.queue.length; i++) yield state.queue[i]!;
}

/** The batch's timestamps as float64s, in `spare` if it is large enough. */
function packTimestamps(timestamps: readonly number[], spare: ArrayBuffer | undefined): ArrayBuffer {
  const n = timestamps.length;
  const buffer = spare !== undefined && spare.byteLength >= 8 * n ? spare : new ArrayBuffer(8 * n);
  const view = new Float64Array(buffer, 0, n);
  for (let i = 0; i < n; i++) view[i] = timestamps[i]!;
  return buffer;
}

/** The decoded batch with its timestamps: the first float64 per record of `buffer`. */
function withTimestamps(batch: RecordBatch, buffer: ArrayBuffer): RecordBatch {
  const n = batch.records.length;
  if (buffer.byteLength < 8 * n) throw new CorruptDataError(`a packed batch of ${n} records came with ${buffer.byteLength} bytes of timestamps`, { codec: 'port' });
  const view = new Float64Array(buffer, 0, n);
  const timestamps = new Array<number>(n);
  for (let i = 0; i < n; i++) timestamps[i] = view[i]!;
  return { ...batch, timestamps };
}

/**
 * A keyed batch without its keys (the receiving task computes them from the records). A batch with
 * keys and no groups (its edge has one downstream subtask) goes with its keys: nothing to recompute them from cheaper.
 * Never with dictionary hints: they are the sender's own objects.
 */
function withoutKeys(batch: RecordBatch): RecordBatch {
  if (batch.dictionaryHints === undefined && (batch.keys === undefined || batch.keyGroups === undefined)) return batch;
  const keys = batch.keyGroups === undefined ? batch.keys : undefined;
  return {
    kind: 'records',
    records: batch.records,
    ...(keys !== undefined ? { keys } : {}),
    ...(batch.keyGroups !== undefined ? { keyGroups: batch.keyGroups } : {}),
    ...(batch.timestamps !== undefined ? { timestamps: batch.timestamps } : {}),
  };
}
