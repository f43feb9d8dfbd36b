import type { DictionaryHint } from '../../channel/batch-dictionary.js';
import type { ChannelEvent, ChannelSender, RecordBatch } from '../../channel/index.js';
import { WeirError } from '../../errors/index.js';
import type { PartitionerSpec } from '../../graph/job-graph.js';
import { keyHash } from '../../graph/key-groups.js';
import type { StateKey } from '../../state/keyed-state.js';
import type { ElementTimestamp } from '../operators/element-timestamp.js';
import type { OutputPressure } from '../operators/output-pressure.js';
import type { Downstream } from '../operators/stream-operator.js';
import { KeyGroupCache } from './key-group-cache.js';
import { RecyclingSender } from './recycling-channel.js';

/**
 * One downstream subtask's batch being filled: arrays of the batch size, filled by index (a
 * push per record into a fresh array cost more than hashing the key), handed over whole. On a
 * recycling channel the next arrays are those of a batch the receiver consumed, else new ones.
 */
class PendingBatch {
  records: unknown[];
  keys: StateKey[] | undefined;
  keyGroups: number[] | undefined;
  /** With key groups, to a channel that takes them: each string key's KeyGroupCache entry, for the port's encoder (RecordBatch.dictionaryHints). */
  hints: (DictionaryHint | undefined)[] | undefined;
  timestamps: number[] | undefined;
  n = 0;

  constructor(private readonly size: number, private readonly keyed: boolean, private readonly grouped: boolean, private readonly hinted: boolean, private readonly timed: boolean, private readonly recycler: RecyclingSender | undefined) {
    this.records = new Array(size);
    this.keys = keyed ? new Array(size) : undefined;
    this.keyGroups = grouped ? new Array(size) : undefined;
    this.hints = hinted ? new Array(size) : undefined;
    this.timestamps = timed ? new Array(size) : undefined;
  }

  /** Hands the arrays over (cut to the records they hold) and starts on others. */
  take(): { records: unknown[]; keys: StateKey[] | undefined; keyGroups: number[] | undefined; hints: (DictionaryHint | undefined)[] | undefined; timestamps: number[] | undefined } {
    const n = this.n;
    const taken = { records: this.records, keys: this.keys, keyGroups: this.keyGroups, hints: this.hints, timestamps: this.timestamps };
    if (n < this.size) {
      taken.records.length = n;
      if (taken.keys !== undefined) taken.keys.length = n;
      if (taken.keyGroups !== undefined) taken.keyGroups.length = n;
      if (taken.hints !== undefined) taken.hints.length = n;
      if (taken.timestamps !== undefined) taken.timestamps.length = n;
    }
    this.n = 0;
    // A spare is a full batch this writer sent on this channel: it has the arrays this one needs.
    const spare = this.recycler?.spare(this.size);
    if (spare !== undefined) {
      this.records = spare.records;
      this.keys = spare.keys;
      this.keyGroups = spare.keyGroups;
      this.timestamps = spare.timestamps;
    } else {
      this.records = new Array(this.size);
      if (this.keyed) this.keys = new Array(this.size);
      if (this.grouped) this.keyGroups = new Array(this.size);
      if (this.timed) this.timestamps = new Array(this.size);
    }
    // Hints never travel (the port strips them), so none come back with a spare.
    if (this.hinted) this.hints = new Array(this.size);
    return taken;
  }
}

/**
 * Writes one output edge of a task: deals records to the downstream subtasks' channels by
 * the edge's partitioner, into batches that go out when full, on flush, or before an event.
 * A keyed edge sends each record's key and key group with it, computed once here; with one
 * downstream subtask, only the key (the group picks no channel there, and a receiver that finds
 * its state by key needs a group only for a new key: a lookup per record saved).
 */
export class RecordWriter implements Downstream {
  private readonly pending: PendingBatch[];
  private nextTarget: number;
  private readonly keySelector: ((value: unknown) => StateKey) | undefined;
  private readonly groupCache: KeyGroupCache;

