import { WeirError } from '../../errors/index.js';
import type { SourceSplit } from '../source.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import { decodeLogEntry, decodeLogHead, EMPTY_HEAD, type LogHead } from './log-records.js';
import { readFloor } from './log-tail.js';

/** Where a reader stands in one partition: the split's state in a checkpoint. */
export interface LogPartitionPosition extends SourceSplit {
  readonly partition: number;
  /** The offset of the next record to emit. */
  readonly next: number;
  /** The offset of the first record of the batch holding `next`, when known: the record to read first, no listing needed. */
  readonly batch?: number;
  /** A fresh start: begin at the oldest record the log still has (what retention deleted was never this job's). */
  readonly earliest?: boolean;
}

export interface FetcherHooks {
  /** Something changed for poll: records arrived, the partition ended, or the fetch failed. */
  readonly signal: () => void;
  /** Resolves after `ms` or when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Subscribes to this partition's wake-ups (another context appended); returns the unsubscribe. */
  readonly onAppended: (listener: (next: number) => void) => () => void;
  /** How long a caught-up fetcher waits without a wake-up before it looks again (appends from another process). */
  readonly recheckMs: number;
}

interface FetchedBatch {
  readonly start: number;
  readonly records: unknown[];
  /** The next record of the batch to emit. */
  index: number;
}

/** Batches fetched ahead of poll: enough to keep it busy while the next one is read, and no more (bounded memory). */
const MAX_QUEUED_BATCHES = 2;

/**
 * Reads one partition of a log in the background, a batch at a time, ahead of the task's polls
 * (the fetch is async; poll only drains what is here). Waits for a wake-up when it caught up.
 */
