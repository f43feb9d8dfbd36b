import { InvalidArgumentError, requireInteger, requireOptions, requireString, WeirError } from '../../errors/index.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { encodeValue } from '../../state/value-codec.js';
import { storageLayout } from '../../state/storage-layout.js';
import { PartitionAppender } from './log-appender.js';
import { decodeLogMeta, decodeLogReader, encodeLogMeta } from './log-records.js';
import { advanceHead } from './log-tail.js';

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
  /** The jobs registered as readers, per source and partition, with the offset each passed in a completed checkpoint. */
  readers(): Promise<LogReaderRegistration[]>;
  /**
   * Removes the registration of a job that no longer reads this log (every source of it, or the
   * one with `sourceUid`), so retention stops keeping records for it; resolves with the number of
   * partition registrations removed. A job still running registers again at its next start.
   */
  unregisterReader(jobName: string, sourceUid?: string): Promise<number>;
}

/** One reading job's position in one partition (retention keeps what the lowest has not passed). */
export interface LogReaderRegistration {
  readonly jobName: string;
  readonly sourceUid: string;
  readonly partition: number;
  readonly next: number;
}

export interface OpenInputLogOptions {
  partitions?: number;
}

const MAX_PARTITIONS = 1024;
/** What end() appends: no records (log-records.ts encodes the marker itself). */
const END_MARKER = new Uint8Array(0);

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
  /** One appender per partition: its appends keep their call order, and those made meanwhile share a write. */
  private readonly appenders = new Map<number, PartitionAppender>();

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
      return this.appender(partition).append(list.length, encoded).then((first) => {
        if (first === undefined) throw this.endedError(partition);
        return Object.assign(Array.from({ length: list.length }, (_, i) => first + i), { partition });
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async end(): Promise<void> {
    if (this.closed) throw this.closedError();
    // After every append made before it, in each partition (each partition's appends keep their order).
    await Promise.all(Array.from({ length: this.partitions }, async (_, p) => {
      const appender = this.appender(p);
      const at = await appender.append(0, END_MARKER);
      const next = at ?? appender.next ?? 0;
      // The end marker decides; the hint only saves readers and appenders a look. Best effort.
      await advanceHead(this.storage, this.name, p, { next, last: next, ended: true }).catch(() => undefined);
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const appender of this.appenders.values()) await appender.settled();
  }

  async readers(): Promise<LogReaderRegistration[]> {
    const registrations: LogReaderRegistration[] = [];
    const prefix = storageLayout.logReaderPrefix(this.name);
    for (const key of await this.storage.listMetadata(prefix)) {
      const [job, uid, partition] = key.slice(prefix.length).split('/');
      const bytes = await this.storage.getMetadata(key);
      if (bytes === undefined || job === undefined || uid === undefined || partition === undefined) continue;
      registrations.push({ jobName: decodeURIComponent(job), sourceUid: decodeURIComponent(uid), partition: Number(partition), next: decodeLogReader(bytes, key).next });
    }
    return registrations;
  }

  async unregisterReader(jobName: string, sourceUid?: string): Promise<number> {
    requireString('log.unregisterReader(jobName)', jobName);
    if (sourceUid !== undefined) requireString('log.unregisterReader(jobName, sourceUid)', sourceUid);
    const keys = await this.storage.listMetadata(storageLayout.logReaderJobPrefix(this.name, jobName, sourceUid));
    if (keys.length > 0) await this.storage.deleteMetadata(keys);
    return keys.length;
  }

  private appender(partition: number): PartitionAppender {
    let appender = this.appenders.get(partition);
    if (appender === undefined) this.appenders.set(partition, (appender = new PartitionAppender(this.storage, this.name, partition)));
    return appender;
  }

  private endedError(partition: number): WeirError {
    return new WeirError('LOG_ENDED', `log '${this.name}' has ended (end() was called): nothing more can be appended`, { domain: 'user', retryable: false, details: { log: this.name, partition } });
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
