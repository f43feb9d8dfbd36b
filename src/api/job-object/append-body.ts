// The body of `POST /logs/<name>`: outside input, so every byte of it is checked before any
// record is appended (all or nothing). Pure: the caller reads the request (read-limited-body.ts)
// and appends what this returns as one batch.
import { InvalidArgumentError } from '../../errors/index.js';
import { parseJsonRecord } from '../../connectors/json-record.js';

export interface AppendLimits {
  /** Records one request may append. */
  readonly maxRecordsPerAppend: number;
  /** Bytes of one record's JSON text (UTF-8). */
  readonly maxRecordBytes: number;
}

/** A refused body: the HTTP status it answers (400 malformed, 413 too large) and the message naming the problem. */
export class AppendRefused extends InvalidArgumentError {
  readonly status: 400 | 413;
  constructor(status: 400 | 413, message: string, details: Record<string, unknown> = {}) {
    super('body', message);
    this.status = status;
    Object.assign(this.details, details);
  }
}

export type BodyFormat = 'json' | 'ndjson';

/**
 * The format a Content-Type names: a JSON array for application/json, one JSON value per line
 * for application/x-ndjson, application/ndjson and application/jsonl. Anything else (or none)
 * is sniffed: a body that is one JSON array is an array, otherwise NDJSON.
 */
export function bodyFormatOf(contentType: string | null): BodyFormat | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines') return 'ndjson';
  return undefined;
}

const encoder = new TextEncoder();
const utf8Length = (text: string) => encoder.encode(text).byteLength;

/**
 * The records of a body, or an AppendRefused naming the first problem: not JSON, a line that is
 * not JSON (its record index and line number), no record, too many, or one too large (its index).
 * JSON.parse keeps `__proto__` keys as plain own data; nothing here assigns through them. JSON nested
 * deeper than the value codec stores is refused here (parseJsonRecord), not by the log's codec.
 */
export function parseAppendBody(text: string, format: BodyFormat | undefined, limits: AppendLimits): unknown[] {
  const trimmed = text.trim();
  const records = format === 'json' || (format === undefined && trimmed.startsWith('[') && parsesAsArray(trimmed))
    ? parseArray(trimmed, limits)
    : parseLines(text, limits);
  if (records.length === 0) throw new AppendRefused(400, 'holds no records: send a JSON array of records or one JSON value per line');
  return records;
}

function parsesAsArray(text: string): boolean {
  try {
    const parsed = parseJsonRecord(text);
    return 'value' in parsed && Array.isArray(parsed.value);
  } catch {
    return false;
  }
}

function parseArray(text: string, limits: AppendLimits): unknown[] {
  const parsed = parseJsonRecord(text);
  if ('error' in parsed) throw new AppendRefused(400, `is not valid JSON: ${parsed.error}`);
  const value = parsed.value;
  if (!Array.isArray(value)) throw new AppendRefused(400, `must be a JSON array of records (Content-Type application/json), got ${value === null ? 'null' : typeof value}`);
  checkCount(value.length, limits);
  value.forEach((record, index) => {
    if (record === undefined) throw new AppendRefused(400, `record ${index} is empty`, { recordIndex: index });
    const bytes = utf8Length(JSON.stringify(record));
    if (bytes > limits.maxRecordBytes) throw tooLarge(index, bytes, limits);
  });
  return value;
}

function parseLines(text: string, limits: AppendLimits): unknown[] {
  const records: unknown[] = [];
  let line = 0;
  for (let start = 0; start <= text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    line++;
    const raw = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (raw.trim() === '') continue;
    const index = records.length;
    checkCount(index + 1, limits);
    const bytes = utf8Length(raw);
    if (bytes > limits.maxRecordBytes) throw tooLarge(index, bytes, limits, line);
    const parsed = parseJsonRecord(raw);
    if ('error' in parsed) throw new AppendRefused(400, `record ${index} (line ${line}) is not valid JSON: ${parsed.error}`, { recordIndex: index, line });
    records.push(parsed.value);
  }
  return records;
}

function checkCount(count: number, limits: AppendLimits): void {
  if (count > limits.maxRecordsPerAppend) {
    throw new AppendRefused(413, `holds more than ${limits.maxRecordsPerAppend} records (maxRecordsPerAppend); send them in several requests`, { maxRecordsPerAppend: limits.maxRecordsPerAppend });
  }
}

function tooLarge(index: number, bytes: number, limits: AppendLimits, line?: number): AppendRefused {
  const where = line === undefined ? `record ${index}` : `record ${index} (line ${line})`;
  return new AppendRefused(400, `${where} is ${bytes} bytes of JSON; a record holds at most ${limits.maxRecordBytes} (maxRecordBytes)`, { recordIndex: index, ...(line === undefined ? {} : { line }) });
}

/**
 * The request's body as text, refused with 413 once it passes `maxBytes` (by its Content-Length
 * or while reading: an endless body is never buffered whole) and with 400 when it is not UTF-8.
 */
export async function readLimitedBody(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw bodyTooLarge(maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw bodyTooLarge(maxBytes);
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AppendRefused(400, 'is not UTF-8 text');
  }
}

function bodyTooLarge(maxBytes: number): AppendRefused {
  return new AppendRefused(413, `is larger than ${maxBytes} bytes (maxBodyBytes)`, { maxBodyBytes: maxBytes });
}
