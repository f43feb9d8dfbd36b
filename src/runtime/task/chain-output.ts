import type { ElementTimestamp } from '../operators/element-timestamp.js';
import type { Downstream, Output } from '../operators/stream-operator.js';

type BatchOf = (records: readonly unknown[], n: number, timestamps: readonly number[] | undefined) => void;

/** A downstream's batch entry: its own loop, or its `collect` per record (setting each record's timestamp first). */
function batchOf(target: Downstream, elementTimestamp: ElementTimestamp): BatchOf {
  if (target.collectBatch !== undefined) return (records, n, timestamps) => target.collectBatch!(records, n, timestamps);
  return (records, n, timestamps) => {
    for (let i = 0; i < n; i++) {
      if (timestamps !== undefined) elementTimestamp.value = timestamps[i]!;
      target.collect(records[i]);
    }
  };
}

/**
 * An operator's output inside a chain: records it emits one at a time (a source's reader, a
 * flatMap, a timer) are buffered, with their timestamps in a job with event time, and go to the
 * next operators as one batch when `batchSize` are there or on `flush`; a batch it emits whole
 * (a map's loop) goes on at once. Side outputs go record by record (they are rare).
 */
export class ChainOutput implements Output {
  private readonly records: unknown[];
  private readonly timestamps: number[] | undefined;
  private n = 0;
  private readonly main: BatchOf[];
  private readonly all: readonly Downstream[];
  private readonly sides: ReadonlyMap<string, readonly Downstream[]>;

  constructor(
    main: readonly Downstream[],
    sides: ReadonlyMap<string, readonly Downstream[]>,
    private readonly batchSize: number,
    /** Set in a job with event time: each buffered record keeps the timestamp it was emitted with. */
    private readonly elementTimestamp: ElementTimestamp,
    eventTime: boolean,
  ) {
    this.records = new Array<unknown>(batchSize);
    this.timestamps = eventTime ? new Array<number>(batchSize).fill(Number.NaN) : undefined;
    this.main = main.map((t) => batchOf(t, elementTimestamp));
    this.sides = sides;
    this.all = [...main, ...[...sides.values()].flat()];
  }

  collect(value: unknown): void {
    const i = this.n;
    this.records[i] = value;
    if (this.timestamps !== undefined) this.timestamps[i] = this.elementTimestamp.value;
    this.n = i + 1;
    if (this.n === this.batchSize) this.flush();
  }

  collectBatch(records: readonly unknown[], n: number, timestamps: readonly number[] | undefined): void {
    if (this.n > 0) this.flush();
    if (n === 0) return;
    const main = this.main;
    for (let t = 0; t < main.length; t++) main[t]!(records, n, timestamps);
  }

  collectSide(tag: string, value: unknown): void {
    const targets = this.sides.get(tag);
    if (targets === undefined) return;
    if (this.n > 0) this.flush(); // keep the order of what went before it
    for (const t of targets) t.collect(value);
  }

  emitWatermark(timestamp: number): void {
    if (this.n > 0) this.flush();
    for (const t of this.all) t.processWatermark(timestamp);
  }

  flush(): void {
    const n = this.n;
    if (n === 0) return;
    this.n = 0;
    const main = this.main;
    // A flush can happen in the middle of a record (a watermark its generator emits): the record's timestamp stays.
    const current = this.elementTimestamp.value;
    for (let t = 0; t < main.length; t++) main[t]!(this.records, n, this.timestamps);
    this.elementTimestamp.value = current;
    // The next batch overwrites the slots; dropping the references lets the records go sooner.
    this.records.fill(undefined, 0, n);
  }
}
