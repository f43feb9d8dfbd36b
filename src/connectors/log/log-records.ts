// The records an input log keeps in a CheckpointStorage, framed and checksummed as every chunk
// is (chunk-format.ts), and checked field by field when read: a record from another version
// or tampered with is refused with CORRUPT_DATA naming its key, never half-trusted.
import { CorruptDataError } from '../../errors/index.js';
import { decodeChunk, encodeChunk, type ChunkKind } from '../../state/chunk-format.js';
import { decodeValue } from '../../state/value-codec.js';

/** `logs/<log>/log`: written once, by the first openLog. */
export interface LogMeta {
  readonly partitions: number;
}

/** `…/partitions/<p>/head`: the offset the next append gets, and whether end() was called. Appends compare-and-set it. */
export interface LogHead {
  readonly next: number;
  readonly ended: boolean;
}

/** `…/readers/<job>/<uid>/<p>`: where a reading job stands in one partition (the offset of its next record). */
export interface LogReaderPosition {
  readonly next: number;
}

export const EMPTY_HEAD: LogHead = { next: 0, ended: false };

export const encodeLogMeta = (meta: LogMeta) => encodeChunk('log-meta', { partitions: meta.partitions });
export const encodeLogHead = (head: LogHead) => encodeChunk('log-head', { next: head.next, ended: head.ended });
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
  return { next: p.next, ended: p.ended };
}

export function decodeLogReader(bytes: Uint8Array, key: string): LogReaderPosition {
  const p = payloadOf(bytes, 'log-reader', key);
  if (!isCount(p.next)) throw corrupt(key, 'next');
  return { next: p.next };
}

/**
 * A batch is the records of one append, in order; its key carries the offset of the first. The
 * records go in already encoded (`encodeValue(records)`, done once when the append is checked),
 * so a retried compare-and-set does not encode them again.
 */
export function encodeLogBatch(start: number, count: number, encodedRecords: Uint8Array): Uint8Array {
  return encodeChunk('log-batch', { start, count, records: encodedRecords });
}

export function decodeLogBatch(bytes: Uint8Array, key: string, start: number): unknown[] {
  const p = payloadOf(bytes, 'log-batch', key);
  // Must not String() a stored value: an object with a 'toString' field would throw a TypeError.
  if (p.start !== start) throw corrupt(key, 'start', `holds ${typeof p.start === 'number' ? `offset ${p.start}` : `a ${typeof p.start}`}, its key says ${start}`);
  if (!isCount(p.count) || p.count === 0) throw corrupt(key, 'count');
  if (!(p.records instanceof Uint8Array)) throw corrupt(key, 'records');
  let records: unknown;
  try {
    records = decodeValue(p.records);
  } catch (error) {
    throw new CorruptDataError(`input log record '${key}': its records cannot be decoded: ${error instanceof Error ? error.message : String(error)}`, { key, field: 'records' });
  }
  if (!Array.isArray(records) || records.length !== p.count) throw corrupt(key, 'records', `do not hold the ${p.count} records it says`);
  return records;
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
