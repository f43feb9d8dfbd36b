import { describeValue, InvalidArgumentError, requireOptions, requireString, WeirError } from '../../errors/index.js';
import { chunkChecksum, encodeChunk } from '../../state/chunk-format.js';
import type { StateKey } from '../../state/keyed-state.js';
import type { Committer, Sink, SinkContext, SinkRecoveryContext, SinkWriter } from '../sink.js';
import { tableLayout } from './table-layout.js';

export interface TableSinkOptions<T> {
  /** Upsert: keep the latest record per key (a field name or a function). Omit to append every record. */
  key?: (keyof T & string) | ((value: T) => StateKey);
}

/**
 * One transaction of one sink subtask: the committable stored in the checkpoint while pending,
 * and the commit record once committed. The rows are in the chunk `data`, written once.
 */
export interface TableTransaction {
  readonly table: string;
  readonly transactionId: number;
  readonly subtaskIndex: number;
  readonly mode: 'append' | 'upsert';
  /** The chunk of the rows: append, the records in order; upsert, [key, latest record] pairs. */
  readonly data: string;
  readonly rowCount: number;
  /** The data chunk's checksum, checked when the table is read. */
  readonly checksum: number;
}

/** Exactly-once into the job's storage, by two-phase commit. */
export function table<T>(name: string, options?: TableSinkOptions<T>): Sink<T, TableTransaction> {
  requireString('sinks.table(name)', name);
  const o = requireOptions<TableSinkOptions<T>>('sinks.table(name, options)', options, ['key']);
  const keyOf = keyFunction<T>(o.key);
  return {
    kind: 'weir.sink',
    name: `table(${name})`,
    guarantee: 'exactly-once',
    createWriter: (ctx) => new TableSinkWriter<T>(name, keyOf, ctx),
    createCommitter: (ctx) => new TableCommitter(ctx),
    rollBack: (ctx, checkpointId) => rollBackTable(ctx, name, checkpointId),
  };
}

function keyFunction<T>(key: TableSinkOptions<T>['key']): ((value: T) => StateKey) | undefined {
  if (key === undefined) return undefined;
  if (typeof key === 'function') return key;
  if (typeof key === 'string' && key !== '') return (value) => (value as Record<string, StateKey>)[key]!;
  throw new InvalidArgumentError('sinks.table(name, options).key', `expected a field name or a function, got ${describeValue(key)}`);
}

class TableSinkWriter<T> implements SinkWriter<T, TableTransaction> {
  private appended: T[] = [];
  /** Upsert: the latest record per key and when it was written (to order rows by latest write). */
  private latest = new Map<StateKey, { value: T; seq: number }>();
  private seq = 0;
  /** Data chunks of prepared transactions not yet known to be stored; a failed write is tried again at the next flush. */
  private readonly unstored = new Map<string, { bytes: Uint8Array; write: Promise<void> | undefined }>();

  constructor(
    private readonly name: string,
    private readonly keyOf: ((value: T) => StateKey) | undefined,
    private readonly ctx: SinkContext,
  ) {}

  write(value: T): void {
    if (this.keyOf === undefined) {
      this.appended.push(value);
      return;
    }
    const key = this.keyOf(value);
    const cell = this.latest.get(key);
    if (cell === undefined) {
      // Checked for new keys only: a key that is not a primitive is never found, so it always comes here.
      if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'bigint' && typeof key !== 'boolean') {
        throw new InvalidArgumentError(`sinks.table('${this.name}').key`, `must give a string, number, bigint or boolean, got ${describeValue(key)}`);
      }
      this.latest.set(key, { value, seq: this.seq++ });
    } else {
      cell.value = value;
      cell.seq = this.seq++;
    }
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
    const bytes = encodeChunk('sink-transaction', rows);
    const staged = { bytes, write: undefined as Promise<void> | undefined };
    this.unstored.set(data, staged);
    staged.write = this.store(data, staged);
    return { table: this.name, transactionId: checkpointId, subtaskIndex, mode: upsert ? 'upsert' : 'append', data, rowCount: rows.length, checksum: chunkChecksum(bytes) };
  }

  flush(): Promise<void> {
    const writes = [...this.unstored].map(([key, staged]) => (staged.write ??= this.store(key, staged)));
    return Promise.all(writes).then(() => undefined);
  }

  private store(key: string, staged: { bytes: Uint8Array; write: Promise<void> | undefined }): Promise<void> {
    const write = this.ctx.storage.putChunk(key, staged.bytes).then(
      () => void this.unstored.delete(key),
      (error: unknown) => {
        staged.write = undefined; // the next flush writes it again
        throw error;
      },
    );
    write.catch(() => undefined); // reported through flush()
    return write;
  }
}

class TableCommitter implements Committer<TableTransaction> {
  constructor(private readonly ctx: SinkContext) {}

  /** One record per transaction, keyed by transaction and subtask: committing again writes the same record. */
  async commit(committables: readonly TableTransaction[]): Promise<void> {
    if (committables.length === 0) return;
    const records = committables.map((t) => ({ key: tableLayout.commitKey(this.ctx.jobName, t.table, t.transactionId, t.subtaskIndex), bytes: encodeChunk('table-commit', t) }));
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

/** Removes commit records, then data chunks, of transactions after `checkpointId` (a record must never point to a deleted chunk). */
export async function rollBackTable(ctx: SinkRecoveryContext, table: string, checkpointId: number): Promise<void> {
  const { storage, jobName, fence } = ctx;
  const after = (keys: string[]) => keys.filter((key) => tableLayout.transactionOf(key) > checkpointId);
  const commits = after(await storage.listMetadata(tableLayout.prefix(jobName, table)));
  if (commits.length > 0) await storage.deleteMetadata(commits, fence);
  const staged = after(await storage.listChunks(tableLayout.dataPrefix(jobName, table)));
  if (staged.length > 0) await storage.deleteChunks(staged, fence);
}
