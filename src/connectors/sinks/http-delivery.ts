import { WeirError } from '../../errors/index.js';

// One committable's delivery to an HTTP endpoint: a request with its Idempotency-Key, retried
// with exponential backoff while the endpoint is unreachable or answers 5xx / 429, followed
// through same-origin 307/308 redirects only (a cross-origin one would hand the headers to
// another server). No error or event ever holds a header value: the caller's headers often carry
// credentials, and a response body that echoes one is redacted.

export interface DeliverySettings {
  readonly url: string;
  readonly method: 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly fetch: typeof fetch | undefined;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Requests per commit before the commit is deferred to the next checkpoint (which starts over). */
  readonly attempts: number;
}

export interface Delivery {
  readonly idempotencyKey: string;
  /** The JSON array body. */
  readonly body: string;
}

const MAX_REDIRECTS = 5;
const MAX_EXCERPT = 500;

/** Sends one delivery until a 2xx. Rejects retryable (the commit is deferred) or not (4xx: the job fails). */
export async function deliver(settings: DeliverySettings, delivery: Delivery, sleep: (ms: number) => Promise<void>): Promise<void> {
  let delay = settings.initialDelayMs;
  let last = '';
  for (let attempt = 1; attempt <= settings.attempts; attempt++) {
    const outcome = await sendOnce(settings, delivery);
    if (outcome.kind === 'delivered') return;
    last = outcome.reason;
    if (attempt === settings.attempts) break;
    await sleep(outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, settings.maxDelayMs) : delay);
    delay = Math.min(delay * 2, settings.maxDelayMs);
  }
  throw new WeirError('SINK_FAILED', `sinks.http: ${settings.url} did not take '${delivery.idempotencyKey}' after ${settings.attempts} attempt(s) (${last}); it is sent again, under the same key, with the next checkpoint`, {
    domain: 'external', retryable: true, details: { url: settings.url, idempotencyKey: delivery.idempotencyKey },
  });
}

type Outcome = { kind: 'delivered' } | { kind: 'retry'; reason: string; retryAfterMs?: number };

async function sendOnce(settings: DeliverySettings, delivery: Delivery): Promise<Outcome> {
  const fetchImpl = settings.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (fetchImpl === undefined) throw new WeirError('SINK_FAILED', 'sinks.http: this runtime has no global fetch: pass options.fetch', { domain: 'user', retryable: false, details: {} });
  let url = settings.url;
  for (let redirects = 0; ; redirects++) {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: settings.method,
        headers: { ...settings.headers, 'Content-Type': 'application/json', 'Idempotency-Key': delivery.idempotencyKey },
        body: delivery.body,
        redirect: 'manual', // no `cache` option: workerd refuses it, and a POST or PUT is never cached
      });
    } catch (error) {
      return { kind: 'retry', reason: `network error: ${redact(error instanceof Error ? error.message : String(error), settings)}` };
    }
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel().catch(() => undefined);
      return { kind: 'delivered' };
    }
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel().catch(() => undefined);
      url = followable(settings, url, response, redirects);
      continue;
    }
    if (response.status >= 500 || response.status === 429) {
      await response.body?.cancel().catch(() => undefined);
      const retryAfterMs = retryAfter(response.headers.get('retry-after'));
      return { kind: 'retry', reason: `HTTP ${response.status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
    const excerpt = redact((await response.text().catch(() => '')).slice(0, MAX_EXCERPT), settings);
    throw new WeirError('SINK_FAILED', `sinks.http: ${settings.url} refused '${delivery.idempotencyKey}' with HTTP ${response.status}${excerpt === '' ? '' : `: ${excerpt}`}`, {
      domain: 'external', retryable: false, details: { url: settings.url, status: response.status, response: excerpt, idempotencyKey: delivery.idempotencyKey },
    });
  }
}

/** The next URL of a redirect this sink may follow (same origin, 307/308, which keep method and body); anything else fails the job. */
function followable(settings: DeliverySettings, from: string, response: Response, redirects: number): string {
  const location = response.headers.get('location');
  const target = location === null ? undefined : parseUrl(location, from);
  const refuse = (why: string) => new WeirError('SINK_FAILED', `sinks.http: ${settings.url} redirected (HTTP ${response.status || 'opaque'}) and the redirect was not followed: ${why}`, {
    domain: 'external', retryable: false, details: { url: settings.url, status: response.status },
  });
  if (target === undefined) throw refuse('its target is unknown (a browser hides it); point the sink at the final URL');
  if (target.origin !== new URL(from).origin) throw refuse(`it leads to another origin (${target.origin}), which must not get this request's headers`);
  if (response.status !== 307 && response.status !== 308) throw refuse('only 307 and 308 keep the method and the body');
  if (redirects >= MAX_REDIRECTS) throw refuse(`more than ${MAX_REDIRECTS} redirects`);
  return target.href;
}

function parseUrl(location: string, base: string): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

function retryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d{1,6}$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}

/** Replaces every header value (of 4 or more characters) found in `text`. */
export function redact(text: string, settings: Pick<DeliverySettings, 'headers'>): string {
  let out = text;
  for (const value of Object.values(settings.headers)) if (value.length >= 4) out = out.split(value).join('[redacted]');
  return out;
}
