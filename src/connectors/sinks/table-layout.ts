import { storageLayout } from '../../state/storage-layout.js';

// Where a table lives in the job's storage. Commit records (metadata) say which transactions
// are in the table; the rows of each transaction are one chunk, written once at the barrier.
//
//   metadata  jobs/<job>/tables/<table>/<txn>-<subtask>               one committed transaction
//   chunks    jobs/<job>/tables/<table>/data/<txn>-<subtask>-<attempt> its rows, staged at the barrier
//
// <txn> is the checkpoint id whose barrier closed the transaction, zero-padded so keys sort by it.
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const part = (name: string) => encodeURIComponent(name);

export const tableLayout = {
  prefix: (job: string, table: string) => `${storageLayout.sinkPrefix(job, 'tables')}${part(table)}/`,
  /** One committed transaction of one sink subtask: written again, it is the same record. */
  commitKey: (job: string, table: string, transactionId: number, subtaskIndex: number) =>
    `${tableLayout.prefix(job, table)}${pad(transactionId, 12)}-${pad(subtaskIndex, 5)}`,
  dataPrefix: (job: string, table: string) => `${tableLayout.prefix(job, table)}data/`,
  /** The attempt keeps a late write of a killed attempt from overwriting its successor's rows. */
  dataKey: (job: string, table: string, transactionId: number, subtaskIndex: number, attemptId: string) =>
    `${tableLayout.dataPrefix(job, table)}${pad(transactionId, 12)}-${pad(subtaskIndex, 5)}-${part(attemptId)}`,
  /** The transaction (checkpoint) id of a commit or data key. */
  transactionOf(key: string): number {
    return Number(key.slice(key.lastIndexOf('/') + 1).split('-')[0]);
  },
};
