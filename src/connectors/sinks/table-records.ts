// The records a table keeps in a CheckpointStorage (table-layout.ts), framed and checksummed as
// every chunk is, and checked field by field when read: a record from another version or tampered
// with is refused with CORRUPT_DATA naming its key, never half-trusted.
import { CorruptDataError } from '../../errors/index.js';
import { chunkChecksum, decodeChunk, encodeChunk, type ChunkKind } from '../../state/chunk-format.js';
import { tableLayout } from './table-layout.js';

export type TableMode = 'append' | 'upsert';

/**
 * One transaction of one sink subtask: the committable stored in the checkpoint while pending,
 * and the commit record once committed. The rows are in the chunk `data`, written once.
 */
export interface TableTransaction {
  readonly table: string;
  readonly transactionId: number;
  readonly subtaskIndex: number;
  readonly mode: TableMode;
  /** The chunk of the rows: append, the records in order; upsert, [key, latest record] pairs. */
  readonly data: string;
  readonly rowCount: number;
  /** The data chunk's checksum, checked when the table is read. */
  readonly checksum: number;
}

/** A chunk of a snapshot's rows (as a transaction's: records, or [key, record] pairs), covering transactions (fromTxn, toTxn]. */
export interface TableSegment {
  readonly key: string;
  readonly mode: TableMode;
  readonly rowCount: number;
  readonly checksum: number;
  readonly fromTxn: number;
  readonly toTxn: number;
}

/** The compacted part of a table: every transaction up to `upTo`, as segments applied in order. */
export interface TableSnapshot {
  readonly table: string;
  readonly upTo: number;
  /** Commit records folded into it since the table began (a watcher checks it saw as many). */
  readonly folded: number;
  readonly segments: readonly TableSegment[];
}

/** A transaction as readers use it: its rows, read and checked. */
export interface ReadTransaction {
  readonly transactionId: number;
  readonly subtaskIndex: number;
  readonly mode: TableMode;
  readonly rows: unknown[];
}

export const encodeTableCommit = (t: TableTransaction) => encodeChunk('table-commit', t);
export const encodeTableSnapshot = (s: TableSnapshot) => encodeChunk('table-snapshot', s);

/** Rows of a transaction or a segment, framed; returns the bytes and their checksum for the record that points to them. */
export function encodeRows(kind: 'sink-transaction' | 'table-segment', rows: readonly unknown[]): { bytes: Uint8Array; checksum: number } {
  const bytes = encodeChunk(kind, rows);
  return { bytes, checksum: chunkChecksum(bytes) };
}

/** A commit record: the pointer to its rows, or (written by an older version) the rows inline. */
export function decodeTableCommit(bytes: Uint8Array, key: string): TableTransaction | (Omit<TableTransaction, 'data' | 'rowCount' | 'checksum'> & { rows: unknown[] }) {
  const p = payloadOf(bytes, 'table-commit', key);
  if (typeof p.table !== 'string') throw corrupt(key, 'table');
  if (!isCount(p.transactionId)) throw corrupt(key, 'transactionId');
  if (!isCount(p.subtaskIndex)) throw corrupt(key, 'subtaskIndex');
  if (p.mode !== 'append' && p.mode !== 'upsert') throw corrupt(key, 'mode');
  // A well-formed record under another transaction's key, or pointing at another table's rows, is tampered with.
  if (p.transactionId !== tableLayout.transactionOf(key)) throw corrupt(key, 'transactionId', `holds transaction ${p.transactionId}, its key says ${tableLayout.transactionOf(key)}`);
  if (p.subtaskIndex !== tableLayout.subtaskOf(key)) throw corrupt(key, 'subtaskIndex', `holds subtask ${p.subtaskIndex}, its key says ${tableLayout.subtaskOf(key)}`);
  if (Object.hasOwn(p, 'rows')) {
    if (!Array.isArray(p.rows)) throw corrupt(key, 'rows');
    if (p.mode === 'upsert' && !p.rows.every((r) => Array.isArray(r) && r.length === 2)) throw corrupt(key, 'rows', 'holds upsert rows that are not [key, record] pairs');
    return p as unknown as ReturnType<typeof decodeTableCommit>;
  }
  if (typeof p.data !== 'string') throw corrupt(key, 'data');
  if (!p.data.startsWith(`${key.slice(0, key.lastIndexOf('/') + 1)}data/`)) throw corrupt(key, 'data', 'does not name a rows chunk of its own table');
  if (!isCount(p.rowCount)) throw corrupt(key, 'rowCount');
  if (!isCount(p.checksum) || p.checksum > 0xffffffff) throw corrupt(key, 'checksum');
  return p as unknown as TableTransaction;
}

export function decodeTableSnapshot(bytes: Uint8Array, key: string): TableSnapshot {
  const p = payloadOf(bytes, 'table-snapshot', key);
  if (typeof p.table !== 'string') throw corrupt(key, 'table');
  if (!isCount(p.upTo)) throw corrupt(key, 'upTo');
  if (!isCount(p.folded)) throw corrupt(key, 'folded');
  if (!Array.isArray(p.segments)) throw corrupt(key, 'segments');
  for (const s of p.segments as unknown[]) {
    const segment = s as Record<string, unknown>;
    const ok = typeof s === 'object' && s !== null && typeof segment.key === 'string' && (segment.mode === 'append' || segment.mode === 'upsert') &&
      isCount(segment.rowCount) && isCount(segment.checksum) && isCount(segment.fromTxn) && isCount(segment.toTxn);
    if (!ok) throw corrupt(key, 'segments');
    if (!(segment.key as string).startsWith(`${key.slice(0, key.lastIndexOf('/') + 1)}segments/`)) throw corrupt(key, 'segments', 'names a chunk that is not a segment of its own table');
  }
  return p as unknown as TableSnapshot;
}

/** Checks rows read from `key` against the record that points to them. Throws CORRUPT_DATA naming the key. */
export function decodeRows(bytes: Uint8Array, key: string, kind: 'sink-transaction' | 'table-segment', expected: { checksum: number; rowCount: number; mode: TableMode }, what: string): unknown[] {
  let rows: unknown;
  try {
    if (chunkChecksum(bytes) !== expected.checksum) throw new CorruptDataError(`${what} do not match the checksum their record holds`, {});
    rows = decodeChunk(bytes, kind).payload;
  } catch (error) {
    if (error instanceof CorruptDataError) throw new CorruptDataError(`${what}: ${error.message}: '${key}'`, { ...error.details, key });
    throw error;
  }
  if (!Array.isArray(rows) || rows.length !== expected.rowCount) throw new CorruptDataError(`${what} do not hold the ${expected.rowCount} rows their record says: '${key}'`, { key });
  if (expected.mode === 'upsert' && !rows.every((r) => Array.isArray(r) && r.length === 2)) throw new CorruptDataError(`${what} are not [key, record] pairs: '${key}'`, { key });
  return rows;
}

function payloadOf(bytes: Uint8Array, kind: ChunkKind, key: string): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = decodeChunk(bytes, kind).payload;
  } catch (error) {
    if (error instanceof CorruptDataError) throw new CorruptDataError(`table record '${key}': ${error.message}`, { ...error.details, key });
    throw error;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw corrupt(key, 'payload');
  return payload as Record<string, unknown>;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function corrupt(key: string, field: string, problem = 'is missing or of the wrong type'): CorruptDataError {
  return new CorruptDataError(`table record '${key}': its field '${field}' ${problem}`, { key, field });
}
