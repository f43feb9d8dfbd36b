import { CorruptDataError } from '../../errors/index.js';
import { chunkChecksum } from '../../state/chunk-format.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { readStoredPayload, readStoredRecord, StoredFields } from '../../state/stored-record.js';
import { tableLayout } from './table-layout.js';
import type { TableTransaction } from './table-sink.js';

/**
 * The committed content of a table: transactions in commit order (checkpoint, then subtask);
 * for an upsert table the latest record per key.
 */
export async function readCommittedTable<T>(storage: CheckpointStorage, jobName: string, table: string): Promise<T[]> {
  const keys = await storage.listMetadata(tableLayout.prefix(jobName, table));
  const transactions = await Promise.all(keys.map((key) => readTransaction(storage, jobName, table, key)));
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

type Rows = { mode: TableTransaction['mode']; rows: unknown[] };

// Commit records and their rows are checked field by field as they are read: a record of another
// version or tampered with is refused with CORRUPT_DATA naming its key, never half-read.
async function readTransaction(storage: CheckpointStorage, jobName: string, table: string, key: string): Promise<Rows | undefined> {
  const bytes = await storage.getMetadata(key);
  if (bytes === undefined) return undefined;
  const what = `table '${table}': commit record`;
  const f = new StoredFields(readStoredRecord(bytes, 'table-commit', key, what), key, what);
  const mode = f.oneOf('mode', ['append', 'upsert'] as const);
  const transactionId = f.integer('transactionId');
  if (transactionId !== tableLayout.transactionOf(key)) throw f.corrupt('transactionId', `holds transaction ${transactionId}, its key says ${tableLayout.transactionOf(key)}`);
  const subtaskIndex = f.integer('subtaskIndex');
  if (f.has('rows')) return { mode, rows: checkRows(mode, f.array('rows'), key, `${what} '${key}'`) }; // rows inline: a record written before the rows had their own chunk
  const data = f.string('data');
  if (!data.startsWith(tableLayout.dataPrefix(jobName, table))) throw f.corrupt('data', `is not a data chunk of table '${table}'`);
  const rowCount = f.integer('rowCount');
  const checksum = f.integer('checksum', 0, 0xffffffff);
  const where = `table '${table}': the rows of transaction ${transactionId} (subtask ${subtaskIndex})`;
  const chunk = await storage.getChunk(data);
  if (chunk === undefined) throw new CorruptDataError(`${where} are missing: '${data}'`, { key: data });
  if (readChecksum(chunk) !== checksum) throw new CorruptDataError(`${where} do not match their commit record's checksum: '${data}'`, { key: data });
  const rows = readStoredPayload(chunk, 'sink-transaction', data, `${where}: chunk`);
  if (!Array.isArray(rows) || rows.length !== rowCount) throw new CorruptDataError(`${where}: chunk '${data}' does not hold the ${rowCount} rows its commit record '${key}' says`, { key: data });
  return { mode, rows: checkRows(mode, rows, data, `${where}: chunk '${data}'`) };
}

function readChecksum(chunk: Uint8Array): number | undefined {
  try {
    return chunkChecksum(chunk);
  } catch {
    return undefined; // not even a chunk header: it cannot match
  }
}

/** Upsert rows are [key, record] pairs. */
function checkRows(mode: Rows['mode'], rows: unknown[], key: string, where: string): unknown[] {
  if (mode === 'upsert' && !rows.every((row) => Array.isArray(row) && row.length === 2)) {
    throw new CorruptDataError(`${where}: an upsert row is not a [key, record] pair`, { key });
  }
  return rows;
}
