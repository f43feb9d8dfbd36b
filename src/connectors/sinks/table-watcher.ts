import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { sameBytes } from '../../state/checkpoint-storage.js';
import { loadTable, readTransaction } from './read-table.js';
import { settledCheckpointId } from './settled-checkpoint.js';
import type { TableContents } from './table-contents.js';
import { diffContents } from './table-diff.js';
import { tableLayout } from './table-layout.js';
import { decodeTableSnapshot, type ReadTransaction, type TableSnapshot } from './table-records.js';

/** What a table watcher's listener gets: the table's content after a commit, and that commit's rows. */
export interface TableUpdate<T> {
  /** The content holds every transaction up to this checkpoint's (the first update: the settled checkpoint; 0: none yet). */
  readonly checkpointId: number;
  readonly rows: T[];
  /** The rows this update adds or replaces (the first update: all of them). */
  readonly changes: T[];
  /** Set when rows shown before are gone: a fresh start of the job cleared the table (rows is its new content). */
  readonly reset?: true;
}

interface Seen<T> {
  readonly contents: TableContents<T>;
  readonly snapshotBytes: Uint8Array | undefined;
  readonly snapshot: TableSnapshot | undefined;
  /** Commit records applied after the snapshot, in commit order. */
  applied: string[];
}

/**
 * Follows a table's settled content: the transactions up to the oldest checkpoint its job keeps
 * (settled-checkpoint.ts), which no restore can take back. Each refresh reads only what is new —
 * commit records after the last one applied — and reads the table whole again only when what it
 * finds does not extend what it showed (a commit that landed late, a snapshot that folded
 * something it never saw, a table started over). One refresh at a time; a request during one
 * runs another after it.
 */
export class TableWatcher<T> {
  private seen: Seen<T> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly jobName: string,
    private readonly table: string,
    private readonly listener: (update: TableUpdate<T>) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Looks again; resolves once a refresh that started after this call finished (never rejects). */
  refresh(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.refreshOnce();
        } catch (error) {
          if (!this.closed) this.onError(error);
        }
      } while (this.again && !this.closed);
      this.running = undefined;
    })();
    return this.running;
  }

  close(): void {
    this.closed = true;
  }

  private async refreshOnce(): Promise<void> {
    const settled = (await settledCheckpointId(this.storage, this.jobName)) ?? 0;
    if (this.seen === undefined || !(await this.extend(settled))) await this.rebuild(settled);
  }

  /** Applies what is new since the last refresh; false when it does not simply extend what was shown. */
  private async extend(settled: number): Promise<boolean> {
    const seen = this.seen!;
    const snapshotKey = tableLayout.snapshotKey(this.jobName, this.table);
    const snapshotBytes = await this.storage.getMetadata(snapshotKey);
    let applied = seen.applied;
    if (!sameBytes(snapshotBytes, seen.snapshotBytes)) {
      if (snapshotBytes === undefined) return false;
      const snapshot = decodeTableSnapshot(snapshotBytes, snapshotKey);
      const folded = applied.filter((key) => tableLayout.transactionOf(key) <= snapshot.upTo);
      // Every commit the new snapshot folded since the one shown must be one this watcher applied.
      if ((seen.snapshot?.upTo ?? 0) > snapshot.upTo || snapshot.folded - (seen.snapshot?.folded ?? 0) !== folded.length) return false;
      applied = applied.slice(folded.length);
      this.seen = { ...seen, snapshotBytes, snapshot, applied };
    }
    const after = this.seen!.snapshot?.upTo ?? 0;
    const keys = (await this.storage.listMetadata(tableLayout.prefix(this.jobName, this.table)))
      .filter((key) => tableLayout.isCommitKey(key) && tableLayout.transactionOf(key) > after && tableLayout.transactionOf(key) <= settled);
    const appliedSet = new Set(applied);
    if (applied.some((key) => !keys.includes(key))) return false; // something shown is gone (or was folded under a snapshot not yet read)
    const fresh = keys.filter((key) => !appliedSet.has(key));
    const last = applied[applied.length - 1];
    if (fresh.length === 0) return true;
    if (last !== undefined && fresh[0]! < last) return false; // a commit landed behind what was shown: order matters for upserts
    const transactions = await Promise.all(fresh.map((key) => readTransaction(this.storage, key)));
    if (transactions.some((t) => t === undefined || t === 'rows-missing')) return false;
    let i = 0;
    while (i < fresh.length && !this.closed) {
      const checkpointId = tableLayout.transactionOf(fresh[i]!);
      const changes: T[] = [];
      for (; i < fresh.length && tableLayout.transactionOf(fresh[i]!) === checkpointId; i++) {
        const t = transactions[i] as ReadTransaction;
        this.seen!.contents.apply(t.mode, t.rows);
        this.seen!.applied.push(fresh[i]!);
        for (const row of t.rows) changes.push((t.mode === 'append' ? row : (row as [unknown, T])[1]) as T);
      }
      this.emit({ checkpointId, rows: this.seen!.contents.rows(), changes });
    }
    return true;
  }

  private async rebuild(settled: number): Promise<void> {
    const snapshotKey = tableLayout.snapshotKey(this.jobName, this.table);
    const snapshotBytes = await this.storage.getMetadata(snapshotKey);
    const loaded = await loadTable<T>(this.storage, this.jobName, this.table, settled);
    // loadTable read the snapshot itself; if it changed since, the next refresh sees the difference and reads again.
    const before = this.seen;
    this.seen = { contents: loaded.contents, snapshotBytes: loaded.snapshot === undefined ? undefined : snapshotBytes, snapshot: loaded.snapshot, applied: [...loaded.commits] };
    if (before === undefined) {
      const rows = loaded.contents.rows();
      return this.emit({ checkpointId: settled, rows, changes: rows.slice() });
    }
    const { changes, reset } = diffContents(before.contents, loaded.contents);
    if (changes.length === 0 && !reset) return;
    this.emit({ checkpointId: settled, rows: loaded.contents.rows(), changes, ...(reset ? { reset: true as const } : {}) });
  }

  private emit(update: TableUpdate<T>): void {
    if (this.closed) return;
    try {
      this.listener(update);
    } catch (error) {
      this.onError(error);
    }
  }
}
