import { storageLayout } from '../../state/storage-layout.js';

// Where a table lives in the job's storage. Commit records (metadata) say which transactions
// are in the table; the rows of each transaction are one chunk, written once at the barrier.
// Compaction folds settled transactions into a snapshot: one record listing segments (chunks of
// rows), which replaces the commit records and data chunks it covers.
//
//   metadata  jobs/<job>/tables/<table>/<txn>-<subtask>                 one committed transaction
//   chunks    jobs/<job>/tables/<table>/data/<txn>-<subtask>-<attempt>   its rows, staged at the barrier
//   metadata  jobs/<job>/tables/<table>/snapshot                        the transactions up to `upTo`, folded
//   chunks    jobs/<job>/tables/<table>/segments/<upTo>-<attempt>-<n>   the snapshot's rows
//
// <txn> is the checkpoint id whose barrier closed the transaction, zero-padded so keys sort by it.
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const part = (name: string) => encodeURIComponent(name);
const COMMIT_NAME = /^\d{12}-\d{5}$/;

export const tableLayout = {
  prefix: (job: string, table: string) => `${storageLayout.sinkPrefix(job, 'tables')}${part(table)}/`,
  /** One committed transaction of one sink subtask: written again, it is the same record. */
  commitKey: (job: string, table: string, transactionId: number, subtaskIndex: number) =>
    `${tableLayout.prefix(job, table)}${pad(transactionId, 12)}-${pad(subtaskIndex, 5)}`,
  /** Whether a key listed under prefix() is a commit record (not the snapshot record). */
  isCommitKey: (key: string) => COMMIT_NAME.test(key.slice(key.lastIndexOf('/') + 1)),
  dataPrefix: (job: string, table: string) => `${tableLayout.prefix(job, table)}data/`,
  /** The attempt keeps a late write of a killed attempt from overwriting its successor's rows. */
  dataKey: (job: string, table: string, transactionId: number, subtaskIndex: number, attemptId: string) =>
    `${tableLayout.dataPrefix(job, table)}${pad(transactionId, 12)}-${pad(subtaskIndex, 5)}-${part(attemptId)}`,
  snapshotKey: (job: string, table: string) => `${tableLayout.prefix(job, table)}snapshot`,
  segmentPrefix: (job: string, table: string) => `${tableLayout.prefix(job, table)}segments/`,
  /** A segment of the snapshot up to `upTo`, written by one compaction (the attempt keeps a superseded runner's apart). */
  segmentKey: (job: string, table: string, upTo: number, attemptId: string, index: number) =>
    `${tableLayout.segmentPrefix(job, table)}${pad(upTo, 12)}-${part(attemptId)}-${index}`,
  /** The transaction (checkpoint) id of a commit or data key. */
  transactionOf(key: string): number {
    return Number(key.slice(key.lastIndexOf('/') + 1).split('-')[0]);
  },
  /** The subtask of a commit key. */
  subtaskOf(key: string): number {
    return Number(key.slice(key.lastIndexOf('/') + 1).split('-')[1]);
  },
};
