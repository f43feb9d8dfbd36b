import { describeValue, InvalidArgumentError, requireOptions, requireString, WeirError } from '../../errors/index.js';
import type { StateKey } from '../../state/keyed-state.js';
import type { Committer, Sink, SinkContext, SinkRecoveryContext, SinkWriter } from '../sink.js';
import { StagedChunks } from './staged-chunks.js';
import { compactTable } from './table-compaction.js';
import { tableLayout } from './table-layout.js';
import { tableNotices } from './table-notices.js';
import { decodeTableSnapshot, encodeRows, encodeTableCommit, type TableTransaction } from './table-records.js';

export type { TableTransaction } from './table-records.js';

export interface TableSinkOptions<T> {
  /** Upsert: keep the latest record per key (a field name or a function). Omit to append every record. */
  key?: (keyof T & string) | ((value: T) => StateKey);
}

/** Exactly-once into the job's storage, by two-phase commit; compacted once settled; watchers told. */
export function table<T>(name: string, options?: TableSinkOptions<T>): Sink<T, TableTransaction> {
  requireString('sinks.table(name)', name);
  const o = requireOptions<TableSinkOptions<T>>('sinks.table(name, options)', options, ['key']);
  const keyOf = keyFunction<T>(o.key);
  return {
    kind: 'weir.sink',
    name: `table(${name})`,
    guarantee: 'exactly-once',
    createWriter: (ctx) => new TableSinkWriter<T>(name, keyOf, ctx),
    // Upsert keyed by a field (not a function, which could read any field): the writer keeps the
    // latest record per key and encodes them in prepareCommit, at the barrier.
    acceptsUpdatedInPlace: (field) => typeof o.key === 'string' && o.key !== field,
    createCommitter: (ctx) => new TableCommitter(ctx),
    rollBack: (ctx, checkpointId) => rollBackTable(ctx, name, checkpointId),
    postCommit: async (ctx, settled) => {
      await compactTable(ctx, name, settled);
      tableNotices().publish({ kind: 'weir.table-changed', job: ctx.jobName, table: name });
    },
  };
}

function keyFunction<T>(key: TableSinkOptions<T>['key']): ((value: T) => StateKey) | undefined {
  if (key === undefined) return undefined;
  if (typeof key === 'function') return key;
  if (typeof key === 'string' && key !== '') return (value) => (value as Record<string, StateKey>)[key]!;
  throw new InvalidArgumentError('sinks.table(name, options).key', `expected a field name or a function, got ${describeValue(key)}`);
}

/** Upsert: a key's latest record and when it was written (to order rows by latest write). */
class LatestRow<T> {
  constructor(
    public value: T,
    public seq: number,
    /** The map that holds this row: a row of a transaction already prepared is no longer `latest`. */
    readonly rows: Map<StateKey, LatestRow<T>>,
  ) {}
}

class TableSinkWriter<T> implements SinkWriter<T, TableTransaction> {
  private appended: T[] = [];
  /** Upsert: the latest record per key. */
  private latest = new Map<StateKey, LatestRow<T>>();
  private seq = 0;
  private readonly staged: StagedChunks;

  constructor(
    private readonly name: string,
    private readonly keyOf: ((value: T) => StateKey) | undefined,
    private readonly ctx: SinkContext,
  ) {
    this.staged = new StagedChunks(ctx.storage);
  }

  write(value: T): void {
    if (this.keyOf === undefined) this.appended.push(value);
    else this.upsert(value, this.keyOf);
  }

  /**
   * Only upsert tables take records updated in place (acceptsUpdatedInPlace). The same record in
   * the row it was last written to is still that row's latest: the key field never changes in
   * place (only the aggregated field does), so the row's key is the record's.
   */
  writeUpdated(value: T, cell: unknown): unknown {
    const row = cell as LatestRow<T> | undefined;
    if (row !== undefined && row.value === value && row.rows === this.latest) {
      row.seq = this.seq++;
      return row;
    }
    if (this.keyOf === undefined) {
      this.appended.push(value);
      return undefined;
    }
    return this.upsert(value, this.keyOf);
  }

