// The event stream format of Server-Sent Events (WHATWG HTML §9.2.6), from decoded text: lines
// end in CRLF, LF or CR; 'data', 'event', 'id' and 'retry' fields; a blank line dispatches; ':'
// starts a comment. Pure and bounded: a line or an event's data longer than `maxEventBytes`
// characters is an error (SseSyntaxError), never buffered whole.
import { WeirError } from '../../errors/index.js';

export interface ServerSentEvent<T = string> {
  /** The last event id the stream set (what a reconnect sends as Last-Event-ID); '' when none. */
  readonly id: string;
  /** The event type; 'message' when the stream names none. */
  readonly event: string;
  readonly data: T;
}

export class SseSyntaxError extends WeirError {
  override name = 'SseSyntaxError';

  constructor(message: string) {
    super('MALFORMED_INPUT', message, { domain: 'external', retryable: false });
  }
}

export interface SseOutput {
  event(event: ServerSentEvent): void;
  /** The stream asked for another reconnection delay. */
  retry(ms: number): void;
}

export class SseParser {
  private pending = '';
  private afterCR = false;
  private data: string[] = [];
  private dataLength = 0;
  private type = '';
  private id: string;
  private started = false;

  constructor(lastEventId: string, private readonly maxEventBytes: number) {
    this.id = lastEventId;
  }

  /** The id a reconnect sends: the last one the stream set. */
  get lastEventId(): string {
    return this.id;
  }

  push(text: string, out: SseOutput): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let from = 0;
    if (this.afterCR && text.charCodeAt(0) === 0x0a) from = 1; // the LF of a CRLF split across chunks
    this.afterCR = false;
    while (from < text.length) {
      let end = from;
      while (end < text.length) {
        const c = text.charCodeAt(end);
        if (c === 0x0a || c === 0x0d) break;
        end++;
      }
      if (end === text.length) {
        this.keep(text.slice(from));
        return;
      }
      const line = this.pending === '' ? text.slice(from, end) : this.pending + text.slice(from, end);
      this.pending = '';
      if (text.charCodeAt(end) === 0x0d) {
        if (end + 1 === text.length) this.afterCR = true;
        else if (text.charCodeAt(end + 1) === 0x0a) end++;
      }
      from = end + 1;
      this.line(line, out);
    }
  }

  /** The connection ended: an event not yet dispatched by its blank line is dropped, as the spec says. */
  reset(): void {
    this.pending = '';
    this.afterCR = false;
    this.data = [];
    this.dataLength = 0;
    this.type = '';
    this.started = false;
  }

  private keep(part: string): void {
    if (this.pending.length + part.length > this.maxEventBytes) {
      this.reset();
      throw new SseSyntaxError(`a line of the event stream is longer than maxEventBytes (${this.maxEventBytes})`);
    }
    this.pending += part;
  }

  private line(line: string, out: SseOutput): void {
    if (line.length > this.maxEventBytes) throw new SseSyntaxError(`a line of the event stream is longer than maxEventBytes (${this.maxEventBytes})`);
    if (line === '') return this.dispatch(out);
    if (line.charCodeAt(0) === 0x3a) return; // a comment (a keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataLength += value.length + 1;
        if (this.dataLength > this.maxEventBytes) {
          this.data = [];
          this.dataLength = 0;
          throw new SseSyntaxError(`an event's data is longer than maxEventBytes (${this.maxEventBytes})`);
        }
        this.data.push(value);
        return;
      case 'event':
        this.type = value;
        return;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        return;
      case 'retry':
        if (/^\d+$/.test(value)) out.retry(Number(value));
        return;
      default:
        return; // unknown fields are ignored
    }
  }

  private dispatch(out: SseOutput): void {
    const data = this.data;
    const type = this.type;
    this.data = [];
    this.dataLength = 0;
    this.type = '';
    if (data.length === 0) return;
    out.event({ id: this.id, event: type === '' ? 'message' : type, data: data.join('\n') });
  }
}
