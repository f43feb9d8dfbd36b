import { describeValue, InvalidArgumentError, requireFunction, requireInteger, requireOneOf, requireOptions } from '../../errors/index.js';
import type { Committer, Sink, SinkContext, SinkWriter } from '../sink.js';
import { deliver, type DeliverySettings } from './http-delivery.js';

export interface HttpSinkOptions {
  /** Default 'POST'. */
  method?: 'POST' | 'PUT';
  /** Sent with every request (credentials belong here, never in the URL); their values never appear in an error or event. */
  headers?: Record<string, string>;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Backoff between attempts (ms, defaults 100 and 10,000) and attempts per commit (default 6) before it waits for the next checkpoint. */
  retry?: { initialDelayMs?: number; maxDelayMs?: number; attempts?: number };
}

/**
 * One subtask's output of one checkpoint. The records are held here (as JSON text) rather than
 * staged in a chunk: a request body is what a checkpoint holds until it is delivered, and a
 * committable leaves the checkpoint's state once committed, so nothing is left to clean up.
 */
export interface HttpDelivery {
  readonly idempotencyKey: string;
  readonly checkpointId: number;
  readonly records: readonly string[];
}

/**
 * Exactly-once delivery to an HTTP endpoint that keeps the idempotency keys it has seen: after
 * a checkpoint completes, each subtask sends that checkpoint's records in one request (a JSON
 * array) with `Idempotency-Key: <job>/<sink uid>/<subtask>/<checkpoint id>`; after a restore
 * what was not yet delivered goes again under the same key. An endpoint cannot take output back,
 * so a fallback past a delivered checkpoint (its successor unreadable) may deliver records again.
 */
export function http<T>(url: string | URL, options?: HttpSinkOptions): Sink<T, HttpDelivery> {
  const settings = checkHttpSinkArguments(url, options);
  return {
    kind: 'weir.sink',
    name: `http(${settings.url})`,
    guarantee: 'exactly-once',
    createWriter: (ctx) => new HttpSinkWriter<T>(ctx),
    createCommitter: (ctx) => new HttpCommitter(settings, ctx),
  };
}

class HttpSinkWriter<T> implements SinkWriter<T, HttpDelivery> {
  private records: string[] = [];

  constructor(private readonly ctx: SinkContext) {}

  /** Serialized at once: a record JSON cannot carry fails here, as a user function's throw would, not at delivery. */
  write(value: T): void {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new InvalidArgumentError('sinks.http record', `cannot be sent as JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (text === undefined) throw new InvalidArgumentError('sinks.http record', `cannot be sent as JSON, got ${describeValue(value)}`);
    this.records.push(text);
  }

  prepareCommit(checkpointId: number): HttpDelivery | undefined {
    if (this.records.length === 0) return undefined;
    const records = this.records;
    this.records = [];
    const { jobName, sinkUid, subtaskIndex } = this.ctx;
    return { idempotencyKey: idempotencyKey(jobName, sinkUid, subtaskIndex, checkpointId), checkpointId, records };
  }
}

class HttpCommitter implements Committer<HttpDelivery> {
  constructor(private readonly settings: DeliverySettings, private readonly ctx: SinkContext) {}

  /** In checkpoint order; one delivered twice (a restore) goes under the same key, which the endpoint recognises. */
  async commit(deliveries: readonly HttpDelivery[]): Promise<void> {
    // The sink operator always gives the job's clock; a committer run elsewhere retries at once.
    const sleep = (ms: number) => this.ctx.sleep?.(ms) ?? Promise.resolve();
    for (const d of deliveries) await deliver(this.settings, { idempotencyKey: d.idempotencyKey, body: `[${d.records.join(',')}]` }, sleep);
  }
}

/** `<job>/<sink uid>/<subtask>/<checkpoint id>`, each name URI-encoded (a header value is Latin-1, and '/' separates). */
export function idempotencyKey(jobName: string, sinkUid: string, subtaskIndex: number, checkpointId: number): string {
  return `${encodeURIComponent(jobName)}/${encodeURIComponent(sinkUid)}/${subtaskIndex}/${checkpointId}`;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_HEADERS = ['idempotency-key', 'content-type', 'content-length', 'host'];

function checkHttpSinkArguments(url: string | URL, options: HttpSinkOptions | undefined): DeliverySettings {
  const text = url instanceof URL ? url.href : url;
  let parsed: URL | undefined;
  try {
    parsed = typeof text === 'string' ? new URL(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new InvalidArgumentError('sinks.http(url)', `expected an http(s) URL, got ${describeValue(url)}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new InvalidArgumentError('sinks.http(url)', 'must not carry credentials (user:password@): they would show in errors and logs; send them in options.headers, e.g. Authorization');
  }
  const o = requireOptions<HttpSinkOptions>('sinks.http(url, options)', options, ['method', 'headers', 'fetch', 'retry']);
  const arg = (name: string) => `sinks.http(url, options).${name}`;
  const method = o.method === undefined ? 'POST' : requireOneOf(arg('method'), o.method, ['POST', 'PUT'] as const);
  const headers = requireOptions<Record<string, string>>(arg('headers'), o.headers, Object.keys(o.headers ?? {}));
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new InvalidArgumentError(`${arg('headers')}['${name}']`, 'is not a valid header name');
    if (RESERVED_HEADERS.includes(name.toLowerCase())) throw new InvalidArgumentError(`${arg('headers')}['${name}']`, 'is set by the sink itself');
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new InvalidArgumentError(`${arg('headers')}['${name}']`, 'expected a string without line breaks (its value is not shown)');
  }
  const fetchImpl = o.fetch === undefined ? undefined : requireFunction<typeof fetch>(arg('fetch'), o.fetch);
  const r = requireOptions<NonNullable<HttpSinkOptions['retry']>>(arg('retry'), o.retry, ['initialDelayMs', 'maxDelayMs', 'attempts']);
  const initialDelayMs = r.initialDelayMs === undefined ? 100 : requireInteger(`${arg('retry')}.initialDelayMs`, r.initialDelayMs, { min: 0 });
  const maxDelayMs = r.maxDelayMs === undefined ? 10_000 : requireInteger(`${arg('retry')}.maxDelayMs`, r.maxDelayMs, { min: initialDelayMs });
  const attempts = r.attempts === undefined ? 6 : requireInteger(`${arg('retry')}.attempts`, r.attempts, { min: 1, max: 1000 });
  if (parsed.hash !== '') throw new InvalidArgumentError('sinks.http(url)', 'must not have a #fragment');
  return { url: parsed.href, method, headers: { ...headers } as Record<string, string>, fetch: fetchImpl, initialDelayMs, maxDelayMs, attempts };
}
