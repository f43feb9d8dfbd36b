import type { ChannelReceiver } from '../../channel/index.js';
import type { RecordBatch } from '../../channel/channel-message.js';
import { WeirError } from '../../errors/index.js';
import type { StateKey } from '../../state/keyed-state.js';
import type { ElementTimestamp } from '../operators/element-timestamp.js';
import type { OutputPressure } from '../operators/output-pressure.js';
import type { StreamOperator } from '../operators/stream-operator.js';
import type { BarrierAction, CheckpointBarrierHandler } from './checkpoint-barrier-handler.js';
import type { StoredBatch } from './channel-state.js';
import { BatchSlicer } from './batch-slicer.js';
import { InputGate } from './input-gate.js';
import { KeyGroupCache } from './key-group-cache.js';
import type { RecordWriter } from './record-writer.js';
import { WatermarkValve } from './watermark-valve.js';

/** An input batch being fed to the chain, with its keys and key groups (computed if it came without, and the head needs them). */
interface BatchInProgress {
  readonly channel: number;
  readonly batch: RecordBatch;
  readonly keys: readonly StateKey[] | undefined;
  /** Undefined with keys: the head takes them by key alone (collectKeyedByKey). */
  readonly keyGroups: readonly number[] | undefined;
  next: number;
  /** Restored channel state: it came from no channel, and gives no credit back. */
  readonly replayed?: boolean;
}

/** Records a task holds but has not processed, per channel: what an unaligned checkpoint stores ahead of its channels' spills. */
export interface HeldInput {
  readonly channel: number;
  readonly batch: StoredBatch;
  readonly from: number;
}

export interface StreamInputSetup {
  /** In gate order: for each vertex input, one channel per upstream subtask. */
  readonly inputs: readonly ChannelReceiver[];
  /** Per input channel (gate order): the key selector of a keyed edge, to recompute the keys a batch came without. */
  readonly keySelectors: readonly (((value: unknown) => StateKey) | undefined)[];
  /** Per input channel (gate order), for a two-input head: the input (1 or 2) its records feed. */
  readonly inputSides: readonly (1 | 2)[];
  /** Per input channel (gate order): the vertex input (edge) it belongs to. */
  readonly inputOfChannel: readonly number[];
  /** The task's clock: a barrier's alignment timeout is measured on it. */
  readonly now: () => number;
  /** The job's: the key groups of a keyed batch that came without them are computed with it. */
  readonly maxParallelism: number;
  readonly handler: CheckpointBarrierHandler;
  /** Unaligned checkpoints: how much of the clock a step may feed of one batch (see BatchSlicer); whole batches without. */
  readonly batchSliceMs?: number;
  readonly head: StreamOperator;
  readonly writers: readonly RecordWriter[];
  readonly elementTimestamp: ElementTimestamp;
  readonly pressure: OutputPressure;
  readonly flushChain: () => void;
  readonly flushWriters: () => void;
  readonly flushIfDue: () => void;
  /** Carries out the barrier handler's decisions (SubtaskCheckpointCoordinator.onBarrierActions). */
  readonly onBarrierActions: (actions: BarrierAction[], timestamp?: number, savepoint?: number) => void;
  readonly endOfInput: () => void;
  /** Counts the records taken from the input channels. */
  readonly countIn: (records: number) => void;
}

/**
 * A task's input from its channels, as Flink's StreamInputProcessor: takes the next message the
 * gate lets through, feeds records to the head of the chain (a batch stops where the outputs
 * run out of credit and goes on later), and hands barriers to the barrier handler and
 * watermarks to the valve.
 */
export class StreamInputProcessor {
  private readonly gate: InputGate;
  private readonly valve: WatermarkValve;
  private keyScratch: StateKey[] = [];
  private groupScratch: number[] = [];
  private readonly groupCache: KeyGroupCache;
  /** An input batch whose records are not all processed: the outputs ran out of credit in it. */
  private batchInProgress: BatchInProgress | undefined;
  /** Unaligned checkpoints: feeds a batch a slice of the clock's time per step, so a barrier waits for no whole batch. */
  private readonly slicer: BatchSlicer | undefined;
  /** Restored channel state not yet replayed: it goes before any new input. */
  private replay: { channel: number; batch: StoredBatch }[] = [];

  constructor(private readonly setup: StreamInputSetup) {
    this.gate = new InputGate(setup.inputs, setup.handler);
    this.valve = new WatermarkValve(setup.inputs.length);
    this.slicer = setup.batchSliceMs === undefined ? undefined : new BatchSlicer(setup.batchSliceMs);
    this.groupCache = new KeyGroupCache(setup.maxParallelism);
  }

