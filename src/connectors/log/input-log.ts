import { InvalidArgumentError, requireInteger, requireOptions, WeirError } from '../../errors/index.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { encodeValue } from '../../state/value-codec.js';
import { storageLayout } from '../../state/storage-layout.js';
import { decodeLogHead, decodeLogMeta, EMPTY_HEAD, encodeLogBatch, encodeLogHead, encodeLogMeta, type LogHead } from './log-records.js';
import { logWakeups } from './log-wakeups.js';

/** The offsets an append's records got, in order, in the partition `partition`. */
export interface LogOffsets extends ReadonlyArray<number> {
  readonly partition: number;
}

export interface AppendOptions {
  /** The partition to append to; default: the handle's partitions in turn. */
  partition?: number;
}

/**
 * A durable, append-only input log: the browser's Kafka topic. Any page, tab, worker or process
 * that opens the same name in the same storage appends to the same log.
 */
export interface InputLog<T> {
  readonly name: string;
  readonly partitions: number;
  /**
   * Appends one record, or the records of an array (an array record is appended as `[record]`),
   * as one stored batch. Must resolve only once the batch is durable, with the records' offsets.
   */
  append(records: T | readonly T[], options?: AppendOptions): Promise<LogOffsets>;
  /** Marks the end of input in every partition: readers finish once they have read everything. */
  end(): Promise<void>;
  /** Stops this handle (later appends reject); the log and its records stay. */
  close(): Promise<void>;
}

export interface OpenInputLogOptions {
  partitions?: number;
}

const MAX_PARTITIONS = 1024;
/** A compare-and-set that keeps losing means something rewrites the head in a loop: give up loudly. */
const MAX_APPEND_ATTEMPTS = 10_000;

/**
 * Opens (creating on first use) the log `name` in `storage`. The partition count is fixed when
 * the log is created; asking for another later is refused.
 */
export async function openInputLog<T>(storage: CheckpointStorage, name: string, options: OpenInputLogOptions = {}): Promise<InputLog<T>> {
  const metaKey = storageLayout.logMetaKey(name);
  for (;;) {
    const bytes = await storage.getMetadata(metaKey);
    if (bytes !== undefined) {
      const meta = decodeLogMeta(bytes, metaKey);
      if (options.partitions !== undefined && options.partitions !== meta.partitions) {
        throw new InvalidArgumentError('openLog(name, options).partitions', `log '${name}' was created with ${meta.partitions} partition(s); it cannot be opened with ${options.partitions}`);
      }
      return new StoredInputLog<T>(storage, name, meta.partitions);
    }
    const partitions = options.partitions ?? 1;
    try {
      await storage.putMetadata([{ key: metaKey, bytes: encodeLogMeta({ partitions }) }], { key: metaKey, equals: undefined });
      return new StoredInputLog<T>(storage, name, partitions);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'STORAGE_FENCED') throw error; // another context created it first: read its count
    }
  }
}

export function checkLogName(argument: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError(argument, `must be a non-empty string, got ${typeof name === 'string' ? 'an empty string' : describeBriefly(name)}`);
  }
  if (name.includes('\0')) throw new InvalidArgumentError(argument, 'must not contain NUL');
  return name;
}

export function checkPartitions(argument: string, value: unknown): number | undefined {
  return value === undefined ? undefined : requireInteger(argument, value, { min: 1, max: MAX_PARTITIONS });
}

function describeBriefly(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : `${typeof value} ${String(value)}`;
}

