import { describeValue, InvalidArgumentError, requireOneOf, requireOptions, WeirError } from '../../errors/index.js';
import type { DeadLetter, OutputTagLike } from '../../graph/user-functions.js';
import { parseJsonRecord } from '../json-record.js';
import { bodyChunks, sourceFailed } from '../lines/byte-input.js';
import type { PollStatus, Source, SourceReader, SourceReaderContext, SourceSplit } from '../source.js';
import { SseParser, SseSyntaxError, type ServerSentEvent } from './sse-parser.js';

export interface SseOptions {
  /** 'text' (default): `data` as the stream sent it; 'json': `data` parsed as JSON. */
  format?: 'text' | 'json';
  /** With 'json', an event whose data does not parse goes here; without it, it fails the job. */
  deadLetters?: OutputTagLike<DeadLetter<string>>;
  /** HTTP request headers (authorization). */
  headers?: Record<string, string>;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Reconnection delays: from `initialDelayMs` (default 1000, or what the stream's `retry:` says), doubling up to `maxDelayMs` (default 30 s). */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** The longest line or event data accepted, in characters (default 1 MiB); a longer one fails the job. */
  maxEventBytes?: number;
}

interface SseSplit extends SourceSplit {
  readonly url: string;
  /** The id of the last event emitted: a resumed reader sends it as Last-Event-ID, and the server sends what came after. */
  readonly lastEventId: string;
}

type Queued = { event: ServerSentEvent<unknown> } | { malformed: ServerSentEvent; error: string };

const HIGH_WATER = 4096;
const DEFAULT_MAX_EVENT_BYTES = 1 << 20;

/**
 * Server-Sent Events read over fetch (so Last-Event-ID can be sent on resume): one split, whose
 * position is the last event id; reconnects with backoff after a dropped connection, 5xx or 429;
 * ends when the server answers 204 (the spec's "stop reconnecting"). Exactly once needs a server
 * that sets event ids and honours Last-Event-ID.
 */
export function sse<T = string>(url: string | URL, options?: SseOptions): Source<ServerSentEvent<T>> {
  const target = url instanceof URL ? url.href : url;
  if (typeof target !== 'string' || !/^https?:\/\//i.test(target)) throw new InvalidArgumentError('sources.sse(url)', `expected an http(s) URL, got ${describeValue(url)}`);
  const o = requireOptions<SseOptions>('sources.sse(url, options)', options, ['format', 'deadLetters', 'headers', 'fetch', 'reconnect', 'maxEventBytes']);
  const arg = (name: string) => `sources.sse(url, options).${name}`;
  const format = o.format === undefined ? 'text' : requireOneOf(arg('format'), o.format, ['text', 'json'] as const);
  if (o.deadLetters !== undefined && (typeof o.deadLetters !== 'object' || o.deadLetters === null || (o.deadLetters as { kind?: unknown }).kind !== 'weir.output-tag')) {
    throw new InvalidArgumentError(arg('deadLetters'), `expected an OutputTag, got ${describeValue(o.deadLetters)}`);
  }
  if (o.headers !== undefined && (typeof o.headers !== 'object' || o.headers === null || Object.values(o.headers).some((v) => typeof v !== 'string'))) {
    throw new InvalidArgumentError(arg('headers'), 'expected an object of header names and string values');
  }
  if (o.fetch !== undefined && typeof o.fetch !== 'function') throw new InvalidArgumentError(arg('fetch'), `expected a function, got ${describeValue(o.fetch)}`);
  const r = requireOptions<NonNullable<SseOptions['reconnect']>>(arg('reconnect'), o.reconnect, ['initialDelayMs', 'maxDelayMs']);
  const delay = (name: 'initialDelayMs' | 'maxDelayMs', fallback: number) => {
    const v = r[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`${arg('reconnect')}.${name}`, `expected a number of milliseconds ≥ 0, got ${describeValue(v)}`);
    return v;
  };
  const settings = {
    format, deadLetters: o.deadLetters?.id, headers: { ...o.headers }, fetch: o.fetch,
    initialDelayMs: delay('initialDelayMs', 1000), maxDelayMs: delay('maxDelayMs', 30_000),
    maxEventBytes: o.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
  };
  if (!Number.isSafeInteger(settings.maxEventBytes) || settings.maxEventBytes < 1) throw new InvalidArgumentError(arg('maxEventBytes'), `expected a positive integer, got ${describeValue(o.maxEventBytes)}`);
  return {
    kind: 'weir.source',
    name: `sse(${target})`,
    bounded: false,
    createSplits: () => [{ url: target, lastEventId: '' } satisfies SseSplit],
    createReader: (splits, ctx) => new SseReader(splits as SseSplit[], ctx, settings) as unknown as SourceReader<ServerSentEvent<T>>,
  };
}

type Settings = { format: 'text' | 'json'; deadLetters: string | undefined; headers: Record<string, string>; fetch: typeof fetch | undefined; initialDelayMs: number; maxDelayMs: number; maxEventBytes: number };

class SseReader implements SourceReader<ServerSentEvent<unknown>> {
  private readonly queue: Queued[] = [];
  private committed: SseSplit | undefined;
  private ended = false;
  private failure: unknown;
  private available: Promise<void> | undefined;
  private resolveAvailable: (() => void) | undefined;
  private resumeFetch: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(splits: readonly SseSplit[], private readonly ctx: SourceReaderContext, private readonly settings: Settings) {
    const split = splits[0];
    if (split !== undefined && (typeof split.url !== 'string' || typeof split.lastEventId !== 'string')) {
      throw new WeirError('STATE_MISMATCH', `sources.sse: a restored split is not a position in an event stream: ${JSON.stringify(split).slice(0, 200)}`, { domain: 'user', retryable: false });
    }
    this.committed = split;
    if (split !== undefined) {
      void this.run(split).then(
        () => this.finish(),
        (error: unknown) => {
          if (!this.abort.signal.aborted) this.failure = error;
          this.finish();
        },
      );
    }
  }

  poll(max: number, emit: (value: ServerSentEvent<unknown>) => void): PollStatus {
    if (this.failure !== undefined) throw this.failure;
    let n = 0;
    while (n < max) {
      const item = this.queue.shift();
      if (item === undefined) break;
      const event = 'event' in item ? item.event : item.malformed;
      this.committed = { ...this.committed!, lastEventId: event.id };
      if ('event' in item) {
        emit(item.event);
        n++;
        continue;
      }
      const error = `sources.sse: ${this.committed.url}: event ${event.id === '' ? '(no id)' : `'${event.id}'`}: ${item.error}`;
      if (this.settings.deadLetters === undefined) throw new WeirError('MALFORMED_INPUT', `${error}. Pass { deadLetters: tag } to send such events to a side output`, { domain: 'user', retryable: false, details: { url: this.committed.url, id: event.id } });
      this.ctx.output({ id: this.settings.deadLetters }, { value: item.malformed.data, error, operator: this.ctx.sourceUid });
    }
    if (this.queue.length < HIGH_WATER / 2) this.resumeFetch?.();
    if (n > 0) return { kind: 'more' };
    if (this.committed === undefined || (this.ended && this.queue.length === 0)) return { kind: 'end' };
    this.available ??= new Promise<void>((resolve) => (this.resolveAvailable = resolve));
    return { kind: 'nothing', available: this.available };
  }

  snapshotSplits(): SourceSplit[] {
    return this.committed === undefined ? [] : [this.committed];
  }

  close(): void {
    this.abort.abort();
    this.resumeFetch?.();
  }

  private finish(): void {
    this.ended = true;
    this.signal();
  }

  private signal(): void {
    const resolve = this.resolveAvailable;
    this.available = undefined;
    this.resolveAvailable = undefined;
    resolve?.();
  }

  /** Connects, reads, and reconnects with backoff until the server says 204 or the reader closes. */
  private async run(split: SseSplit): Promise<void> {
    const { signal } = this.abort;
    const { settings } = this;
    const fetchImpl = settings.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    if (fetchImpl === undefined) throw new InvalidArgumentError('sources.sse(url, options).fetch', 'this runtime has no global fetch: pass one');
    let lastEventId = split.lastEventId;
    let base = settings.initialDelayMs;
    let delay = base;
    while (!signal.aborted) {
      let response: Response | undefined;
      try {
        response = await fetchImpl(split.url, {
          headers: { Accept: 'text/event-stream', ...settings.headers, ...(lastEventId !== '' ? { 'Last-Event-ID': lastEventId } : {}) },
          signal, cache: 'no-store',
        });
      } catch {
        response = undefined; // a network error: reconnect
      }
      if (signal.aborted) return;
      if (response !== undefined) {
        if (response.status === 204) return;
        if (!response.ok) {
          await response.body?.cancel().catch(() => undefined);
          if (response.status < 500 && response.status !== 429) throw sourceFailed(`sources.sse: ${split.url} answered HTTP ${response.status}`, false, { url: split.url, status: response.status });
        } else if (!(response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream')) {
          await response.body?.cancel().catch(() => undefined);
          throw sourceFailed(`sources.sse: ${split.url} answered with Content-Type '${response.headers.get('content-type') ?? ''}', not text/event-stream`, false, { url: split.url });
        } else {
          const parser = new SseParser(lastEventId, settings.maxEventBytes);
          const decoder = new TextDecoder();
          const out = {
            event: (event: ServerSentEvent) => {
              lastEventId = event.id;
              delay = base; // a working connection: the next drop starts the backoff over
              this.queue.push(this.prepare(event));
            },
            retry: (ms: number) => {
              base = Math.min(ms, settings.maxDelayMs);
              delay = base;
            },
          };
          try {
            for await (const chunk of bodyChunks(response)) {
              parser.push(decoder.decode(chunk, { stream: true }), out);
              if (this.queue.length > 0) this.signal();
              while (this.queue.length >= HIGH_WATER && !signal.aborted) await new Promise<void>((resolve) => (this.resumeFetch = resolve));
              this.resumeFetch = undefined;
            }
          } catch (error) {
            if (error instanceof SseSyntaxError) throw new WeirError('MALFORMED_INPUT', `sources.sse: ${split.url}: ${error.message}`, { domain: 'external', retryable: false, details: { url: split.url } });
            // the connection broke: reconnect below
          }
          if (signal.aborted) return;
        }
      }
      await this.ctx.sleep(delay, signal);
      delay = Math.min(Math.max(delay * 2, 1), settings.maxDelayMs);
    }
  }

  private prepare(event: ServerSentEvent): Queued {
    if (this.settings.format === 'text') return { event };
    const parsed = parseJsonRecord(event.data);
    return 'value' in parsed ? { event: { id: event.id, event: event.event, data: parsed.value } } : { malformed: event, error: `the data is not JSON: ${parsed.error}` };
  }
}
