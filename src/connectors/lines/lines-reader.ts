import { WeirError } from '../../errors/index.js';
import type { PollStatus, SourceReader, SourceReaderContext, SourceSplit } from '../source.js';
import { sourceFailed, type OpenBytes } from './byte-input.js';
import { LineParser, type LineFormat, type ParsedRecord } from './line-formats.js';
import { LineSplitter } from './line-splitter.js';

/** One file or resource, and where its reader stands: the split's state in a checkpoint. */
export interface LinesSplit extends SourceSplit {
  readonly target: string;
  /** The byte offset of the next record to emit. */
  readonly offset: number;
  /** Lines before `offset` (for messages). */
  readonly line: number;
  /** A CSV file's header, once read past it. */
  readonly header?: readonly string[];
  /** The resource's ETag or Last-Modified when first read: a resumed read of another version is refused. */
  readonly version?: string;
}

export interface LinesReaderOptions {
  readonly format: LineFormat;
  readonly csvHeader: boolean;
  readonly maxLineBytes: number;
  /** The side output's tag id for records that do not parse; without it they fail the job. */
  readonly deadLetters: string | undefined;
  readonly open: OpenBytes;
  readonly describe: string;
}

/** Parsed records waiting for poll: enough to keep it busy, bounded (the fetch waits above it). */
const HIGH_WATER = 4096;
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000];

/**
 * Reads its splits one after another, each from its byte offset: the fetch, the splitting into
 * lines and the parsing run in the background, ahead of poll, which hands out what they parsed.
 */
export class LinesReader implements SourceReader<unknown> {
  private readonly splits: LinesSplit[];
  private readonly queue: ParsedRecord[] = [];
  /** The current split's position after the last record handed out. */
  private committed: LinesSplit | undefined;
  private fetching = false;
  private inputEnded = false;
  private failure: unknown;
  private available: Promise<void> | undefined;
  private resolveAvailable: (() => void) | undefined;
  private resumeFetch: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(splits: readonly LinesSplit[], private readonly ctx: SourceReaderContext, private readonly options: LinesReaderOptions) {
    this.splits = [...splits];
    this.committed = this.splits[0];
  }

  poll(max: number, emit: (value: unknown) => void): PollStatus {
    if (this.failure !== undefined) throw this.failure;
    let n = 0;
    while (n < max && this.committed !== undefined) {
      const item = this.queue.shift();
      if (item === undefined) break;
      this.take(item, emit);
      n++;
    }
    if (this.queue.length < HIGH_WATER / 2) this.resumeFetch?.();
    if (n > 0) return { kind: 'more' };
    if (this.committed !== undefined && this.inputEnded && this.queue.length === 0) this.nextSplit();
    if (this.committed === undefined) return { kind: 'end' };
    if (!this.fetching) this.startFetch(this.committed);
    this.available ??= new Promise<void>((resolve) => (this.resolveAvailable = resolve));
    return { kind: 'nothing', available: this.available };
  }

  snapshotSplits(): SourceSplit[] {
    return this.committed === undefined ? [] : [this.committed, ...this.splits.slice(1)];
  }

  close(): void {
    this.abort.abort();
    this.resumeFetch?.();
  }

  private take(item: ParsedRecord, emit: (value: unknown) => void): void {
    const at = this.committed!;
    this.committed = { ...at, offset: item.end, line: item.lines, ...(item.kind === 'skip' && item.header !== undefined ? { header: item.header } : {}) };
    if (item.kind === 'record') {
      emit(item.value);
      return;
    }
    if (item.kind === 'skip') return;
    const error = `${this.options.describe} ${at.target}: line ${item.line}: ${item.error}`;
    if (this.options.deadLetters !== undefined) {
      this.ctx.output({ id: this.options.deadLetters }, { value: item.raw, error, operator: this.ctx.sourceUid });
      return;
    }
    throw new WeirError('MALFORMED_INPUT', `${error}. Pass { deadLetters: tag } to send such lines to a side output instead of failing the job`, {
      domain: 'user', retryable: false, details: { target: at.target, line: item.line, offset: at.offset },
    });
  }

  private nextSplit(): void {
    this.splits.shift();
    this.committed = this.splits[0];
    this.inputEnded = false;
  }

  private signal(): void {
    const resolve = this.resolveAvailable;
    this.available = undefined;
    this.resolveAvailable = undefined;
    resolve?.();
  }

  private startFetch(split: LinesSplit): void {
    this.fetching = true;
    void this.fetch(split).then(
      () => {
        this.fetching = false;
        this.inputEnded = true;
        this.signal();
      },
      (error: unknown) => {
        this.fetching = false;
        if (this.abort.signal.aborted) return;
        this.failure = error;
        this.signal();
      },
    );
  }

  /** Reads `split` to its end into the queue, opening it again after a broken connection where it stopped. */
  private async fetch(split: LinesSplit): Promise<void> {
    const { signal } = this.abort;
    const parser = new LineParser(this.options.format, { csvHeader: this.options.csvHeader, maxLineBytes: this.options.maxLineBytes }, { line: split.line, ...(split.header !== undefined ? { header: split.header } : {}) });
    let parsed = { offset: split.offset, lines: split.line };
    const push = (item: ParsedRecord) => {
      this.queue.push(item);
      parsed = { offset: item.end, lines: item.lines };
    };
    let progressAt = parsed.offset;
    for (let attempt = 0; ; attempt++) {
      if (parsed.offset > progressAt) attempt = 0; // the last connection got somewhere: a fresh series of retries
      progressAt = parsed.offset;
      try {
        const input = await this.options.open(split.target, parsed.offset, signal);
        if (split.version !== undefined && input.version !== undefined && input.version !== split.version) {
          throw sourceFailed(`${split.target} changed since the checkpoint (it was '${split.version}', it is '${input.version}'): its byte offsets no longer match`, false, { target: split.target });
        }
        const at = this.committed;
        if (input.version !== undefined && at !== undefined && at.target === split.target && at.version === undefined) this.committed = { ...at, version: input.version };
        const splitter = new LineSplitter(parsed.offset, this.options.maxLineBytes);
        parser.resumeAt(parsed.lines);
        let skip = input.skip;
        for await (let chunk of input.chunks) {
          if (skip > 0) {
            const dropped = Math.min(skip, chunk.length);
            skip -= dropped;
            chunk = chunk.subarray(dropped);
            if (chunk.length === 0) continue;
          }
          splitter.push(chunk, (line) => parser.parse(line, push));
          if (this.queue.length > 0) this.signal();
          while (this.queue.length >= HIGH_WATER && !signal.aborted) await new Promise<void>((resolve) => (this.resumeFetch = resolve));
          this.resumeFetch = undefined;
          if (signal.aborted) return;
        }
        if (skip > 0) throw sourceFailed(`${split.target} is shorter than the checkpointed offset ${parsed.offset}`, false, { target: split.target });
        splitter.finish((line) => parser.parse(line, push));
        parser.finish(splitter.offset, push);
        return;
      } catch (error) {
        if (signal.aborted) throw error;
        const retryable = error instanceof WeirError ? error.retryable : true; // a connection that broke mid-body
        if (!retryable || attempt >= RETRY_DELAYS_MS.length) throw error instanceof WeirError ? error : sourceFailed(`reading ${split.target} failed: ${String(error)}`, false, { target: split.target }, error);
        await this.ctx.sleep(RETRY_DELAYS_MS[attempt]!, signal);
      }
    }
  }
}
