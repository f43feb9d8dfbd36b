// Cuts a byte stream into lines at '\n' (a '\r' before it is dropped), keeping each line's byte
// offsets, with bounded memory: a line longer than `maxLineBytes` is never buffered whole. Its
// first bytes are kept for the report and the rest is skipped up to the next newline. Pure: bytes
// in, lines out. UTF-8 never has 0x0A inside a multi-byte sequence, so cutting bytes is safe.

export interface SplitLine {
  /** The line's bytes, without its '\n' (and '\r'); for a line too long, only its first `maxLineBytes`. */
  readonly bytes: Uint8Array;
  /** Offsets of the line's first byte and just past its newline (the next line's first byte). */
  readonly start: number;
  readonly end: number;
  /** Set when the line was longer than maxLineBytes (its full length in bytes, newline excluded). */
  readonly tooLong?: number;
}

export class LineSplitter {
  private readonly parts: Uint8Array[] = [];
  private kept = 0;
  private lineStart: number;
  private position: number;
  /** Bytes of the current line beyond what is kept (a line too long). */
  private dropped = 0;

  constructor(startOffset: number, private readonly maxLineBytes: number) {
    this.lineStart = startOffset;
    this.position = startOffset;
  }

  /** Feeds `chunk`; calls `onLine` for every line it completes. */
  push(chunk: Uint8Array, onLine: (line: SplitLine) => void): void {
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(0x0a, from);
      const to = newline < 0 ? chunk.length : newline;
      this.keep(chunk.subarray(from, to));
      this.position += to - from;
      if (newline < 0) break;
      this.position += 1;
      onLine(this.take());
      from = newline + 1;
    }
  }

  /** The input ended: the last line, if it had no newline. */
  finish(onLine: (line: SplitLine) => void): void {
    if (this.kept > 0 || this.dropped > 0) onLine(this.take());
  }

  /** Where the next line starts (everything before it was handed out). */
  get offset(): number {
    return this.lineStart;
  }

  private keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const room = this.maxLineBytes - this.kept;
    if (room > 0) {
      const part = bytes.length <= room ? bytes : bytes.subarray(0, room);
      this.parts.push(part.slice()); // the caller may reuse its chunk
      this.kept += part.length;
    }
    this.dropped += Math.max(0, bytes.length - room);
  }

  private take(): SplitLine {
    let bytes = this.parts.length === 1 ? this.parts[0]! : concat(this.parts, this.kept);
    const length = this.kept + this.dropped;
    if (this.dropped === 0 && bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    const line: SplitLine = { bytes, start: this.lineStart, end: this.position, ...(this.dropped > 0 ? { tooLong: length } : {}) };
    this.parts.length = 0;
    this.kept = 0;
    this.dropped = 0;
    this.lineStart = this.position;
    return line;
  }
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
