import { CorruptDataError } from '../errors/index.js';

// The string table of an encoded batch (batch-codec.ts): every string of the batch in encoding
// order, as UTF-8 cut into segments, written by a StringSink and read back in the same order by
// a StringSource.

const encoder = new TextEncoder();
const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

// A flat string of more than ~128 KB is a large object in V8 and costs ~50x more per byte to
// make (measured: 147 KB of UTF-8 decoded 80x slower than 82 KB), so the table is cut into
// segments of about this many UTF-16 units; a string never straddles two.
const SEGMENT_CHARS = 16 * 1024;
// V8 returns a slice of 13+ units as a view that keeps the whole segment alive; a decoded key
// kept in keyed state would pin one segment per batch. Such slices are copied (shorter ones
// are copies already).
const MIN_VIEW_CHARS = 13;
// Strings up to this long are tried as ASCII written byte by byte (longer ones: encodeInto is faster).
const DIRECT_MAX_CHARS = 32;

/** The encoder's string table: UTF-8 segments in a growable buffer, plus the open segment. */
export class StringSink {
  bytes = new Uint8Array(64 * 1024);
  /** Bytes written, the open segment's direct writes included. */
  used = 0;
  /** UTF-16 units in closed segments. */
  chars = 0;
  /** UTF-16 units of the open segment written directly (ASCII), ahead of `pending`. */
  direct = 0;
  pending = '';
  /** (char end, byte end) per closed segment. */
  segments: number[] = [];

  reset(): this {
    this.used = 0;
    this.chars = 0;
    this.direct = 0;
    this.pending = '';
    this.segments = [];
    return this;
  }

  /** Appends s; returns its end offset in the table, or -1 if it ends in a lone surrogate. */
  add(s: string): number {
    // A lone high surrogate at the end could pair with the next string's low one: the
    // segment would look well-formed. Any other lone surrogate makes the segment ill-formed.
    if ((s.charCodeAt(s.length - 1) & 0xfc00) === 0xd800) return -1;
    const n = s.length;
    // A short ASCII string goes straight into the bytes (its UTF-8 is its units): measured
    // ~15 ns per 8-unit string less than concatenating it into the segment for encodeInto.
    if (this.pending.length === 0 && n <= DIRECT_MAX_CHARS) {
      const at = this.used;
      if (at + n > this.bytes.length) this.grow(at + n);
      const bytes = this.bytes;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[at + i] = c;
      }
      if (i === n) {
        this.used = at + n;
        const end = this.chars + (this.direct += n);
        if (this.direct >= SEGMENT_CHARS) this.close(0);
        return end;
      }
    }
    const pending = this.pending + s;
    const end = this.chars + this.direct + pending.length;
    if (this.direct + pending.length < SEGMENT_CHARS) this.pending = pending;
    else if (!this.flush(pending)) return -1;
    return end;
  }

  /** Closes the open segment; false if it has a lone surrogate. */
  end(): boolean {
    if (this.pending.length > 0) return this.flush(this.pending);
    if (this.direct > 0) this.close(0);
    return true;
  }

  private grow(need: number): void {
    const grown = new Uint8Array(Math.max(need, 2 * this.bytes.length));
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
  }

  /** Encodes `segment` after the open segment's direct bytes and closes the segment. */
  private flush(segment: string): boolean {
    const need = this.used + 3 * segment.length; // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (need > this.bytes.length) this.grow(need);
    const { written } = encoder.encodeInto(segment, this.bytes.subarray(this.used));
    // As many bytes as units means all ASCII; otherwise UTF-8 replaced any lone surrogate.
    if (written !== segment.length && !isWellFormed(segment)) return false;
    this.used += written;
    this.pending = '';
    this.close(segment.length);
    return true;
  }

  /** Ends the open segment: its direct units plus `encoded` units just written. */
  private close(encoded: number): void {
    this.chars += this.direct + encoded;
    this.direct = 0;
    this.segments.push(this.chars, this.used);
  }
}

/** The decoder's string table: decodes one segment at a time as the strings are read in order. */
export class StringSource {
  private segment = -1;
  private segmentStart = 0;
  private segmentEnd = 0;
  private text = '';
  private at = 0;

  constructor(
    private readonly utf8: TextDecoder,
    private readonly bytes: Uint8Array,
    private readonly segments: Uint32Array,
  ) {}

  /** The next string in table order, which ends at `end`. */
  next(end: number): string {
    if (end > this.segmentEnd) this.advance(end);
    const start = this.at;
    if (end < start) throw corrupt(`string ends at ${end} before it starts at ${start}`);
    this.at = end;
    const s = this.text.slice(start - this.segmentStart, end - this.segmentStart);
    return end - start < MIN_VIEW_CHARS ? s : ('\0' + s).slice(1); // a copy, see MIN_VIEW_CHARS
  }

  private advance(end: number): void {
    const k = ++this.segment;
    if (this.at !== this.segmentEnd || 2 * k + 1 >= this.segments.length) throw corrupt(`string table ends before ${end}`);
    this.segmentStart = this.segmentEnd;
    this.segmentEnd = this.segments[2 * k]!;
    this.text = this.utf8.decode(this.bytes.subarray(k === 0 ? 0 : this.segments[2 * k - 1], this.segments[2 * k + 1]));
    if (this.text.length !== this.segmentEnd - this.segmentStart || end > this.segmentEnd) throw corrupt(`segment ${k} does not fit`);
  }
}

/** A batch that does not decode (batch-codec.ts and its string table). */
export function corrupt(reason: string, cause?: unknown): CorruptDataError {
  const error = new CorruptDataError(`not a packed record batch: ${reason}`, { codec: 'batch-codec' });
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true });
  return error;
}
