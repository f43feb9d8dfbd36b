import { describeValue, InvalidArgumentError, requireOptions, WeirError } from '../../errors/index.js';
import type { DeadLetter, OutputTagLike } from '../../graph/user-functions.js';
import { checkLogName, checkPartitions, openInputLog, type InputLog } from '../log/input-log.js';
import { log as logSource } from '../log/log-source.js';
import type { PollStatus, Source, SourceReader, SourceReaderContext, SourceSplit } from '../source.js';

/** The part of the WebSocket API the capture uses (the browser's, Deno's, Node 22's, or the `ws` package's). */
export interface WebSocketLike {
  binaryType: string;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(): void;
}

export interface WebSocketSourceOptions {
  /** The input log the messages are captured into before the job reads them (required). */
  log: string;
  /** The log's partitions (default 1). */
  partitions?: number;
  /** How to open the socket; default `new WebSocket(url)` (Node 20 has no global WebSocket: pass the `ws` package's). */
  createWebSocket?: (url: string) => WebSocketLike;
  /** A message larger than this (bytes, or UTF-16 code units of a text message) is not captured: it goes to `deadLetters`, or fails the job. Default 1 MiB. */
  maxMessageBytes?: number;
  deadLetters?: OutputTagLike<DeadLetter<string>>;
  /** Reconnection delays after the socket closes: from `initialDelayMs` (default 1000) doubling up to `maxDelayMs` (30 s). */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
}

/**
 * WebSocket messages, exactly once from capture on: subtask 0 holds the connection and appends
 * every message to the input log `log` (one append per group of messages that arrived together),
 * and the job reads that log as `sources.log` does, from its checkpointed offsets. What the server
 * sent while no connection was open (the job restarting, the page closed) is the server's to send
 * again: a WebSocket cannot be replayed.
 */
export function webSocket(url: string | URL, options: WebSocketSourceOptions): Source<string | Uint8Array> {
  const target = url instanceof URL ? url.href : url;
  if (typeof target !== 'string' || !/^wss?:\/\//i.test(target)) throw new InvalidArgumentError('sources.webSocket(url)', `expected a ws(s) URL, got ${describeValue(url)}`);
  if (options === undefined) throw new InvalidArgumentError('sources.webSocket(url, options)', 'expected { log: name }: the input log to capture the messages into');
  const o = requireOptions<WebSocketSourceOptions>('sources.webSocket(url, options)', options, ['log', 'partitions', 'createWebSocket', 'maxMessageBytes', 'deadLetters', 'reconnect']);
  const arg = (name: string) => `sources.webSocket(url, options).${name}`;
  const log = checkLogName(arg('log'), o.log);
  const partitions = checkPartitions(arg('partitions'), o.partitions) ?? 1;
  if (o.createWebSocket !== undefined && typeof o.createWebSocket !== 'function') throw new InvalidArgumentError(arg('createWebSocket'), `expected a function, got ${describeValue(o.createWebSocket)}`);
  const maxMessageBytes = o.maxMessageBytes ?? 1 << 20;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1) throw new InvalidArgumentError(arg('maxMessageBytes'), `expected a positive integer, got ${describeValue(o.maxMessageBytes)}`);
  if (o.deadLetters !== undefined && (typeof o.deadLetters !== 'object' || o.deadLetters === null || (o.deadLetters as { kind?: unknown }).kind !== 'weir.output-tag')) {
    throw new InvalidArgumentError(arg('deadLetters'), `expected an OutputTag, got ${describeValue(o.deadLetters)}`);
  }
  const r = requireOptions<NonNullable<WebSocketSourceOptions['reconnect']>>(arg('reconnect'), o.reconnect, ['initialDelayMs', 'maxDelayMs']);
  const initialDelayMs = r.initialDelayMs ?? 1000;
  const maxDelayMs = r.maxDelayMs ?? 30_000;
  for (const [name, v] of [['initialDelayMs', initialDelayMs], ['maxDelayMs', maxDelayMs]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`${arg('reconnect')}.${name}`, `expected a number of milliseconds ≥ 0, got ${describeValue(v)}`);
  }
  const createSocket = o.createWebSocket ?? ((u: string) => {
    const WS = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
    if (WS === undefined) throw new InvalidArgumentError(arg('createWebSocket'), 'this runtime has no global WebSocket (Node 20): pass createWebSocket, e.g. (url) => new WebSocket(url) from the ws package');
    return new WS(u);
  });
  const reading = logSource<string | Uint8Array>(log, { partitions });
  const settings = { url: target, log, partitions, createSocket, maxMessageBytes, deadLetters: o.deadLetters?.id, initialDelayMs, maxDelayMs };
  return {
    kind: 'weir.source',
    name: `webSocket(${target} → log ${log})`,
    bounded: false,
    createSplits: (parallelism) => reading.createSplits(parallelism),
    createReader: (splits, ctx) => new CapturingReader(reading.createReader(splits, ctx), ctx, settings),
  };
}