export class LogPartitionFetcher {
  private readonly queue: FetchedBatch[] = [];
  private position: number;
  /** The start of the next batch to read (the end of the last one queued). */
  private fetchAt: number;
  private knownBatch: number | undefined;
  private earliest: boolean;
  private head: LogHead = EMPTY_HEAD;
  private ended = false;
  private failure: unknown;
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;
  private appendedSeen = -1;
  private readonly unsubscribe: () => void;
  readonly partition: number;

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly log: string,
    from: LogPartitionPosition,
    private readonly hooks: FetcherHooks,
  ) {
    this.partition = from.partition;
    this.position = from.next;
    this.fetchAt = from.next;
    this.knownBatch = from.batch;
    this.earliest = from.earliest === true;
    this.unsubscribe = hooks.onAppended((next) => {
      this.appendedSeen = Math.max(this.appendedSeen, next);
      this.wake?.();
    });
    void this.run();
  }

  /** Emits up to `max` records; returns how many. Throws what the background fetch met. */
  drain(max: number, emit: (value: unknown) => void): number {
    if (this.failure !== undefined) throw this.failure;
    let n = 0;
    while (n < max && this.queue.length > 0) {
      const batch = this.queue[0]!;
      const { records } = batch;
      while (n < max && batch.index < records.length) {
        emit(records[batch.index++]);
        n++;
      }
      this.position = batch.start + batch.index;
      if (batch.index === records.length) {
        this.queue.shift();
        this.wake?.(); // room for the next batch
      }
    }
    return n;
  }

  /** Every record up to the partition's end was emitted. */
  get finished(): boolean {
    return this.ended && this.queue.length === 0;
  }

  snapshot(): LogPartitionPosition {
    const batch = this.queue[0]?.start ?? this.knownBatch;
    return {
      partition: this.partition,
      next: this.position,
      ...(batch !== undefined ? { batch } : {}),
      ...(this.earliest ? { earliest: true } : {}),
    };
  }

  close(): void {
    this.abort.abort();
    this.unsubscribe();
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { signal } = this.abort;
    try {
      while (!signal.aborted) {
        if (this.queue.length >= MAX_QUEUED_BATCHES) {
          await this.waitForWake(Infinity);
          continue;
        }
        // The batch at fetchAt decides (the head is only a hint: log-tail.ts); the head is read
        // when it is missing, to tell "not appended yet" from "deleted" (the hint is past it).
        const fetched = await this.fetchBatch();
        if (signal.aborted) return;
        if (fetched === 'queued') {
          this.hooks.signal();
          continue;
        }
        if (fetched === 'end') {
          this.ended = true;
          this.hooks.signal();
          return;
        }
        await this.readHead();
        if (signal.aborted) return;
        // Below the hint, the batch was deleted, or fetchAt is inside a batch whose start this fetcher does not know.
        if (this.fetchAt < this.head.next || (this.knownBatch === undefined && this.fetchAt > 0)) {
          if (await this.locateBatch()) this.hooks.signal();
          continue;
        }
        if (this.head.ended) {
          this.ended = true; // a log written before end markers: its head decides
          this.hooks.signal();
          return;
        }
        if (this.appendedSeen > this.fetchAt) continue; // appended while the batch was being looked for
        await this.waitForWake(this.hooks.recheckMs);
      }
    } catch (error) {
      if (signal.aborted) return;
      this.failure = error;
      this.hooks.signal();
    }
  }

  private waitForWake(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const controller = new AbortController();
      const done = () => {
        this.wake = undefined;
        controller.abort();
        resolve();
      };
      this.wake = done;
      if (this.abort.signal.aborted) return done();
      if (ms !== Infinity) void this.hooks.sleep(ms, controller.signal).then(() => this.wake === done && done());
    });
  }

  private async readHead(): Promise<void> {
    const key = storageLayout.logHeadKey(this.log, this.partition);
    const bytes = await this.storage.getMetadata(key);
    this.head = bytes === undefined ? EMPTY_HEAD : decodeLogHead(bytes, key);
  }

  /** Queues the batch holding `fetchAt` when it is where this fetcher expects it (the batch known to hold it, or the one starting at it). */
  private async fetchBatch(): Promise<'queued' | 'end' | 'missing'> {
    const start = this.knownBatch !== undefined && this.knownBatch <= this.fetchAt ? this.knownBatch : this.fetchAt;
    const entry = await this.readBatch(start);
    if (entry === undefined) return 'missing';
    if (entry.end) return start === this.fetchAt ? 'end' : 'missing';
    if (start + entry.records.length <= this.fetchAt) return 'missing';
    this.enqueue(start, entry.records);
    return 'queued';
  }

  /** Finds the batch holding `fetchAt` by listing (a restore that knew no batch start, a fresh reader, or records deleted); true if it queued one. */
  private async locateBatch(): Promise<boolean> {
    const located = await this.locate();
    if (located === undefined) return false; // nothing left to read: the reader jumped to the head
    if (located.end) {
      this.fetchAt = located.start;
      this.knownBatch = located.start;
      return false; // the next round reads the end marker
    }
    this.enqueue(located.start, located.records);
    return true;
  }

  private enqueue(batchStart: number, records: unknown[]): void {
    const { partition } = this;
    const skip = this.fetchAt - batchStart;
    if (skip < 0 || skip >= records.length) {
      throw new WeirError('CORRUPT_DATA', `log '${this.log}' partition ${partition}: the batch at offset ${batchStart} does not hold offset ${this.fetchAt}`, { domain: 'external', retryable: false, details: { log: this.log, partition, offset: this.fetchAt } });
    }
    this.queue.push({ start: batchStart, records, index: skip });
    if (this.queue.length === 1) this.position = this.fetchAt;
    this.fetchAt = batchStart + records.length;
    this.knownBatch = this.fetchAt;
    this.earliest = false;
  }

  /**
   * The batch at `start`, or undefined when there is none at or above the floor. The floor is read
   * after the batch: a stray below it (a claim that committed below retention: log-tail.ts) had the
   * floor pass it before it was written, so it is never taken for records.
   */
  private async readBatch(start: number): Promise<{ records: unknown[]; end: boolean } | undefined> {
    const key = storageLayout.logBatchKey(this.log, this.partition, start);
    const bytes = await this.storage.getMetadata(key);
    if (bytes === undefined || start < await readFloor(this.storage, this.log, this.partition)) return undefined;
    return decodeLogEntry(bytes, key, start);
  }

  /**
   * The batch holding `fetchAt`, found by listing the partition's batches. A fresh reader whose
   * offset retention already passed starts at the oldest batch kept (at or above the floor, never
   * a stray below it); any other reader whose
   * offset is gone fails: those records are lost to it (LOG_TRUNCATED), never skipped silently.
   */
  private async locate(): Promise<{ start: number; records: unknown[]; end: boolean } | undefined> {
    const { partition } = this;
    const listed = await this.storage.listMetadata(storageLayout.logBatchPrefix(this.log, partition));
    const floor = await readFloor(this.storage, this.log, partition); // after the listing: every stray listed is below it
    const starts = listed
      .map((key) => storageLayout.logBatchStartFromKey(key))
      .filter((s): s is number => s !== undefined && s >= floor)
      .sort((a, b) => a - b);
    let index = -1;
    for (let i = 0; i < starts.length && starts[i]! <= this.fetchAt; i++) index = i;
    if (index < 0) {
      if (this.earliest) {
        const oldest = starts[0];
        if (oldest === undefined) {
          this.position = this.fetchAt = this.head.next; // every record was deleted before this job read any
          this.knownBatch = this.fetchAt;
          return undefined;
        }
        this.position = this.fetchAt = oldest;
        index = 0;
      } else {
        throw this.truncated(starts[0]);
      }
    }
    const start = starts[index]!;
    const entry = await this.readBatch(start);
    if (entry === undefined) throw this.truncated(starts[0]);
    if (entry.end) {
      if (start !== this.fetchAt) throw this.truncated(starts[0]);
      return { start, ...entry };
    }
    if (start + entry.records.length === this.fetchAt && index === starts.length - 1) {
      this.knownBatch = this.fetchAt; // caught up: the next batch starts here
      return undefined;
    }
    if (start + entry.records.length <= this.fetchAt) throw this.truncated(starts[0]);
    return { start, ...entry };
  }

  private truncated(oldest: number | undefined): WeirError {
    const { partition } = this;
    return new WeirError('LOG_TRUNCATED', `log '${this.log}' partition ${partition}: offset ${this.fetchAt} was deleted (the oldest kept is ${oldest ?? this.head.next}); a reader of this log that is not registered, or was registered under another job name or source uid, let retention pass it`, {
      domain: 'external', retryable: false, details: { log: this.log, partition, offset: this.fetchAt, oldest },
    });
  }
}
