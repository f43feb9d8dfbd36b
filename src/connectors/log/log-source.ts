import { requireOptions, WeirError } from '../../errors/index.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { PollStatus, Source, SourceReader, SourceReaderContext, SourceSplit } from '../source.js';
import { checkLogName, checkPartitions } from './input-log.js';
import { LogPartitionFetcher, type LogPartitionPosition } from './log-partition-fetcher.js';
import { decodeLogMeta } from './log-records.js';
import { LogRetention } from './log-retention.js';
import { logWakeups } from './log-wakeups.js';

export interface LogSourceOptions {
  /** The log's partition count (one split each); must match the log's. Default 1. */
  partitions?: number;
}

/** How long a caught-up reader waits without a wake-up before it looks again: appends from another process, or a context without BroadcastChannel. */
const RECHECK_MS = 1000;
/** Retention deletes at most this often per reader (listing a log's batches is not free on every backend). */
const TRIM_INTERVAL_MS = 1000;

/**
 * Reads an input log (openLog) from the offsets its checkpoint recorded: one split per
 * partition, replayable, unbounded until the log's end(). Replaying after a restore yields the
 * same records in the same order per partition.
 */
export function log<T>(name: string, options?: LogSourceOptions): Source<T> {
  checkLogName('sources.log(name)', name);
  const o = requireOptions<LogSourceOptions>('sources.log(name, options)', options, ['partitions']);
  const partitions = checkPartitions('sources.log(name, options).partitions', o.partitions) ?? 1;
  return {
    kind: 'weir.source',
    name: `log(${name})`,
    bounded: false,
    createSplits: () => Array.from({ length: partitions }, (_, partition): LogPartitionPosition => ({ partition, next: 0, earliest: true })),
    createReader: (splits, ctx) => new LogSplitReader<T>(name, partitions, splits.map((s) => checkSplit(name, partitions, s)), ctx),
  };
}

function checkSplit(log: string, partitions: number, split: SourceSplit): LogPartitionPosition {
  const { partition, next, batch, earliest } = split as Record<string, unknown>;
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!count(partition) || (partition as number) >= partitions || !count(next) || (batch !== undefined && !count(batch)) || (earliest !== undefined && typeof earliest !== 'boolean')) {
    throw new WeirError('STATE_MISMATCH', `sources.log('${log}'): a restored split is not a position in a log of ${partitions} partition(s): ${JSON.stringify(split)}`, {
      domain: 'user', retryable: false, details: { log, split },
    });
  }
  return split as LogPartitionPosition;
}

export class LogSplitReader<T> implements SourceReader<T> {
  private readonly fetchers: LogPartitionFetcher[];
  private readonly retention: LogRetention;
  private cursor = 0;
  private failure: unknown;
  private available: Promise<void> | undefined;
  private resolveAvailable: (() => void) | undefined;

  constructor(private readonly name: string, partitions: number, splits: readonly LogPartitionPosition[], ctx: SourceReaderContext) {
    const signal = () => this.signal();
    const wakeups = logWakeups();
    this.fetchers = splits.map((split) => new LogPartitionFetcher(ctx.storage, name, split, {
      signal,
      sleep: (ms, abort) => ctx.sleep(ms, abort),
      onAppended: (listener) => wakeups.subscribe(name, (notice) => {
        if (notice.partition === split.partition) listener(notice.next);
      }),
      recheckMs: RECHECK_MS,
    }));
    this.retention = new LogRetention(ctx.storage, name, ctx.jobName, ctx.sourceUid, () => ctx.now(), TRIM_INTERVAL_MS);
    if (splits.length > 0) {
      this.retention.register(splits);
      void this.checkPartitions(ctx, partitions);
    }
  }

  poll(max: number, emit: (value: T) => void): PollStatus {
    if (this.failure !== undefined) throw this.failure;
    let n = 0;
    const count = this.fetchers.length;
    for (let i = 0; i < count && n < max; i++) {
      const fetcher = this.fetchers[(this.cursor + i) % count]!;
      n += fetcher.drain(max - n, emit as (value: unknown) => void);
    }
    this.cursor++;
    if (n > 0) return { kind: 'more' };
    if (this.fetchers.every((f) => f.finished)) return { kind: 'end' };
    this.available ??= new Promise<void>((resolve) => (this.resolveAvailable = resolve));
    return { kind: 'nothing', available: this.available };
  }

  snapshotSplits(checkpointId: number): SourceSplit[] {
    const positions = this.fetchers.map((f) => f.snapshot());
    this.retention.snapshotTaken(checkpointId, positions);
    return positions;
  }

  notifyCheckpointComplete(checkpointId: number): void {
    void this.retention.completed(checkpointId);
  }

  close(): void {
    for (const f of this.fetchers) f.close();
  }

  private signal(): void {
    const resolve = this.resolveAvailable;
    this.available = undefined;
    this.resolveAvailable = undefined;
    resolve?.();
  }

  /** A reader with fewer partitions than the log would silently skip some: refuse that. */
  private async checkPartitions(ctx: SourceReaderContext, partitions: number): Promise<void> {
    const key = storageLayout.logMetaKey(this.name);
    try {
      const bytes = await ctx.storage.getMetadata(key);
      if (bytes === undefined) return; // not created yet: openLog will create it with its own count, checked by the reader next time
      const meta = decodeLogMeta(bytes, key);
      if (meta.partitions === partitions) return;
      this.failure = new WeirError('STATE_MISMATCH', `sources.log('${this.name}') reads ${partitions} partition(s), but the log has ${meta.partitions}: pass sources.log('${this.name}', { partitions: ${meta.partitions} })`, {
        domain: 'user', retryable: false, details: { log: this.name, partitions, logPartitions: meta.partitions },
      });
    } catch (error) {
      this.failure = error;
    }
    this.signal();
  }
}
