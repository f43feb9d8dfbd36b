import { describeValue, InvalidArgumentError, requireOptions, requireString } from '../../errors/index.js';
import { encodeChunk } from '../../state/chunk-format.js';
import type { StateKey } from '../../state/keyed-state.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { Sink, SinkContext, SinkWriter } from '../sink.js';

export interface TableSinkOptions<T> {
  /** Upsert: keep the latest record per key (a field name or a function). Omit to append every record. */
  key?: (keyof T & string) | ((value: T) => StateKey);
}

/** What a table transaction stores: in the checkpoint while pending, in the table once committed. */
export interface TableTransaction {
  readonly table: string;
  readonly transactionId: number;
  readonly subtaskIndex: number;
  readonly mode: 'append' | 'upsert';
  /** append: the records in order; upsert: [key, latest record] pairs. */
  readonly rows: unknown[];
}

/** Exactly-once into the job's storage, by two-phase commit. */
export function table<T>(name: string, options?: TableSinkOptions<T>): Sink<T> {
  requireString('sinks.table(name)', name);
  const o = requireOptions<TableSinkOptions<T>>('sinks.table(name, options)', options, ['key']);
  const keyOf = keyFunction<T>(o.key);
  return {
    kind: 'weir.sink',
    name: `table(${name})`,
    guarantee: 'exactly-once',
    createWriter: (ctx) => new TableSinkWriter<T>(name, keyOf, ctx),
  };
}

function keyFunction<T>(key: TableSinkOptions<T>['key']): ((value: T) => StateKey) | undefined {
  if (key === undefined) return undefined;
  if (typeof key === 'function') return key;
  if (typeof key === 'string' && key !== '') return (value) => (value as Record<string, StateKey>)[key]!;
  throw new InvalidArgumentError('sinks.table(name, options).key', `expected a field name or a function, got ${describeValue(key)}`);
}

class TableSinkWriter<T> implements SinkWriter<T> {
  private appended: T[] = [];
  /** Upsert: the latest record per key and when it was written (to order rows by latest write). */
  private latest = new Map<StateKey, { value: T; seq: number }>();
  private seq = 0;

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
    return { table: this.name, transactionId: checkpointId, subtaskIndex: this.ctx.subtaskIndex, mode: upsert ? 'upsert' : 'append', rows };
  }

  async commit(committables: readonly unknown[]): Promise<void> {
    const records = (committables as TableTransaction[]).map((t) => ({
      key: storageLayout.tableCommitKey(this.ctx.jobName, t.table, t.transactionId, t.subtaskIndex),
      bytes: encodeChunk('table-commit', t),
    }));
    if (records.length > 0) await this.ctx.storage.putMetadata(records, this.ctx.fence);
  }
}