type Settings = {
  url: string; log: string; partitions: number; createSocket: (url: string) => WebSocketLike;
  maxMessageBytes: number; deadLetters: string | undefined; initialDelayMs: number; maxDelayMs: number;
};

/** The log's reader, and in subtask 0 the connection that appends to the log. */
class CapturingReader implements SourceReader<string | Uint8Array> {
  private readonly pending: (string | Uint8Array)[] = [];
  private readonly refused: { value: string; error: string }[] = [];
  private failure: unknown;
  private socket: WebSocketLike | undefined;
  private closed = false;
  private appending = false;
  private delay: number;
  private logHandle: Promise<InputLog<string | Uint8Array>> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly reader: SourceReader<string | Uint8Array>, private readonly ctx: SourceReaderContext, private readonly settings: Settings) {
    this.delay = settings.initialDelayMs;
    if (ctx.subtaskIndex === 0) {
      this.logHandle = openInputLog<string | Uint8Array>(ctx.storage, settings.log, { partitions: settings.partitions });
      this.logHandle.catch((error: unknown) => this.fail(error));
      this.connect();
    }
  }

  poll(max: number, emit: (value: string | Uint8Array) => void): PollStatus {
    if (this.failure !== undefined) throw this.failure;
    for (const { value, error } of this.refused.splice(0)) {
      if (this.settings.deadLetters === undefined) throw new WeirError('MALFORMED_INPUT', `${error}. Pass { deadLetters: tag } to send such messages to a side output`, { domain: 'external', retryable: false, details: { url: this.settings.url } });
      this.ctx.output({ id: this.settings.deadLetters }, { value, error, operator: this.ctx.sourceUid });
    }
    const status = this.reader.poll(max, emit);
    if (status.kind !== 'nothing' || this.ctx.subtaskIndex !== 0) return status;
    // Also wake for what only the capture knows: a refused message, a failure.
    const mine = new Promise<void>((resolve) => (this.wake = resolve));
    return { kind: 'nothing', available: Promise.race([status.available, mine]) };
  }

  snapshotSplits(checkpointId: number): SourceSplit[] {
    return this.reader.snapshotSplits(checkpointId);
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> | void {
    return this.reader.notifyCheckpointComplete?.(checkpointId);
  }

  close(): void {
    this.closed = true;
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    this.reader.close?.();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.failure ??= error;
    this.wake?.();
  }

  private connect(): void {
    if (this.closed) return;
    let socket: WebSocketLike;
    try {
      socket = this.settings.createSocket(this.settings.url);
      socket.binaryType = 'arraybuffer';
    } catch (error) {
      return this.fail(error);
    }
    this.socket = socket;
    socket.onmessage = (event) => this.capture(event.data);
    socket.onerror = () => {}; // a close follows
    socket.onclose = () => {
      if (this.closed || this.socket !== socket) return;
      const delay = this.delay;
      this.delay = Math.min(Math.max(this.delay * 2, 1), this.settings.maxDelayMs);
      void this.ctx.sleep(delay).then(() => this.connect());
    };
  }

  private capture(data: unknown): void {
    if (this.closed) return;
    this.delay = this.settings.initialDelayMs; // a working connection
    const value = typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) : undefined;
    if (value === undefined) {
      this.refused.push({ value: describeValue(data), error: `sources.webSocket: ${this.settings.url}: a message of an unexpected kind (${describeValue(data)})` });
      this.wake?.();
      return;
    }
    const size = typeof value === 'string' ? value.length : value.byteLength;
    if (size > this.settings.maxMessageBytes) {
      const head = typeof value === 'string' ? value.slice(0, 1024) : `${size} bytes`;
      this.refused.push({ value: head, error: `sources.webSocket: ${this.settings.url}: a message of ${size} bytes, more than maxMessageBytes (${this.settings.maxMessageBytes}), was not captured` });
      this.wake?.();
      return;
    }
    this.pending.push(value);
    if (!this.appending) void this.appendPending();
  }

  /** Appends what arrived while the previous append was in flight as one batch: one stored value per group. */
  private async appendPending(): Promise<void> {
    this.appending = true;
    try {
      const log = await this.logHandle!;
      while (this.pending.length > 0 && !this.closed) await log.append(this.pending.splice(0));
    } catch (error) {
      this.fail(error); // a full quota: the job fails rather than drop what it was sent
    } finally {
      this.appending = false;
    }
  }
}
