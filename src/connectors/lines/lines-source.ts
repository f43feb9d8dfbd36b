import { describeValue, InvalidArgumentError, requireOneOf, requireOptions, WeirError } from '../../errors/index.js';
import type { DeadLetter, OutputTagLike } from '../../graph/user-functions.js';
import type { Source } from '../source.js';
import { openHttp, type OpenBytes } from './byte-input.js';
import type { LineFormat } from './line-formats.js';
import { LinesReader, type LinesSplit } from './lines-reader.js';

export interface LinesOptions {
  /** 'text' (default): each line a string; 'ndjson': each non-blank line parsed as JSON; 'csv': RFC 4180 records. */
  format?: LineFormat;
  /** CSV: the first record names the columns, and each record becomes an object (default true); false gives arrays of strings. */
  header?: boolean;
  /** A line that does not parse (or is longer than maxLineBytes) goes to this side output; without it, it fails the job. */
  deadLetters?: OutputTagLike<DeadLetter<string>>;
  /** The longest line (a CSV record) read, in bytes; a longer one is malformed input and never held whole. Default 1 MiB. */
  maxLineBytes?: number;
  /** HTTP request headers (authorization). */
  headers?: Record<string, string>;
  /** The fetch to use for HTTP(S); default the global one. */
  fetch?: typeof fetch;
}

/** How a runtime opens a target that is not an http(s) URL (a file path in Node and Deno); absent in a browser. */
export type OpenFile = (target: string, offset: number, signal: AbortSignal) => ReturnType<OpenBytes>;

const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/**
 * Makes `sources.lines` for one runtime: the lines of HTTP(S) resources (and, where `openFile` is
 * given, files), one split per target, each resumed at its checkpointed byte offset (an HTTP
 * Range request, or a file read at that position); bounded.
 */
export function createLines(openFile: OpenFile | undefined) {
  return function lines<T = string>(target: string | URL | readonly (string | URL)[], options?: LinesOptions): Source<T> {
    const targets = checkTargets(target, openFile !== undefined);
    const o = requireOptions<LinesOptions>('sources.lines(target, options)', options, ['format', 'header', 'deadLetters', 'maxLineBytes', 'headers', 'fetch']);
    const arg = (name: string) => `sources.lines(target, options).${name}`;
    const format = o.format === undefined ? 'text' : requireOneOf(arg('format'), o.format, ['text', 'ndjson', 'csv'] as const);
    if (o.header !== undefined && typeof o.header !== 'boolean') throw new InvalidArgumentError(arg('header'), `expected true or false, got ${describeValue(o.header)}`);
    if (o.deadLetters !== undefined && !isTag(o.deadLetters)) throw new InvalidArgumentError(arg('deadLetters'), `expected an OutputTag, got ${describeValue(o.deadLetters)}`);
    const maxLineBytes = o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (typeof maxLineBytes !== 'number' || !Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) throw new InvalidArgumentError(arg('maxLineBytes'), `expected a positive integer number of bytes, got ${describeValue(maxLineBytes)}`);
    const headers = checkHeaders(arg('headers'), o.headers);
    if (o.fetch !== undefined && typeof o.fetch !== 'function') throw new InvalidArgumentError(arg('fetch'), `expected a function, got ${describeValue(o.fetch)}`);
    const fetchImpl = o.fetch;
    const open: OpenBytes = (t, offset, signal) => {
      if (isHttp(t)) {
        const f = fetchImpl ?? (globalThis as { fetch?: typeof fetch }).fetch;
        if (f === undefined) return Promise.reject(new InvalidArgumentError(arg('fetch'), 'this runtime has no global fetch: pass one'));
        return openHttp(t, offset, signal, { fetch: f, headers });
      }
      return openFile!(t, offset, signal);
    };
    return {
      kind: 'weir.source',
      name: `lines(${targets.length === 1 ? targets[0] : `${targets.length} targets`})`,
      bounded: true,
      createSplits: () => targets.map((t): LinesSplit => ({ target: t, offset: 0, line: 0 })),
      createReader: (splits, ctx) => new LinesReader(splits.map(checkSplit), ctx, {
        format, csvHeader: o.header ?? true, maxLineBytes, deadLetters: o.deadLetters?.id, open, describe: 'sources.lines:',
      }) as unknown as ReturnType<Source<T>['createReader']>,
    };
  };
}

function isHttp(target: string): boolean {
  return /^https?:\/\//i.test(target);
}

function isTag(value: unknown): value is OutputTagLike<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'weir.output-tag' && typeof (value as { id?: unknown }).id === 'string';
}

function checkTargets(target: unknown, files: boolean): string[] {
  const list = Array.isArray(target) ? target : [target];
  if (list.length === 0) throw new InvalidArgumentError('sources.lines(target)', 'expected a URL, a path or a non-empty array of them, got an empty array');
  return list.map((t, i) => {
    const argument = Array.isArray(target) ? `sources.lines(target[${i}])` : 'sources.lines(target)';
    if (t instanceof URL) t = t.href;
    if (typeof t !== 'string' || t === '') throw new InvalidArgumentError(argument, `expected a URL or a file path, got ${describeValue(t)}`);
    if (isHttp(t)) return t;
    if (files) return t;
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    let url: URL | undefined;
    try {
      url = new URL(t, base);
    } catch {
      url = undefined;
    }
    if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:')) return url.href;
    throw new InvalidArgumentError(argument, `'${t}' is not an http(s) URL; files are read in Node and Deno only`);
  });
}

function checkHeaders(argument: string, headers: unknown): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw new InvalidArgumentError(argument, `expected an object of header names and values, got ${describeValue(headers)}`);
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`${argument}.${name}`, `expected a string, got ${describeValue(value)}`);
  }
  return { ...(headers as Record<string, string>) };
}

function checkSplit(split: Record<string, unknown>): LinesSplit {
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const ok = typeof split.target === 'string' && count(split.offset) && count(split.line) &&
    (split.header === undefined || (Array.isArray(split.header) && split.header.every((h) => typeof h === 'string'))) &&
    (split.version === undefined || typeof split.version === 'string');
  if (!ok) throw new WeirError('STATE_MISMATCH', `sources.lines: a restored split is not a position in a file or resource: ${JSON.stringify(split).slice(0, 200)}`, { domain: 'user', retryable: false });
  return split as LinesSplit;
}