  constructor(
    private readonly partitioner: PartitionerSpec,
    private readonly senders: readonly ChannelSender[],
    subtaskIndex: number,
    private readonly maxParallelism: number,
    private readonly batchSize: number,
    /** Told when a batch sent leaves a channel without credit: the task stops emitting. */
    private readonly pressure: OutputPressure,
    /** Given in a job with event time: the timestamps of the records written go along with them. */
    private readonly elementTimestamp?: ElementTimestamp,
  ) {
    const keyed = partitioner.kind === 'hash';
    this.keySelector = partitioner.kind === 'hash' ? partitioner.keySelector : undefined;
    this.groupCache = new KeyGroupCache(maxParallelism);
    const grouped = keyed && senders.length > 1;
    this.pending = senders.map((s) => new PendingBatch(batchSize, keyed, grouped, grouped && s.takesDictionaryHints === true, elementTimestamp !== undefined, s instanceof RecyclingSender ? s : undefined));
    this.nextTarget = subtaskIndex % senders.length;
  }

  collect(value: unknown): void {
    const timestamp = this.elementTimestamp?.value ?? Number.NaN;
    switch (this.partitioner.kind) {
      case 'forward':
        return this.add(0, value, timestamp);
      case 'rebalance': {
        const target = this.nextTarget;
        this.nextTarget = target + 1 === this.senders.length ? 0 : target + 1;
        return this.add(target, value, timestamp);
      }
      case 'broadcast':
        for (let t = 0; t < this.senders.length; t++) this.add(t, value, timestamp);
        return;
      case 'hash':
        return this.addKeyed(value, timestamp);
    }
  }

  /** The batch path: one loop per batch; each record's timestamp from `timestamps` (the batch's own). */
  collectBatch(records: readonly unknown[], n: number, timestamps: readonly number[] | undefined): void {
    const timed = this.elementTimestamp !== undefined;
    if (this.partitioner.kind === 'hash') {
      // Records a source without a watermark strategy emitted, in a job with event time: no timestamp.
      if (timed) for (let i = 0; i < n; i++) this.addKeyed(records[i], timestamps === undefined ? Number.NaN : timestamps[i]!);
      else for (let i = 0; i < n; i++) this.addKeyed(records[i], Number.NaN);
      return;
    }
    for (let i = 0; i < n; i++) {
      if (timed) this.elementTimestamp!.value = timestamps === undefined ? Number.NaN : timestamps[i]!;
      this.collect(records[i]);
    }
  }

  private add(target: number, value: unknown, timestamp: number): void {
    const batch = this.pending[target]!;
    const i = batch.n;
    batch.records[i] = value;
    if (batch.timestamps !== undefined) batch.timestamps[i] = timestamp;
    batch.n = i + 1;
    if (batch.n === this.batchSize) this.sendBatch(target);
  }

  private addKeyed(value: unknown, timestamp: number): void {
    const key = keyOf(this.keySelector!, value);
    const targets = this.senders.length;
    let target = 0;
    let keyGroup = 0;
    if (targets > 1) {
      keyGroup = this.groupCache.groupOf(key);
      target = Math.floor((keyGroup * targets) / this.maxParallelism);
    } else if (typeof key !== 'string' && typeof key !== 'number') keyHash(key); // Must throw here for a key that is no primitive, as groupOf does.
    const batch = this.pending[target]!;
    const i = batch.n;
    batch.records[i] = value;
    batch.keys![i] = key;
    if (batch.keyGroups !== undefined) batch.keyGroups[i] = keyGroup;
    if (batch.hints !== undefined) batch.hints[i] = this.groupCache.hint;
    if (batch.timestamps !== undefined) batch.timestamps[i] = timestamp;
    batch.n = i + 1;
    if (batch.n === this.batchSize) this.sendBatch(target);
  }

  private sendBatch(target: number): void {
    const { records, keys, keyGroups, hints, timestamps } = this.pending[target]!.take();
    if (keys !== undefined && keyGroups !== undefined) {
      const batch: RecordBatch = timestamps === undefined ? { kind: 'records', records, keys, keyGroups } : { kind: 'records', records, keys, keyGroups, timestamps };
      this.senders[target]!.send(hints === undefined ? batch : { ...batch, dictionaryHints: hints });
    } else if (keys !== undefined) {
      this.senders[target]!.send(timestamps === undefined ? { kind: 'records', records, keys } : { kind: 'records', records, keys, timestamps });
    } else {
      this.senders[target]!.send(timestamps === undefined ? { kind: 'records', records } : { kind: 'records', records, timestamps });
    }
    if (!this.senders[target]!.hasCredit()) this.pressure.blocked = true;
  }

  flush(): void {
    for (let t = 0; t < this.pending.length; t++) if (this.pending[t]!.n > 0) this.sendBatch(t);
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
