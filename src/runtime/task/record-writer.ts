import type { ChannelEvent, ChannelSender } from '../../channel/index.js';
import { WeirError } from '../../errors/index.js';
import { keyHash } from '../../graph/key-groups.js';
import type { PartitionerSpec } from '../../graph/job-graph.js';
import type { StateKey } from '../../state/keyed-state.js';
import type { ElementTimestamp } from '../operators/element-timestamp.js';
import type { Downstream } from '../operators/stream-operator.js';

/**
 * Writes one output edge of a task: deals records to the downstream subtasks' channels by
 * the edge's partitioner, into batches that go out when full, on flush, or before an event.
 */
export class RecordWriter implements Downstream {
  private records: unknown[][];
  private keys: StateKey[][];
  private keyGroups: number[][];
  /** Only in a job with event time: each buffered record's timestamp. */
  private timestamps: number[][] | undefined;
  private nextTarget: number;
  readonly collect: (value: unknown) => void;

  constructor(
    private readonly partitioner: PartitionerSpec,
    private readonly senders: readonly ChannelSender[],
    subtaskIndex: number,
    private readonly maxParallelism: number,
    private readonly batchSize: number,
    /** Given in a job with event time: the timestamps of the records written go along with them. */
    private readonly elementTimestamp?: ElementTimestamp,
  ) {
    const n = senders.length;
    this.records = senders.map(() => []);
    if (elementTimestamp !== undefined) this.timestamps = senders.map(() => []);
    this.keys = senders.map(() => []);
    this.keyGroups = senders.map(() => []);
    this.nextTarget = subtaskIndex % n;
    switch (partitioner.kind) {
      case 'forward':
        this.collect = (value) => this.push(0, value);
        break;
      case 'rebalance':
        this.collect = (value) => {
          const target = this.nextTarget;
          this.nextTarget = target + 1 === n ? 0 : target + 1;
          this.push(target, value);
        };
        break;
      case 'broadcast':
        this.collect = (value) => {
          for (let t = 0; t < n; t++) this.push(t, value);
        };
        break;
      case 'hash': {
        const { keySelector } = partitioner;
        this.collect = (value) => {
          const key = keyOf(keySelector, value);
          const keyGroup = keyHash(key) % maxParallelism;
          const target = Math.floor((keyGroup * n) / maxParallelism);
          const records = this.records[target]!;
          records.push(value);
          if (this.timestamps !== undefined) this.timestamps[target]!.push(this.elementTimestamp!.value);
          this.keys[target]!.push(key);
          this.keyGroups[target]!.push(keyGroup);
          if (records.length >= this.batchSize) this.sendBatch(target);
        };
        break;
      }
    }
  }

  /** The batch path: one loop per partitioner; each record's timestamp from `timestamps` (the batch's own). */
  collectBatch(records: readonly unknown[], n: number, timestamps: readonly number[] | undefined): void {
    const carried = this.timestamps !== undefined;
    if (carried && timestamps === undefined) {
      // Records a source of another kind emitted without timestamps in a job with event time.
      for (let i = 0; i < n; i++) this.collect(records[i]);
      return;
    }
    const kind = this.partitioner.kind;
    if (kind === 'hash') return this.hashBatch(records, n, timestamps);
    for (let i = 0; i < n; i++) {
      if (carried) this.elementTimestamp!.value = timestamps![i]!;
      this.collect(records[i]);
    }
  }

  private hashBatch(records: readonly unknown[], n: number, timestamps: readonly number[] | undefined): void {
    const { keySelector } = this.partitioner as Extract<PartitionerSpec, { kind: 'hash' }>;
    const targets = this.senders.length;
    const max = this.maxParallelism;
    const carried = timestamps !== undefined && this.timestamps !== undefined;
    for (let i = 0; i < n; i++) {
      const value = records[i];
      const key = keyOf(keySelector, value);
      const keyGroup = keyHash(key) % max;
      const target = targets === 1 ? 0 : Math.floor((keyGroup * targets) / max);
      const out = this.records[target]!;
      out.push(value);
      if (carried) this.timestamps![target]!.push(timestamps[i]!);
      this.keys[target]!.push(key);
      this.keyGroups[target]!.push(keyGroup);
      if (out.length >= this.batchSize) this.sendBatch(target);
    }
  }

  private push(target: number, value: unknown): void {
    const records = this.records[target]!;
    records.push(value);
    if (this.timestamps !== undefined) this.timestamps[target]!.push(this.elementTimestamp!.value);
    if (records.length >= this.batchSize) this.sendBatch(target);
  }

  private sendBatch(target: number): void {
    const records = this.records[target]!;
    this.records[target] = [];
    let timestamps: number[] | undefined;
    if (this.timestamps !== undefined) {
      timestamps = this.timestamps[target]!;
      this.timestamps[target] = [];
    }
    const keys = this.keys[target]!;
    if (keys.length > 0) {
      const keyGroups = this.keyGroups[target]!;
      this.keys[target] = [];
      this.keyGroups[target] = [];
      this.senders[target]!.send(timestamps === undefined ? { kind: 'records', records, keys, keyGroups } : { kind: 'records', records, keys, keyGroups, timestamps });
    } else {
      this.senders[target]!.send(timestamps === undefined ? { kind: 'records', records } : { kind: 'records', records, timestamps });
    }
  }

  flush(): void {
    for (let t = 0; t < this.records.length; t++) if (this.records[t]!.length > 0) this.sendBatch(t);
  }

  /** Records written before the event are sent before it. */
  broadcastEvent(event: ChannelEvent): void {
    this.flush();
    for (const sender of this.senders) sender.send(event);
  }

  processWatermark(timestamp: number): void {
    this.broadcastEvent({ kind: 'watermark', timestamp });
  }

  emitWatermarkStatus(idle: boolean): void {
    this.broadcastEvent({ kind: 'watermark-status', idle });
  }

  get buffered(): number {
    let n = 0;
    for (const r of this.records) n += r.length;
    return n;
  }

  isAvailable(): boolean {
    for (const s of this.senders) if (!s.hasCredit()) return false;
    return true;
  }

  /** Calls `listener` once when every channel has credit again. */
  onAvailable(listener: () => void): void {
    const waiting = this.senders.find((s) => !s.hasCredit());
    if (waiting === undefined) listener();
    else waiting.onCredit(() => this.onAvailable(listener));
  }
}

/**
 * Must throw a WeirError: the operator that emitted the record would otherwise take the key
 * selector's failure for its own (a flatMap or process with dead letters sends the record there;
 * without them the error names that operator, even the source).
 */
function keyOf(keySelector: (value: unknown) => StateKey, value: unknown): StateKey {
  try {
    return keySelector(value);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new WeirError('USER_FUNCTION_FAILED', `keyBy(keySelector) threw: ${message}`, { domain: 'user', retryable: true, cause: error, details: { argument: 'keyBy(keySelector)' } });
  }
}
