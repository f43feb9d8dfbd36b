import { WeirError } from '../../errors/index.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import type { SinkRecoveryContext } from '../sink.js';
import { readTransaction } from './read-table.js';
import { TableContents } from './table-contents.js';
import { tableLayout } from './table-layout.js';
import { decodeRows, decodeTableSnapshot, encodeRows, encodeTableSnapshot, type ReadTransaction, type TableSegment, type TableSnapshot } from './table-records.js';

/** Below this many settled commit records, a compaction waits: reading a few is cheap, rewriting segments is not. */
export const MIN_COMMITS_TO_COMPACT = 32;

interface Segment extends TableSegment {
  /** The rows, when this compaction built the segment (not yet stored). */
  rows?: unknown[];
}

/**
 * Folds a table's committed transactions up to `upTo` into its snapshot, so that reading it
 * costs a few segments rather than one record and chunk per transaction.
 *
 * Must be called only with `upTo` settled (no restore can take those transactions back) and
 * every transaction up to it committed: a commit record up to the snapshot is ignored by readers.
 * Must stay crash-safe: the snapshot record's write is the only commit point (new segments are
 * written first under new keys; what it replaced is deleted after it), so a crash anywhere leaves
 * a table that reads the same, and the next compaction deletes what the crash left. Every write
 * and delete is conditional on ctx.fence: a superseded runner compacts nothing.
 */
export async function compactTable(ctx: SinkRecoveryContext, table: string, upTo: number, minCommits = MIN_COMMITS_TO_COMPACT): Promise<'compacted' | 'skipped'> {
  const { storage, jobName, fence } = ctx;
  const snapshotKey = tableLayout.snapshotKey(jobName, table);
  const bytes = await storage.getMetadata(snapshotKey);
  const snapshot = bytes === undefined ? undefined : decodeTableSnapshot(bytes, snapshotKey);
  const from = snapshot?.upTo ?? 0;
  const keys = (await storage.listMetadata(tableLayout.prefix(jobName, table))).filter(tableLayout.isCommitKey);
  const due = keys.filter((key) => tableLayout.transactionOf(key) > from && tableLayout.transactionOf(key) <= upTo);
  if (due.length < Math.max(1, minCommits)) {
    // Nothing new to delete unless commit records up to the snapshot came back (a restore's
    // re-commit) or this realm has not swept since the snapshot changed (a crash's leftovers):
    // most checkpoints then list only the table's commit records.
    const sweep = `${jobName}\u0000${table}\u0000${from}`;
    const swept = sweptFor(storage);
    if (keys.some((key) => tableLayout.transactionOf(key) <= from) || !swept.has(sweep)) {
      await deleteFolded(storage, ctx, table, from, keys, snapshot);
      swept.add(sweep);
    }
    return 'skipped';
  }
  const transactions = await Promise.all(due.map(async (key) => {
    const t = await readTransaction(storage, key);
    if (t === undefined || t === 'rows-missing') {
      throw new WeirError('CORRUPT_DATA', `table '${table}': the settled transaction '${key}' changed while it was compacted`, { domain: 'internal', retryable: true, details: { key } });
    }
    return t;
  }));
  const segments: Segment[] = [...(snapshot?.segments ?? []), ...newSegments(transactions, from, upTo)];
  await mergeTail(storage, segments);
  let index = 0;
  for (const segment of segments) {
    if (segment.rows === undefined) continue;
    const encoded = encodeRows('table-segment', segment.rows);
    Object.assign(segment, { key: tableLayout.segmentKey(jobName, table, upTo, ctx.attemptId, index++), checksum: encoded.checksum, rows: undefined });
    await storage.putChunk(segment.key, encoded.bytes);
  }
  const next: TableSnapshot = {
    table, upTo, folded: (snapshot?.folded ?? 0) + due.length,
    segments: segments.map(({ key, mode, rowCount, checksum, fromTxn, toTxn }) => ({ key, mode, rowCount, checksum, fromTxn, toTxn })),
  };
  await storage.putMetadata([{ key: snapshotKey, bytes: encodeTableSnapshot(next) }], fence);
  await deleteFolded(storage, ctx, table, upTo, keys, next);
  sweptFor(storage).add(`${jobName}\u0000${table}\u0000${upTo}`);
  return 'compacted';
}

