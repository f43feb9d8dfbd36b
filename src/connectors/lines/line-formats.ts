// Lines to records, per format: 'text' (each line a string), 'ndjson' (each non-blank line a JSON
// value), 'csv' (records of RFC 4180, over several lines when a quoted field holds newlines; with a
// header row, each record an object keyed by it). Pure. A record that does not parse comes out as
// `malformed`, with its raw text and why; the reader fails the job on it or sends it to dead letters.
// JSON.parse and Object.fromEntries make own data properties: '__proto__' and 'constructor' keys
// stay plain data (no prototype is set, nothing is polluted); JSON nesting is bounded (json-record.ts).
import { parseJsonRecord } from '../json-record.js';
import { csvRecordComplete, CsvSyntaxError, parseCsvRecord } from './csv-record.js';
import type { SplitLine } from './line-splitter.js';

export type LineFormat = 'text' | 'ndjson' | 'csv';

/**
 * `end` is the byte offset just past the record (where to resume after it), `line` its first line
 * (for messages) and `lines` the lines read up to `end`. A `skip` consumed input without a record
 * (a CSV header, a blank line): the position still moves past it.
 */
export type ParsedRecord =
  | { readonly kind: 'record'; readonly value: unknown; readonly end: number; readonly line: number; readonly lines: number }
  | { readonly kind: 'malformed'; readonly raw: string; readonly error: string; readonly end: number; readonly line: number; readonly lines: number }
  /** `header`: the CSV header this skip read, which the position carries from here on. */
  | { readonly kind: 'skip'; readonly end: number; readonly lines: number; readonly header?: readonly string[] };

/** What a split remembers to resume mid-file: the line number, and a CSV file's header. */
export interface FormatState {
  readonly line: number;
  readonly header?: readonly string[];
}

const decoder = new TextDecoder('utf-8');
/** How much of a bad record's text a dead letter or an error message carries. */
const RAW_LIMIT = 1024;

export class LineParser {
  private line: number;
  private header: readonly string[] | undefined;
  /** CSV: the lines of a record whose quoted field continues on the next line. */
  private pending: { text: string; bytes: number; line: number } | undefined;

  constructor(
    private readonly format: LineFormat,
    private readonly options: { readonly csvHeader: boolean; readonly maxLineBytes: number },
    state: FormatState,
  ) {
    this.line = state.line;
    this.header = state.header;
  }

  /** Resumes after a broken connection at the end of the last record parsed: a CSV record left open is read again. */
  resumeAt(lines: number): void {
    this.line = lines;
    this.pending = undefined;
  }

  parse(split: SplitLine, out: (record: ParsedRecord) => void): void {
    const number = ++this.line;
    const lines = number;
    const { end } = split;
    if (split.tooLong !== undefined) {
      const first = this.pending?.line ?? number;
      this.pending = undefined;
      out({ kind: 'malformed', raw: preview(decoder.decode(split.bytes)), error: `the line is ${split.tooLong} bytes long, more than maxLineBytes (${this.options.maxLineBytes})`, end, line: first, lines });
      return;
    }
    let text = decoder.decode(split.bytes);
    if (split.start === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark
    switch (this.format) {
      case 'text':
        out({ kind: 'record', value: text, end, line: number, lines });
        return;
      case 'ndjson':
        if (text.trim() === '') {
          out({ kind: 'skip', end, lines });
          return;
        }
        {
          const parsed = parseJsonRecord(text);
          if ('value' in parsed) out({ kind: 'record', value: parsed.value, end, line: number, lines });
          else out({ kind: 'malformed', raw: preview(text), error: `not JSON: ${parsed.error}`, end, line: number, lines });
        }
        return;
      case 'csv':
        this.parseCsv(text, split, number, out);
        return;
    }
  }

  /** The input ended: a CSV record left open is malformed. */
  finish(end: number, out: (record: ParsedRecord) => void): void {
    if (this.pending === undefined) return;
    const { text, line } = this.pending;
    this.pending = undefined;
    out({ kind: 'malformed', raw: preview(text), error: 'a quoted field is never closed before the end of the input', end, line, lines: this.line });
  }

  private parseCsv(text: string, split: SplitLine, number: number, out: (record: ParsedRecord) => void): void {
    const open = this.pending;
    const record = open === undefined ? text : `${open.text}\n${text}`;
    const bytes = (open?.bytes ?? 0) + split.end - split.start;
    const first = open?.line ?? number;
    const { end } = split;
    const lines = number;
    if (!csvRecordComplete(record)) {
      if (bytes > this.options.maxLineBytes) {
        this.pending = undefined;
        out({ kind: 'malformed', raw: preview(record), error: `a quoted field runs over more than maxLineBytes (${this.options.maxLineBytes})`, end, line: first, lines });
        return;
      }
      this.pending = { text: record, bytes, line: first };
      return;
    }
    this.pending = undefined;
    if (record === '') {
      out({ kind: 'skip', end, lines }); // a blank line between records
      return;
    }
    let fields: string[];
    try {
      fields = parseCsvRecord(record);
    } catch (error) {
      if (!(error instanceof CsvSyntaxError)) throw error;
      out({ kind: 'malformed', raw: preview(record), error: `not CSV: ${error.message}`, end, line: first, lines });
      return;
    }
    if (!this.options.csvHeader) {
      out({ kind: 'record', value: fields, end, line: first, lines });
      return;
    }
    if (this.header === undefined) {
      const duplicate = fields.find((f, i) => fields.indexOf(f) !== i);
      if (duplicate !== undefined) {
        out({ kind: 'malformed', raw: preview(record), error: `the header names the column '${preview(duplicate)}' twice`, end, line: first, lines });
        return;
      }
      this.header = fields;
      out({ kind: 'skip', end, lines, header: fields });
      return;
    }
    const header = this.header;
    if (fields.length !== header.length) {
      out({ kind: 'malformed', raw: preview(record), error: `${fields.length} field(s), the header has ${header.length}`, end, line: first, lines });
      return;
    }
    out({ kind: 'record', value: Object.fromEntries(header.map((name, i) => [name, fields[i]])), end, line: first, lines });
  }
}

function preview(text: string): string {
  return text.length > RAW_LIMIT ? `${text.slice(0, RAW_LIMIT)}…` : text;
}