  /** The task's event time: the combined watermark of its channels. */
  get watermark(): number {
    return this.valve.watermark;
  }

  get inBatch(): boolean {
    return this.batchInProgress !== undefined;
  }

  /** Restored channel state (unaligned checkpoints): replayed, channel by channel in stored order, before any new input. */
  restoreChannelState(stored: readonly { channel: number; input: number; batches: StoredBatch[] }[]): void {
    const { inputOfChannel } = this.setup;
    // The upstream parallelism may have changed: a stored channel maps to a channel of the same input.
    this.replay = stored.flatMap(({ channel, input, batches }) => {
      const local = inputOfChannel[channel] === input ? channel : Math.max(0, inputOfChannel.indexOf(input));
      return batches.map((batch) => ({ channel: local, batch }));
    });
  }

  /** Records taken but not processed: the rest of the batch in progress, then restored channel state not yet replayed. */
  unprocessed(): HeldInput[] {
    const held: HeldInput[] = [];
    const b = this.batchInProgress;
    if (b !== undefined && b.next < b.batch.records.length) held.push({ channel: b.channel, batch: b.batch, from: b.next });
    for (const r of this.replay) held.push({ channel: r.channel, batch: r.batch, from: 0 });
    return held;
  }

  /** Takes the next message and acts on it; returns whether more work is ready right away. */
  processInput(): boolean {
    const { handler, onBarrierActions } = this.setup;
    const replayed = this.replay.shift();
    if (replayed !== undefined) {
      const { channel, batch } = replayed;
      // Stored without keys (and, from an edge with one downstream subtask, without groups): a keyed channel's are recomputed.
      const keys = this.keysOf(channel, batch.records)?.slice(0, batch.records.length);
      const keyGroups = this.groupsOf(keys, batch.keyGroups, batch.records.length)?.slice(0, batch.records.length);
      this.batchInProgress = { channel, batch: { kind: 'records', ...batch }, keys, keyGroups, next: 0, replayed: true };
      return this.continueBatch();
    }
    const channel = this.gate.nextReadable();
    if (channel < 0) {
      this.setup.flushWriters(); // idle: nothing should wait in a half-full batch
      return false;
    }
    const receiver = this.setup.inputs[channel]!;
    const message = receiver.poll()!;
    switch (message.kind) {
      case 'records': {
        // Across workers a keyed batch comes without its keys: the records carry them.
        const keys = message.keys ?? (message.keyGroups === undefined ? undefined : this.keysOf(channel, message.records));
        this.batchInProgress = { channel, batch: message, keys, keyGroups: this.groupsOf(keys, message.keyGroups, message.records.length), next: 0 };
        return this.continueBatch();
      }
      case 'barrier': {
        const savepoint = message.savepoint === true;
        onBarrierActions(handler.onBarrier(channel, message.checkpointId, message.timestamp, this.setup.now(), savepoint), message.timestamp, savepoint ? message.checkpointId : undefined);
        return true;
      }
      case 'cancel-barrier':
        onBarrierActions(handler.onCancelBarrier(channel, message.checkpointId));
        return true;
      case 'watermark':
        this.advanceWatermark(this.valve.onWatermark(channel, message.timestamp));
        return true;
      case 'watermark-status':
        this.onWatermarkChange(this.valve.onStatus(channel, message.idle));
        return true;
      case 'end-of-input':
        this.gate.markEnded(channel);
        this.onWatermarkChange(this.valve.onEnded(channel));
        onBarrierActions(handler.onEndOfInput(channel));
        if (this.gate.allEnded) this.setup.endOfInput();
        return true;
    }
  }

  /**
   * Feeds the batch in progress to the chain: whole, where the head has a loop for it (its output
   * then overdraws by at most one batch per channel, and a flatMap in the chain still stops inside
   * a record's output), else record by record, stopping before the next record when an output ran
   * out of credit (or inside one, when an operator's output stopped halfway).
   * The channel's credit goes back only once every record of the batch was processed. With a
   * slicer, a step feeds only the records that fit its slice; the rest go at the next steps.
   */
  continueBatch(): boolean {
    const slicer = this.slicer;
    if (slicer === undefined) return this.feed(this.batchInProgress!, Infinity);
    const progress = this.batchInProgress!;
    const from = progress.next;
    const started = this.setup.now();
    const more = this.feed(progress, slicer.take(progress.batch.records.length - from));
    slicer.record(progress.next - from, this.setup.now() - started);
    return more;
  }