  private upsert(value: T, keyOf: (value: T) => StateKey): LatestRow<T> {
    const key = keyOf(value);
    const row = this.latest.get(key);
    if (row !== undefined) {
      row.value = value;
      row.seq = this.seq++;
      return row;
    }
    // Checked for new keys only: a key that is not a primitive is never found, so it always comes here.
    if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'bigint' && typeof key !== 'boolean') {
      throw new InvalidArgumentError(`sinks.table('${this.name}').key`, `must give a string, number, bigint or boolean, got ${describeValue(key)}`);
    }
    const added = new LatestRow(value, this.seq++, this.latest);
    this.latest.set(key, added);
    return added;
  }

  prepareCommit(checkpointId: number): TableTransaction | undefined {
    const upsert = this.keyOf !== undefined;
    if (upsert ? this.latest.size === 0 : this.appended.length === 0) return undefined;
    const rows: unknown[] = upsert
      ? [...this.latest].sort((a, b) => a[1].seq - b[1].seq).map(([key, cell]) => [key, cell.value])
      : this.appended;
    this.appended = [];
    this.latest = new Map();
    const { jobName, subtaskIndex, attemptId } = this.ctx;
    const data = tableLayout.dataKey(jobName, this.name, checkpointId, subtaskIndex, attemptId);
    const { bytes, checksum } = encodeRows('sink-transaction', rows);
    this.staged.stage(data, bytes);
    return { table: this.name, transactionId: checkpointId, subtaskIndex, mode: upsert ? 'upsert' : 'append', data, rowCount: rows.length, checksum };
  }

  flush(): Promise<void> {
    return this.staged.flush();
  }
}

class TableCommitter implements Committer<TableTransaction> {
  constructor(private readonly ctx: SinkContext) {}

  /** One record per transaction, keyed by transaction and subtask: committing again writes the same record. */
  async commit(committables: readonly TableTransaction[]): Promise<void> {
    if (committables.length === 0) return;
    const records = committables.map((t) => ({ key: tableLayout.commitKey(this.ctx.jobName, t.table, t.transactionId, t.subtaskIndex), bytes: encodeTableCommit(t) }));
    try {
      await this.ctx.storage.putMetadata(records, this.ctx.fence);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'STORAGE_FENCED' || code === 'CORRUPT_DATA' || code === 'INVALID_ARGUMENT') throw error;
      throw new WeirError('CHECKPOINT_STORAGE_FAILED', `sinks.table: committing ${records.length} transaction(s) failed: ${error instanceof Error ? error.message : String(error)}`, {
        domain: 'external', retryable: true, cause: error, details: { transactions: committables.map((t) => t.transactionId) },
      });
    }
  }
}

/**
 * Removes commit records, then data chunks, of transactions after `checkpointId` (a record must
 * never point to a deleted chunk). A snapshot holds only settled transactions, so only a start
 * over (`checkpointId` 0) reaches below it: then it goes too, last (until then it reads whole).
 */
export async function rollBackTable(ctx: SinkRecoveryContext, table: string, checkpointId: number): Promise<void> {
  const { storage, jobName, fence } = ctx;
  const snapshotKey = tableLayout.snapshotKey(jobName, table);
  const bytes = await storage.getMetadata(snapshotKey);
  const snapshotGoes = bytes !== undefined && decodeTableSnapshot(bytes, snapshotKey).upTo > checkpointId;
  if (snapshotGoes && checkpointId > 0) {
    throw new WeirError('STATE_MISMATCH', `table '${table}': a rollback to checkpoint ${checkpointId} would take back transactions its snapshot settled; the job's checkpoints and its table disagree`, {
      domain: 'internal', retryable: false, details: { table, checkpointId },
    });
  }
  const after = (key: string) => tableLayout.transactionOf(key) > checkpointId;
  const commits = (await storage.listMetadata(tableLayout.prefix(jobName, table))).filter((key) => tableLayout.isCommitKey(key) && after(key));
  if (commits.length > 0) await storage.deleteMetadata(commits, fence);
  const staged = (await storage.listChunks(tableLayout.dataPrefix(jobName, table))).filter(after);
  if (staged.length > 0) await storage.deleteChunks(staged, fence);
  if (snapshotGoes) {
    await storage.deleteMetadata([snapshotKey], fence);
    const segments = await storage.listChunks(tableLayout.segmentPrefix(jobName, table));
    if (segments.length > 0) await storage.deleteChunks(segments, fence);
  }
  tableNotices().publish({ kind: 'weir.table-changed', job: jobName, table });
}
