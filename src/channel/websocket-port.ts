// A WebSocket as the port a PortMultiplexer runs on: how records cross between Durable Objects
// (one long-lived WebSocket per pair of objects), with the same multiplexed channels, credits
// and in-band barriers as a MessagePort between workers. Every PortMessage is one binary frame:
//   1 packed   u32 channel, u32 batch bytes, the batch (batch-codec.ts), then timestamps (f64s) if any
//   2 message  the PortMessage in the value codec (records that the batch codec does not pack, events)
//   3 credit   u32 channel, u32 credits
// A frame that does not decode is corruption: the port reports it and closes, as a lost peer.
import { CorruptDataError } from '../errors/index.js';
import { decodeValue, encodeValue } from '../state/value-codec.js';
import type { PortFrame, PortLike, PortMessage } from './port-multiplexer.js';

/** What the port uses of a WebSocket (workerd's, or the web standard one). */
export interface WebSocketLike {
  send(data: ArrayBuffer | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close' | 'error', listener: (event: unknown) => void): void;
  binaryType?: string;
}

const PACKED = 1;
const MESSAGE = 2;
const CREDIT = 3;

export function encodePortMessage(message: PortFrame): Uint8Array {
  switch (message.kind) {
    case 'credit': {
      const frame = new Uint8Array(9);
      const view = new DataView(frame.buffer);
      frame[0] = CREDIT;
      view.setUint32(1, message.channel, true);
      view.setUint32(5, message.credits, true);
      return frame;
    }
    case 'packed': {
      const timestamps = message.timestamps?.byteLength ?? 0;
      const frame = new Uint8Array(9 + message.buffer.byteLength + timestamps);
      const view = new DataView(frame.buffer);
      frame[0] = PACKED;
      view.setUint32(1, message.channel, true);
      view.setUint32(5, message.buffer.byteLength, true);
      frame.set(new Uint8Array(message.buffer), 9);
      if (message.timestamps !== undefined) frame.set(new Uint8Array(message.timestamps), 9 + message.buffer.byteLength);
      return frame;
    }
    case 'message': {
      const body = encodeValue(message);
      const frame = new Uint8Array(1 + body.byteLength);
      frame[0] = MESSAGE;
      frame.set(body, 1);
      return frame;
    }
  }
}

export function decodePortMessage(data: ArrayBuffer): PortFrame {
  const frame = new Uint8Array(data);
  const view = new DataView(data);
  const corrupt = (what: string) => new CorruptDataError(`a channel frame from a peer object ${what}`, { bytes: frame.byteLength });
  switch (frame[0]) {
    case CREDIT:
      if (frame.byteLength !== 9) throw corrupt('is a credit of the wrong size');
      return { kind: 'credit', channel: view.getUint32(1, true), credits: view.getUint32(5, true) };
    case PACKED: {
      if (frame.byteLength < 9) throw corrupt('is truncated');
      const size = view.getUint32(5, true);
      const rest = frame.byteLength - 9 - size;
      if (rest < 0 || rest % 8 !== 0) throw corrupt('has a batch of the wrong size');
      const buffer = data.slice(9, 9 + size);
      return { kind: 'packed', channel: view.getUint32(1, true), buffer, ...(rest > 0 ? { timestamps: data.slice(9 + size) } : {}) };
    }
    case MESSAGE: {
      const message = decodeValue(frame.subarray(1)) as PortFrame;
      if (message?.kind !== 'message' || typeof message.channel !== 'number' || typeof message.message?.kind !== 'string') throw corrupt('is not a channel message');
      return message;
    }
    default:
      throw corrupt(`has the unknown tag ${frame[0]}`);
  }
}

/**
 * A PortLike over a WebSocket. Frames that arrive before the multiplexer listens are kept (a
 * peer may start sending before this side's tasks run). `onClosed` hears once of a close this
 * side did not ask for, or of a frame that does not decode: the peer is lost.
 */
export class WebSocketPort implements PortLike {
  #onmessage: ((event: { data: unknown }) => void) | null = null;
  #early: PortFrame[] = [];
  #closing = false;
  #lost = false;

  constructor(
    private readonly socket: WebSocketLike,
    private readonly onClosed: (reason: string) => void,
  ) {
    socket.binaryType = 'arraybuffer'; // workerd gives Blobs otherwise
    socket.addEventListener('message', (event) => this.#receive(event.data));
    socket.addEventListener('close', (event) => this.#lose(`the peer's WebSocket closed (${(event as { code?: number }).code ?? 'no code'})`));
    socket.addEventListener('error', () => this.#lose("the peer's WebSocket failed"));
  }

  get onmessage(): ((event: { data: unknown }) => void) | null {
    return this.#onmessage;
  }

  set onmessage(listener: ((event: { data: unknown }) => void) | null) {
    this.#onmessage = listener;
    if (listener === null) return;
    const early = this.#early;
    this.#early = [];
    for (const data of early) listener({ data });
  }

  postMessage(message: unknown): void {
    if (this.#closing || this.#lost) return; // a stopped deployment: nothing reads it any more
    const m = message as PortMessage;
    // The frames of a turn go as one socket frame each: the socket's frame format stays one PortFrame per frame.
    if (m.kind === 'frames') for (const frame of m.frames) this.socket.send(encodePortMessage(frame));
    else this.socket.send(encodePortMessage(m));
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#onmessage = null;
    try {
      this.socket.close(1000, 'done');
    } catch {
      // already closed
    }
  }

  #receive(data: unknown): void {
    if (this.#closing || this.#lost) return;
    let message: PortFrame;
    try {
      if (!(data instanceof ArrayBuffer)) throw new CorruptDataError(`a channel frame from a peer object is not binary (${typeof data})`);
      message = decodePortMessage(data);
    } catch (error) {
      this.#lose((error as Error).message);
      this.close();
      return;
    }
    if (this.#onmessage === null) this.#early.push(message);
    else this.#onmessage({ data: message });
  }

  #lose(reason: string): void {
    if (this.#closing || this.#lost) return;
    this.#lost = true;
    this.onClosed(reason);
  }
}
