import { WeirError } from '../../errors/index.js';

/** Bytes of a file or an HTTP resource from an offset on. */
export interface ByteInput {
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Bytes at the front of `chunks` that come before the offset asked for (a server that ignored Range). */
  readonly skip: number;
  /** What identifies this version of the resource (ETag, Last-Modified), when the server says. */
  readonly version?: string;
}

/** Opens `target` at byte `offset`. Must reject with a WeirError whose `retryable` says whether trying again may help. */
export type OpenBytes = (target: string, offset: number, signal: AbortSignal) => Promise<ByteInput>;

export interface HttpInputOptions {
  readonly fetch: typeof fetch;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * An HTTP(S) resource from `offset` on: asks with `Range: bytes=<offset>-`; a 206 must start
 * there, a 200 (the server ignored Range) is read from the start and the first `offset` bytes
 * skipped, a 416 means the offset is at the end. Network errors, 5xx and 429 are retryable.
 */
export async function openHttp(url: string, offset: number, signal: AbortSignal, options: HttpInputOptions): Promise<ByteInput> {
  let response: Response;
  try {
    response = await options.fetch(url, { headers: offset > 0 ? { ...options.headers, Range: `bytes=${offset}-` } : { ...options.headers }, signal, cache: 'no-store' });
  } catch (error) {
    throw sourceFailed(`cannot fetch ${url}: ${error instanceof Error ? error.message : String(error)}`, true, { url }, error);
  }
  const version = response.headers.get('etag') ?? response.headers.get('last-modified') ?? undefined;
  if (response.status === 416 && offset > 0) {
    await response.body?.cancel().catch(() => undefined);
    return { chunks: empty(), skip: 0, ...(version !== undefined ? { version } : {}) };
  }
  if (response.status === 206) {
    const range = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
    if (range === null || Number(range[1]) !== offset) {
      await response.body?.cancel().catch(() => undefined);
      throw sourceFailed(`${url} answered a Range request for byte ${offset} with the range '${response.headers.get('content-range') ?? ''}'`, false, { url, offset });
    }
    return { chunks: bodyChunks(response), skip: 0, ...(version !== undefined ? { version } : {}) };
  }
  if (response.status === 200) return { chunks: bodyChunks(response), skip: offset, ...(version !== undefined ? { version } : {}) };
  await response.body?.cancel().catch(() => undefined);
  const retryable = response.status >= 500 || response.status === 429;
  throw sourceFailed(`${url} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, retryable, { url, status: response.status });
}

export function sourceFailed(message: string, retryable: boolean, details: Record<string, unknown>, cause?: unknown): WeirError {
  return new WeirError('SOURCE_FAILED', message, { domain: 'external', retryable, details, cause });
}

async function* empty(): AsyncIterable<Uint8Array> {}

/** A response body as chunks, through getReader (async iteration of ReadableStream is not everywhere yet). */
export async function* bodyChunks(response: Response): AsyncIterable<Uint8Array> {
  const body = response.body;
  if (body === null) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value !== undefined && value.length > 0) yield value;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