class StoredInputLog<T> implements InputLog<T> {
  private closed = false;
  private turn = 0;
  /** The head each partition had after this handle's last read or append: the expected value of the next compare-and-set. */
  private readonly heads = new Map<number, { head: LogHead; bytes: Uint8Array | undefined }>();
  /** Appends of this handle go one after another, so calls keep their order within a partition. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly storage: CheckpointStorage,
    readonly name: string,
    readonly partitions: number,
  ) {}

  append(records: T | readonly T[], options?: AppendOptions): Promise<LogOffsets> {
    try {
      if (this.closed) throw this.closedError();
      const o = requireOptions<AppendOptions>('log.append(records, options)', options, ['partition']);
      const partition = o.partition === undefined ? this.turn++ % this.partitions : requireInteger('log.append(records, options).partition', o.partition, { min: 0, max: this.partitions - 1 });
      const list = Array.isArray(records) ? (records as readonly T[]) : [records as T];
      if (list.length === 0) throw new InvalidArgumentError('log.append(records)', 'expected a record or a non-empty array of records, got an empty array');
      const encoded = encodeRecords(list, Array.isArray(records));
      const run = this.queue.then(() => this.appendBatch(partition, list.length, encoded));
      this.queue = run.catch(() => undefined);
      return run;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async end(): Promise<void> {
    if (this.closed) throw this.closedError();
    const run = this.queue.then(async () => {
      for (let p = 0; p < this.partitions; p++) {
        await this.compareAndSetHead(p, (head) => (head.ended ? undefined : { head: { next: head.next, ended: true } }));
      }
    });
    this.queue = run.catch(() => undefined);
    await run;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private async appendBatch(partition: number, count: number, encoded: Uint8Array): Promise<LogOffsets> {
    let first = 0;
    await this.compareAndSetHead(partition, (head) => {
      if (head.ended) throw new WeirError('LOG_ENDED', `log '${this.name}' has ended (end() was called): nothing more can be appended`, { domain: 'user', retryable: false, details: { log: this.name, partition } });
      first = head.next;
      return { batch: { count, encoded }, head: { next: head.next + count, ended: false } };
    });
    const offsets = Array.from({ length: count }, (_, i) => first + i);
    return Object.assign(offsets, { partition });
  }

  /**
   * Writes the batch and the new head in one atomic metadata write, on condition that the head
   * is still the one read: two appenders never get one offset, and a batch never lands without
   * its head (nor a head without its batch). A lost race reads the head again and retries.
   */
  private async compareAndSetHead(partition: number, next: (head: LogHead) => { batch?: { count: number; encoded: Uint8Array }; head: LogHead } | undefined): Promise<void> {
    const headKey = storageLayout.logHeadKey(this.name, partition);
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const current = this.heads.get(partition) ?? (await this.readHead(partition, headKey));
      const change = next(current.head);
      if (change === undefined) return;
      const headBytes = encodeLogHead(change.head);
      const writes = [{ key: headKey, bytes: headBytes }];
      if (change.batch !== undefined) {
        const start = current.head.next;
        writes.unshift({ key: storageLayout.logBatchKey(this.name, partition, start), bytes: encodeLogBatch(start, change.batch.count, change.batch.encoded) });
      }
      try {
        await this.storage.putMetadata(writes, { key: headKey, equals: current.bytes });
      } catch (error) {
        this.heads.delete(partition);
        if ((error as { code?: unknown }).code === 'STORAGE_FENCED') continue;
        throw appendFailed(this.name, error);
      }
      this.heads.set(partition, { head: change.head, bytes: headBytes });
      logWakeups().publish({ kind: 'weir.log-appended', log: this.name, partition, next: change.head.next });
      return;
    }
    throw new WeirError('STORAGE_FENCED', `log '${this.name}': partition ${partition}'s head changed under ${MAX_APPEND_ATTEMPTS} appends in a row`, { domain: 'external', retryable: true, details: { log: this.name, partition } });
  }

  private async readHead(partition: number, key: string): Promise<{ head: LogHead; bytes: Uint8Array | undefined }> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.storage.getMetadata(key);
    } catch (error) {
      throw appendFailed(this.name, error);
    }
    const entry = { head: bytes === undefined ? EMPTY_HEAD : decodeLogHead(bytes, key), bytes };
    this.heads.set(partition, entry);
    return entry;
  }

  private closedError(): WeirError {
    return new WeirError('LOG_CLOSED', `log '${this.name}': this handle is closed; open the log again to append`, { domain: 'user', retryable: false, details: { log: this.name } });
  }
}

/** The records encoded once; refuses what the codec cannot store, naming the path to the bad value, before anything is written. */
function encodeRecords(records: readonly unknown[], asArray: boolean): Uint8Array {
  try {
    return encodeValue(records);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    const path = String(error.details.path ?? 'value');
    const shown = asArray ? path.replace(/^value/, 'records') : path.replace(/^value\[0\]/, 'record');
    const what = error.message.replace(/^value: /, '').replace(/ \(at [^)]*\)$/, '').replace('cannot be stored in state', 'cannot be stored');
    const refused = new InvalidArgumentError('log.append(records)', `${what} (at ${shown}); nothing of this append was stored`);
    refused.details.path = shown;
    throw refused;
  }
}

/** A storage failure (a full quota, a full disk) reaches the appender as itself: never a silent drop. */
function appendFailed(log: string, error: unknown): unknown {
  if (!(error instanceof WeirError)) return error;
  return new WeirError(error.code, `log '${log}': append failed: ${error.message}`, { domain: error.domain, retryable: error.retryable, details: { ...error.details, log }, cause: error });
}
