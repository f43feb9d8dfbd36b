import { decodeChunk } from '../../state/chunk-format.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { TableTransaction } from './table-sink.js';

/**
 * The committed content of a table: transactions in commit order (checkpoint, then subtask);
 * for an upsert table the latest record per key.
 */
export async function readCommittedTable<T>(storage: CheckpointStorage, jobName: string, table: string): Promise<T[]> {
  const keys = await storage.listMetadata(storageLayout.tablePrefix(jobName, table));
  const appended: T[] = [];
  const latest = new Map<unknown, T>();
  for (const key of keys) {
    const bytes = await storage.getMetadata(key);
    if (bytes === undefined) continue; // deleted between list and get
    const transaction = decodeChunk(bytes, 'table-commit').payload as TableTransaction;
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
