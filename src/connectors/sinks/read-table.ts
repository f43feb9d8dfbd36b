import { CorruptDataError } from '../../errors/index.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { sameBytes } from '../../state/checkpoint-storage.js';
import { TableContents } from './table-contents.js';
import { tableLayout } from './table-layout.js';
import { decodeRows, decodeTableCommit, decodeTableSnapshot, type ReadTransaction, type TableSegment, type TableSnapshot } from './table-records.js';

/** A table as read at one moment: its rows, and what they were built from. */
export interface TableState<T> {
  readonly contents: TableContents<T>;
  readonly snapshot: TableSnapshot | undefined;
  /** The commit records applied after the snapshot, in commit order. */
  readonly commits: readonly string[];
}

/** Reads retried because a compaction replaced what was being read, before giving up. */
const MAX_READ_ATTEMPTS = 8;

/**
 * The committed content of a table: its snapshot's segments, then the transactions after it in
 * commit order (checkpoint, then subtask), up to transaction `upTo`.
 */
export async function readCommittedTable<T>(storage: CheckpointStorage, jobName: string, table: string, upTo = Infinity): Promise<T[]> {
  return (await loadTable<T>(storage, jobName, table, upTo)).contents.rows();
}

/**
 * Reads a table consistently while its runner may be compacting it: a segment or a commit record
 * that disappeared while being read is fine if the snapshot changed meanwhile (the read starts
 * over), a rolled-back transaction if its commit record went too; anything else missing is corrupt.
 */
export async function loadTable<T>(storage: CheckpointStorage, jobName: string, table: string, upTo = Infinity): Promise<TableState<T>> {
  const snapshotKey = tableLayout.snapshotKey(jobName, table);
  for (let attempt = 1; ; attempt++) {
    const snapshotBytes = await storage.getMetadata(snapshotKey);
    const snapshot = snapshotBytes === undefined ? undefined : decodeTableSnapshot(snapshotBytes, snapshotKey);
    const after = snapshot?.upTo ?? 0;
    const keys = (await storage.listMetadata(tableLayout.prefix(jobName, table)))
      .filter((key) => tableLayout.isCommitKey(key) && tableLayout.transactionOf(key) > after && tableLayout.transactionOf(key) <= upTo);
    const [segments, transactions] = await Promise.all([
      Promise.all((snapshot?.segments ?? []).map((s) => readSegment(storage, s))),
      Promise.all(keys.map((key) => readTransaction(storage, key))),
    ]);
    const incomplete = segments.includes(undefined) || transactions.some((t) => t === undefined || t === 'rows-missing');
    if (incomplete && attempt < MAX_READ_ATTEMPTS && !sameBytes(snapshotBytes, await storage.getMetadata(snapshotKey))) continue;
    const contents = new TableContents<T>();
    snapshot?.segments.forEach((segment, i) => {
      const rows = segments[i];
      if (rows === undefined) throw new CorruptDataError(`table '${table}': a segment of its snapshot is missing: '${segment.key}'`, { key: segment.key });
      contents.apply(segment.mode, rows);
    });
    const commits: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      let transaction = transactions[i];
      if (transaction === 'rows-missing') transaction = await rowsMissing(storage, keys[i]!);
      if (transaction === undefined) continue; // rolled back between the listing and the read
      contents.apply(transaction.mode, transaction.rows);
      commits.push(keys[i]!);
    }
    return { contents, snapshot, commits };
  }
}

/** A commit record's transaction with its rows; undefined when the record is gone; 'rows-missing' when its rows are. */
export async function readTransaction(storage: CheckpointStorage, key: string): Promise<ReadTransaction | undefined | 'rows-missing'> {
  const bytes = await storage.getMetadata(key);
  if (bytes === undefined) return undefined;
  const record = decodeTableCommit(bytes, key);
  if ('rows' in record) return record;
  const data = await storage.getChunk(record.data);
  if (data === undefined) return 'rows-missing';
  const rows = decodeRows(data, record.data, 'sink-transaction', record, `table '${record.table}': the rows of transaction ${record.transactionId} (subtask ${record.subtaskIndex})`);
  return { transactionId: record.transactionId, subtaskIndex: record.subtaskIndex, mode: record.mode, rows };
}

/** Rows missing under a commit record that is still there are corrupt; gone with their record, they were rolled back. */
async function rowsMissing(storage: CheckpointStorage, key: string): Promise<undefined> {
  const bytes = await storage.getMetadata(key);
  if (bytes === undefined) return undefined;
  const record = decodeTableCommit(bytes, key);
  const data = 'data' in record ? record.data : key;
  throw new CorruptDataError(`table '${record.table}': the rows of transaction ${record.transactionId} (subtask ${record.subtaskIndex}) are missing: '${data}'`, { key: data });
}

async function readSegment(storage: CheckpointStorage, segment: TableSegment): Promise<unknown[] | undefined> {
  const bytes = await storage.getChunk(segment.key);
  return bytes === undefined ? undefined : decodeRows(bytes, segment.key, 'table-segment', segment, 'a table snapshot segment');
}