/** Per storage: the (job, table, snapshot) whose leftovers this realm deleted. Small: one entry per snapshot a table had. */
const sweptByStorage = new WeakMap<CheckpointStorage, Set<string>>();
function sweptFor(storage: CheckpointStorage): Set<string> {
  let swept = sweptByStorage.get(storage);
  if (swept === undefined) sweptByStorage.set(storage, (swept = new Set()));
  if (swept.size > 10_000) swept.clear(); // a bound: forgetting only costs a sweep
  return swept;
}

/** The transactions in commit order, one segment per run of one mode. */
function newSegments(transactions: readonly ReadTransaction[], from: number, upTo: number): Segment[] {
  const segments: Segment[] = [];
  let run: { mode: ReadTransaction['mode']; contents: TableContents } | undefined;
  const close = () => {
    if (run === undefined) return;
    const rows = run.contents.segmentRows(run.mode);
    segments.push({ key: '', mode: run.mode, rowCount: rows.length, checksum: 0, fromTxn: from, toTxn: upTo, rows });
  };
  for (const t of transactions) {
    if (run?.mode !== t.mode) {
      close();
      run = { mode: t.mode, contents: new TableContents() };
    }
    run.contents.apply(t.mode, t.rows);
  }
  close();
  return segments;
}

/**
 * Merges the newest segments while the older of the last two is no larger than the newer (as a
 * binary counter carries): segments grow geometrically, a table of n rows keeps O(log n) of them,
 * and each row is rewritten O(log n) times over the table's life.
 */
async function mergeTail(storage: CheckpointStorage, segments: Segment[]): Promise<void> {
  while (segments.length >= 2) {
    const newer = segments[segments.length - 1]!;
    const older = segments[segments.length - 2]!;
    if (older.mode !== newer.mode || older.rowCount > newer.rowCount) return;
    const contents = new TableContents();
    contents.apply(older.mode, await rowsOf(storage, older));
    contents.apply(newer.mode, await rowsOf(storage, newer));
    const rows = contents.segmentRows(newer.mode);
    segments.splice(segments.length - 2, 2, { key: '', mode: newer.mode, rowCount: rows.length, checksum: 0, fromTxn: older.fromTxn, toTxn: newer.toTxn, rows });
  }
}

async function rowsOf(storage: CheckpointStorage, segment: Segment): Promise<unknown[]> {
  if (segment.rows !== undefined) return segment.rows;
  const bytes = await storage.getChunk(segment.key);
  if (bytes === undefined) throw new WeirError('CORRUPT_DATA', `a table snapshot segment is missing: '${segment.key}'`, { domain: 'external', retryable: false, details: { key: segment.key } });
  return decodeRows(bytes, segment.key, 'table-segment', segment, 'a table snapshot segment');
}

/**
 * Deletes what the snapshot up to `upTo` made redundant: commit records up to it (folded, or
 * written again by a restore's idempotent re-commit), their data chunks, and segments it does
 * not list (replaced by a merge, or left by a crashed or superseded compaction).
 */
async function deleteFolded(storage: CheckpointStorage, ctx: SinkRecoveryContext, table: string, upTo: number, commitKeys: readonly string[], snapshot: TableSnapshot | undefined): Promise<void> {
  const { jobName, fence } = ctx;
  const commits = commitKeys.filter((key) => tableLayout.transactionOf(key) <= upTo);
  if (commits.length > 0) await storage.deleteMetadata(commits, fence);
  const data = (await storage.listChunks(tableLayout.dataPrefix(jobName, table))).filter((key) => tableLayout.transactionOf(key) <= upTo);
  if (data.length > 0) await storage.deleteChunks(data, fence);
  const listed = new Set(snapshot?.segments.map((s) => s.key));
  const unlisted = (await storage.listChunks(tableLayout.segmentPrefix(jobName, table))).filter((key) => !listed.has(key));
  if (unlisted.length > 0) await storage.deleteChunks(unlisted, fence);
}