  /** Feeds up to `count` records of the batch in progress: whole batches by the head's loop, a cut one's slices copied. */
  private feed(progress: BatchInProgress, count: number): boolean {
    const { records, timestamps } = progress.batch;
    const { keys, keyGroups } = progress;
    const head = this.setup.head;
    head.selectInput?.(this.setup.inputSides[progress.channel]!);
    const backend = head.keyedBackend;
    const keyed = backend !== undefined && keys !== undefined;
    const from = progress.next;
    const whole = from === 0 && count >= records.length;
    const end = Math.min(records.length, from + count);
    if (keyed && keyGroups === undefined) {
      if (timestamps === undefined) this.setup.elementTimestamp.value = Number.NaN;
      if (whole) head.collectKeyedByKey!(records, keys, end, timestamps);
      else head.collectKeyedByKey!(records.slice(from, end), keys.slice(from, end), end - from, timestamps?.slice(from, end));
      return this.batchProcessed(progress, end);
    }
    if (keyed && head.collectKeyed !== undefined) {
      if (timestamps === undefined) this.setup.elementTimestamp.value = Number.NaN;
      if (whole) head.collectKeyed(records, keys, keyGroups!, end, timestamps);
      else head.collectKeyed(records.slice(from, end), keys.slice(from, end), keyGroups!.slice(from, end), end - from, timestamps?.slice(from, end));
      return this.batchProcessed(progress, end);
    }
    if (backend === undefined && head.collectBatch !== undefined) {
      if (timestamps === undefined) this.setup.elementTimestamp.value = Number.NaN;
      if (whole) head.collectBatch(records, end, timestamps);
      else head.collectBatch(records.slice(from, end), end - from, timestamps?.slice(from, end));
      return this.batchProcessed(progress, end);
    }
    const ts = this.setup.elementTimestamp;
    const pressure = this.setup.pressure;
    let i = from;
    if (timestamps === undefined) ts.value = Number.NaN;
    for (; i < end && !pressure.blocked; i++) {
      if (keyed) backend.setCurrentKey(keys[i]!, keyGroups![i]!);
      if (timestamps !== undefined) ts.value = timestamps[i]!;
      head.collect(records[i]);
    }
    return this.batchProcessed(progress, i);
  }

  /** Records up to `processed` of the batch in progress went in: releases the batch once all did and their output went on. */
  private batchProcessed(progress: BatchInProgress, processed: number): boolean {
    this.setup.countIn(processed - progress.next);
    progress.next = processed;
    this.setup.flushChain();
    if (processed < progress.batch.records.length || this.setup.pressure.suspended) return true;
    this.batchInProgress = undefined;
    if (progress.replayed !== true) this.setup.inputs[progress.channel]!.release();
    this.setup.flushIfDue();
    return true;
  }

  /**
   * A keyed batch's key groups: the ones it came with, none where the head finds its state by key
   * alone, else computed from the keys (a scratch array, reused).
   */
  private groupsOf(keys: readonly StateKey[] | undefined, sent: readonly number[] | undefined, n: number): readonly number[] | undefined {
    const head = this.setup.head;
    if (sent !== undefined || keys === undefined || head.keyedBackend === undefined || head.collectKeyedByKey !== undefined) return sent;
    const groups = this.groupScratch.length >= n ? this.groupScratch : (this.groupScratch = new Array(n));
    for (let i = 0; i < n; i++) groups[i] = this.groupCache.groupOf(keys[i]!);
    return groups;
  }

  /** The keys of a keyed batch that came without them, by its channel's key selector (a scratch array, reused). */
  private keysOf(channel: number, records: readonly unknown[]): StateKey[] | undefined {
    const selector = this.setup.keySelectors[channel];
    if (selector === undefined) return undefined;
    const keys = this.keyScratch.length >= records.length ? this.keyScratch : (this.keyScratch = new Array(records.length));
    try {
      for (let i = 0; i < records.length; i++) keys[i] = selector(records[i]);
    } catch (error) {
      throw new WeirError('USER_FUNCTION_FAILED', `keyBy(keySelector) threw: ${error instanceof Error ? error.message : String(error)}`, { domain: 'user', retryable: true, cause: error });
    }
    return keys;
  }

  /** The watermark first, then the task's own idleness, as Flink's valve output does. */
  private onWatermarkChange(changed: { idle?: boolean; watermark?: number }): void {
    this.advanceWatermark(changed.watermark);
    if (changed.idle !== undefined) for (const w of this.setup.writers) w.emitWatermarkStatus(changed.idle);
  }

  /** The input's event time advanced: the chain fires what it completes and passes the watermark on. */
  private advanceWatermark(watermark: number | undefined): void {
    if (watermark === undefined) return;
    this.setup.head.processWatermark(watermark);
    this.setup.elementTimestamp.value = Number.NaN;
  }
}
