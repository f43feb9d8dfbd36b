// The records an input log keeps in a CheckpointStorage, framed and checksummed as every chunk
// is (chunk-format.ts), and checked field by field when read: a record from another version
// or tampered with is refused with CORRUPT_DATA naming its key, never half-trusted.
import { CorruptDataError } from '../../errors/index.js';
import { decodeChunk, encodeChunk, type ChunkKind } from '../../state/chunk-format.js';
import { decodeValue, encodeValue } from '../../state/value-codec.js';

/** `logs/<log>/log`: written once, by the first openLog. */
export interface LogMeta {
  readonly partitions: number;
}

/**
 * `…/partitions/<p>/head`: a hint, never ahead of the partition: `next` is the end of a batch that
 * is (or was) there, `last` that batch's start. Appenders and readers go forward from it batch by
 * batch; it only moves forward (appenders refresh it now and then, retention before it deletes),
 * so a batch missing below it was deleted. `ended`: end() was called (the end marker decides).
 */
export interface LogHead {
  readonly next: number;
  readonly ended: boolean;
  readonly last?: number;
}

/** `…/readers/<job>/<uid>/<p>`: where a reading job stands in one partition (the offset of its next record). */
export interface LogReaderPosition {
  readonly next: number;
}

export const EMPTY_HEAD: LogHead = { next: 0, ended: false };

/**
 * `…/partitions/<p>/floor`: the start of the oldest batch retention kept (absent: 0, nothing
 * deleted yet). Written by retention before it deletes below it, and only ever moved forward; a
 * batch below it is never read (log-tail.ts).
 */
export const encodeLogFloor = (floor: number) => encodeChunk('log-floor', { floor });

export function decodeLogFloor(bytes: Uint8Array | undefined, key: string): number {
  if (bytes === undefined) return 0;
  const p = payloadOf(bytes, 'log-floor', key);
  if (!isCount(p.floor)) throw corrupt(key, 'floor');
  return p.floor;
}

export const encodeLogMeta = (meta: LogMeta) => encodeChunk('log-meta', { partitions: meta.partitions });
export const encodeLogHead = (head: LogHead) => encodeChunk('log-head', { next: head.next, ended: head.ended, ...(head.last !== undefined ? { last: head.last } : {}) });
export const encodeLogReader = (position: LogReaderPosition) => encodeChunk('log-reader', { next: position.next });

export function decodeLogMeta(bytes: Uint8Array, key: string): LogMeta {
  const p = payloadOf(bytes, 'log-meta', key);
  if (!isCount(p.partitions) || p.partitions < 1) throw corrupt(key, 'partitions');
  return { partitions: p.partitions };
}

export function decodeLogHead(bytes: Uint8Array, key: string): LogHead {
  const p = payloadOf(bytes, 'log-head', key);
  if (!isCount(p.next)) throw corrupt(key, 'next');
  if (typeof p.ended !== 'boolean') throw corrupt(key, 'ended');
  if (p.last !== undefined && (!isCount(p.last) || p.last > p.next)) throw corrupt(key, 'last');
  return { next: p.next, ended: p.ended, ...(p.last !== undefined ? { last: p.last } : {}) };
}

export function decodeLogReader(bytes: Uint8Array, key: string): LogReaderPosition {
  const p = payloadOf(bytes, 'log-reader', key);
  if (!isCount(p.next)) throw corrupt(key, 'next');
  return { next: p.next };
}

/**
 * A batch is the records of one append, in order, or of a group of appends committed together
 * (input-log-appender.ts); its key carries the offset of the first. The records go in already
 * encoded (`encodeValue(records)`, done once when the append is checked, so a later change to
 * the caller's objects is not stored and a retried append does not encode them again): one
 * append's as `records`, a group's as a list of those, one per append, in order. end() appends
 * an end marker: a batch of no records with `end: true`, the partition's last (nothing can follow
 * it: its successor's key would be its own).
 */
export function encodeLogBatch(start: number, count: number, encodedRecords: Uint8Array | readonly Uint8Array[]): Uint8Array {
  return encodeChunk('log-batch', { start, count, records: encodedRecords instanceof Uint8Array || encodedRecords.length !== 1 ? encodedRecords : encodedRecords[0] });
}

export function encodeLogEnd(start: number): Uint8Array {
  return encodeChunk('log-batch', { start, count: 0, records: encodeValue([]), end: true });
}

/** What an appender needs of a batch: where the next one starts, and whether it is the end marker. */
export interface LogBatchHeader {
  readonly count: number;
  readonly end: boolean;
}

export function decodeLogBatchHeader(bytes: Uint8Array, key: string, start: number): LogBatchHeader & { records: readonly Uint8Array[] } {
  const p = payloadOf(bytes, 'log-batch', key);
  // Must not String() a stored value: an object with a 'toString' field would throw a TypeError.
  if (p.start !== start) throw corrupt(key, 'start', `holds ${typeof p.start === 'number' ? `offset ${p.start}` : `a ${typeof p.start}`}, its key says ${start}`);
  if (p.end !== undefined && p.end !== true) throw corrupt(key, 'end');
  const end = p.end === true;
  if (!isCount(p.count) || (p.count === 0) !== end) throw corrupt(key, 'count');
  // One append's records, or a group's: a non-empty list of them.
  const parts = p.records instanceof Uint8Array ? [p.records] : p.records;
  if (!Array.isArray(parts) || parts.length === 0 || !parts.every((part) => part instanceof Uint8Array)) throw corrupt(key, 'records');
  return { count: p.count, end, records: parts as Uint8Array[] };
}

/** The records of a batch (none for the end marker) and whether it is the end marker. */
export function decodeLogEntry(bytes: Uint8Array, key: string, start: number): { records: unknown[]; end: boolean } {
  const header = decodeLogBatchHeader(bytes, key, start);
  const records: unknown[] = [];
  for (const part of header.records) {
    let list: unknown;
    try {
      list = decodeValue(part);
    } catch (error) {
      throw new CorruptDataError(`input log record '${key}': its records cannot be decoded: ${error instanceof Error ? error.message : String(error)}`, { key, field: 'records' });
    }
    if (!Array.isArray(list)) throw corrupt(key, 'records', `do not hold the ${header.count} records it says`);
    if (header.records.length === 1 && list.length === header.count) return { records: list, end: header.end };
    for (const record of list) records.push(record);
  }
  if (records.length !== header.count) throw corrupt(key, 'records', `do not hold the ${header.count} records it says`);
  return { records, end: header.end };
}

/** The records of a batch; the end marker is refused here (CORRUPT_DATA): use decodeLogEntry where it may come. */
export function decodeLogBatch(bytes: Uint8Array, key: string, start: number): unknown[] {
  const entry = decodeLogEntry(bytes, key, start);
  if (entry.end) throw corrupt(key, 'count');
  return entry.records;
}

function payloadOf(bytes: Uint8Array, kind: ChunkKind, key: string): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = decodeChunk(bytes, kind).payload;
  } catch (error) {
    if (error instanceof CorruptDataError) {
      throw new CorruptDataError(`input log record '${key}': ${error.message}`, { ...error.details, key });
    }
    throw error;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw corrupt(key, 'payload');
  return payload as Record<string, unknown>;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function corrupt(key: string, field: string, why = 'is missing or of the wrong type'): CorruptDataError {
  return new CorruptDataError(`input log record '${key}': its field '${field}' ${why}`, { key, field });
}
