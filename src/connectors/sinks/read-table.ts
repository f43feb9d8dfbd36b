import { CorruptDataError } from '../../errors/index.js';
import { chunkChecksum, decodeChunk } from '../../state/chunk-format.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { tableLayout } from './table-layout.js';
import type { TableTransaction } from './table-sink.js';

/** A commit record written before the rows moved to their own chunk: the rows inline. */
type InlineTransaction = Omit<TableTransaction, 'data' | 'rowCount' | 'checksum'> & { readonly rows: unknown[] };

/**
 * The committed content of a table: transactions in commit order (checkpoint, then subtask);
 * for an upsert table the latest record per key.
 */
export async function readCommittedTable<T>(storage: CheckpointStorage, jobName: string, table: string): Promise<T[]> {
  const keys = await storage.listMetadata(tableLayout.prefix(jobName, table));
  const transactions = await Promise.all(keys.map((key) => readTransaction(storage, key)));
  const appended: T[] = [];
  const latest = new Map<unknown, T>();
  for (const transaction of transactions) {
    if (transaction === undefined) continue; // deleted between list and get
    if (transaction.mode === 'append') {
      for (const row of transaction.rows) appended.push(row as T);
    } else {
      for (const [k, v] of transaction.rows as [unknown, T][]) {
        latest.delete(k);
        latest.set(k, v);
      }
    }
  }
  return latest.size > 0 ? [...appended, ...latest.values()] : appended;
}

async function readTransaction(storage: CheckpointStorage, key: string): Promise<{ mode: TableTransaction['mode']; rows: unknown[] } | undefined> {
  const bytes = await storage.getMetadata(key);
  if (bytes === undefined) return undefined;
  const record = decodeChunk(bytes, 'table-commit').payload as TableTransaction | InlineTransaction;
  if ('rows' in record) return record;
  const data = await storage.getChunk(record.data);
  if (data === undefined) throw new CorruptDataError(`table '${record.table}': the rows of transaction ${record.transactionId} (subtask ${record.subtaskIndex}) are missing: '${record.data}'`, { key: record.data });
  if (chunkChecksum(data) !== record.checksum) {
    throw new CorruptDataError(`table '${record.table}': the rows of transaction ${record.transactionId} (subtask ${record.subtaskIndex}) do not match their commit record's checksum`, { key: record.data });
  }
  return { mode: record.mode, rows: decodeChunk(data, 'sink-transaction').payload as unknown[] };
}
