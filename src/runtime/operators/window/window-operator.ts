import type { TimeWindow, WindowSpec } from '../../../graph/windowing.js';
import { HeapKeyedStateBackend, restoredWatermark } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { StateTable } from '../../../state/state-table.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from '../stream-operator.js';
import { ProcessingTimers } from '../processing-timers.js';
import { TimerQueue } from '../timer-queue.js';
import { assignWindows, maxTimestampOf, windowsIntersect, windowStartOf } from './window-assigners.js';
import { windowContentsOps, type WindowContents, type WindowContentsOps } from './window-contents.js';
import { missingTimestampError } from './missing-timestamp.js';

/** A key's open windows by start: a key's windows never share a start (sessions of a key are disjoint). */
type KeyWindows = Map<number, WindowContents>;

const GLOBAL = -Infinity;

/**
 * Keyed windows, as Flink's WindowOperator: each record goes into the windows its assigner
 * gives; a window fires when the watermark (or the clock) passes its end, and again for every
 * record that arrives within the allowed lateness; it is purged once the lateness has passed.
 * Records too late for every window go to the late-data side output, or are dropped and counted.
 * Window contents are keyed state (snapshotted incrementally by key group); the timers and the
 * operator's watermark are snapshotted with them, so windows fire exactly once across a restore.
 */
export class WindowOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  /** Per key, its open windows (KeyWindows), changed in place: one lookup per record. */
  private readonly windows: StateTable;
  private readonly ops: WindowContentsOps;
  private readonly eventTimers = new TimerQueue();
  private readonly processingTimers: ProcessingTimers;
  private readonly emit: (value: unknown) => void;
  currentWatermark = -Infinity;
  /** Records later than the allowed lateness with no late-data side output to go to. */
  lateRecordsDropped = 0;
  /** Windows created so far (restored ones included): each window's `q`. */
  private created = 0;

  constructor(readonly uid: string, private readonly output: Output, private readonly ctx: OperatorContext, private readonly spec: WindowSpec) {
    this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange);
    this.ops = windowContentsOps(uid, spec.function);
    const ops = this.ops;
    this.windows = this.keyedBackend.stateTable('windows', 'value', (value) => {
      const copy: KeyWindows = new Map();
      for (const [start, c] of value as KeyWindows) copy.set(start, ops.copy(c));
      return copy;
    });
    this.emit = (value) => output.collect(value);
    this.processingTimers = new ProcessingTimers(ctx, (timer) => {
      this.keyedBackend.setCurrentKey(timer.key, timer.keyGroup);
      this.onTimer(timer.timestamp, true);
    });
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored === undefined) return;
    this.keyedBackend.restore(restored.keyedState, restored.encodedKeyed);
    const { start, end } = this.ctx.keyGroupRange;
    const inRange = (kg: number) => kg >= start && kg <= end;
    for (const payload of restored.keyedState) {
      this.eventTimers.restore(payload.eventTimers ?? [], inRange);
      this.processingTimers.queue.restore(payload.timers ?? [], inRange);
    }
    this.currentWatermark = restoredWatermark(restored.keyedState);
    this.registerRestoredTimers();
    this.processingTimers.schedule();
  }

  /**
   * A window's timers follow from the window (they are not snapshotted): its firing at end - 1,
   * unless the restored watermark passed it (it fired), and its purge after the allowed lateness.
   */
  private registerRestoredTimers(): void {
    const { assigner, allowedLatenessMs } = this.spec;
    if (assigner.kind === 'global') return;
    const eventTime = assigner.time === 'event';
    const watermark = this.currentWatermark;
    const windows: { c: WindowContents; key: StateKey; keyGroup: number }[] = [];
    this.keyedBackend.forEach(this.windows, (key, keyGroup, value) => {
      for (const c of (value as KeyWindows).values()) windows.push({ c, key, keyGroup });
    });
    // In the order the windows were created, which is the order their timers were registered.
    windows.sort((x, y) => (x.c.q ?? 0) - (y.c.q ?? 0));
    for (const { c, key, keyGroup } of windows) {
      this.created = Math.max(this.created, (c.q ?? 0) + 1);
      const fireAt = c.e - 1;
      if (!eventTime) this.processingTimers.register(fireAt, key, keyGroup);
      else {
        if (fireAt > watermark) this.eventTimers.register(fireAt, key, keyGroup);
        if (allowedLatenessMs > 0 && fireAt + allowedLatenessMs > watermark) this.eventTimers.register(fireAt + allowedLatenessMs, key, keyGroup);
      }
    }
  }

  collect(value: unknown): void {
    const { assigner } = this.spec;
    if (assigner.kind === 'global') return this.addToCountWindow(value, assigner.count);
    const eventTime = assigner.time === 'event';
    const timestamp = eventTime ? this.ctx.elementTimestamp.value : this.ctx.clock.now();
    if (Number.isNaN(timestamp)) {
      throw missingTimestampError(this.uid);
    }
    const backend = this.keyedBackend;
    const key = backend.getCurrentKey();
    const g = backend.currentGroupIndex;
    const entry = backend.entryOf(this.windows, key, g);
    const map = entry === undefined ? new Map<number, WindowContents>() : (backend.writable(this.windows, key, g, entry).value as KeyWindows);
    let accepted: boolean;
    if (assigner.kind === 'session') accepted = this.addToSession(map, value, timestamp, assigner.gapMs, eventTime);
    else if (assigner.kind === 'tumbling') {
      // The common case without the array and objects of assignWindows.
      const start = windowStartOf(timestamp, assigner.offsetMs, assigner.sizeMs);
      accepted = this.addToWindow(map, value, start, start + assigner.sizeMs, eventTime);
    } else {
      accepted = false;
      for (const w of assignWindows(assigner, timestamp)) if (this.addToWindow(map, value, w.start, w.end, eventTime)) accepted = true;
    }
    if (entry === undefined && map.size > 0) backend.insert(this.windows, key, g, map);
    if (!accepted) this.late(value);
  }

  private isLate(end: number): boolean {
    return end - 1 + this.spec.allowedLatenessMs <= this.currentWatermark;
  }

  private addToWindow(map: KeyWindows, value: unknown, start: number, end: number, eventTime: boolean): boolean {
    if (eventTime && this.isLate(end)) return false;
    let contents = map.get(start);
    const created = contents === undefined;
    if (contents === undefined) map.set(start, (contents = { s: start, e: end, n: 0, a: undefined, q: this.created++ }));
    this.ops.add(contents, value);
    this.afterAdd(contents, eventTime, created);
    return true;
  }

  /** Merges the record's session with every session of the key it overlaps or touches. */
  private addToSession(map: KeyWindows, value: unknown, timestamp: number, gapMs: number, eventTime: boolean): boolean {
    let merged: TimeWindow = { start: timestamp, end: timestamp + gapMs };
    const absorbed = new Set<number>();
    for (let grew = true; grew; ) {
      grew = false;
      for (const [id, c] of map) {
        if (absorbed.has(id) || !windowsIntersect({ start: c.s, end: c.e }, merged)) continue;
        absorbed.add(id);
        merged = { start: Math.min(merged.start, c.s), end: Math.max(merged.end, c.e) };
        grew = true;
      }
    }
    if (eventTime && this.isLate(merged.end)) return false;
    const contents: WindowContents = { s: merged.start, e: merged.end, n: 0, a: undefined, q: this.created++ };
    // Oldest first, so a process function sees elements in the order the sessions began.
    const parts = [...absorbed].map((id) => map.get(id)!).sort((a, b) => a.s - b.s);
    for (const part of parts) this.ops.merge(contents, part);
    for (const id of absorbed) map.delete(id);
    this.ops.add(contents, value);
    map.set(merged.start, contents);
    // Timers of the absorbed sessions stay: one that finds no window ending at its time does nothing.
    this.afterAdd(contents, eventTime, true);
    return true;
  }

  /** A window's timers are registered when it is created (they are in the snapshot with it); a record in a window past its end fires it again. */
  private afterAdd(contents: WindowContents, eventTime: boolean, created: boolean): void {
    const fireAt = contents.e - 1;
    if (!eventTime) {
      if (created) {
        this.processingTimers.register(fireAt, this.keyedBackend.getCurrentKey(), this.keyedBackend.getCurrentKeyGroup());
      }
      return;
    }
    if (fireAt <= this.currentWatermark) {
      // Within the allowed lateness: the window fired already (or would have), and fires now with this record.
      const timestamp = this.ctx.elementTimestamp.value;
      this.fire({ start: contents.s, end: contents.e }, contents);
      this.ctx.elementTimestamp.value = timestamp;
    } else if (created) {
      this.eventTimers.register(fireAt, this.keyedBackend.getCurrentKey(), this.keyedBackend.getCurrentKeyGroup());
    }
    if (created && this.spec.allowedLatenessMs > 0) {
      this.eventTimers.register(fireAt + this.spec.allowedLatenessMs, this.keyedBackend.getCurrentKey(), this.keyedBackend.getCurrentKeyGroup());
    }
  }

  private addToCountWindow(value: unknown, count: number): void {
    const backend = this.keyedBackend;
    const key = backend.getCurrentKey();
    const g = backend.currentGroupIndex;
    const entry = backend.entryOf(this.windows, key, g);
    const map = entry === undefined ? new Map<number, WindowContents>() : (backend.writable(this.windows, key, g, entry).value as KeyWindows);
    let contents = map.get(GLOBAL);
    if (contents === undefined) map.set(GLOBAL, (contents = { s: -Infinity, e: Infinity, n: 0, a: undefined, q: this.created++ }));
    this.ops.add(contents, value);
    if (contents.n >= count) {
      this.ops.fire(this.keyedBackend.getCurrentKey(), { start: -Infinity, end: Infinity }, contents, this.currentWatermark, this.emit);
      map.delete(GLOBAL);
    }
    if (entry === undefined) {
      if (map.size > 0) backend.insert(this.windows, key, g, map);
    } else if (map.size === 0) backend.remove(this.windows, key, g);
  }

  private late(value: unknown): void {
    if (this.spec.lateDataTag !== undefined) this.output.collectSide(this.spec.lateDataTag, value);
    else this.lateRecordsDropped++;
  }

  /** What a window emits carries its last timestamp, as in Flink, so windows downstream can use it. */
  private fire(w: TimeWindow, contents: WindowContents): void {
    this.ctx.elementTimestamp.value = maxTimestampOf(w);
    this.ops.fire(this.keyedBackend.getCurrentKey(), w, contents, this.currentWatermark, this.emit);
  }

  /** A timer of the current key at `time`: fires the windows ending there, purges those past their lateness. */
  private onTimer(time: number, purgeAfterFiring: boolean): void {
    const backend = this.keyedBackend;
    const key: StateKey = backend.getCurrentKey();
    const g = backend.currentGroupIndex;
    const entry = backend.entryOf(this.windows, key, g);
    if (entry === undefined) return;
    let purged: KeyWindows | undefined;
    for (const [id, c] of entry.value as KeyWindows) {
      const w = { start: c.s, end: c.e };
      const fireAt = maxTimestampOf(w);
      if (fireAt === time) this.fire(w, c);
      if (purgeAfterFiring ? fireAt <= time : fireAt + this.spec.allowedLatenessMs <= time) {
        // Removed from the writable map (a copy while a pending snapshot shares the entry): the loop goes on over this one.
        purged ??= backend.writable(this.windows, key, g, entry).value as KeyWindows;
        purged.delete(id);
      }
    }
    if (purged !== undefined && purged.size === 0) backend.remove(this.windows, key, g);
  }

  processWatermark(timestamp: number): void {
    if (timestamp <= this.currentWatermark) return;
    this.currentWatermark = timestamp;
    for (let t = this.eventTimers.pollDue(timestamp); t !== undefined; t = this.eventTimers.pollDue(timestamp)) {
      this.keyedBackend.setCurrentKey(t.key, t.keyGroup);
      this.onTimer(t.timestamp, false);
    }
    this.ctx.elementTimestamp.value = Number.NaN;
    this.output.emitWatermark(timestamp);
  }

  /** As in Flink, processing-time windows still open at the end of input do not fire: no time passes after it. */
  endInput(): void {
    this.processingTimers.stop();
  }

  snapshotState() {
    return {
      keyedBackend: this.keyedBackend,
      // The timers are not stored: a restore registers them again from the windows.
      keyedExtra: { keyGroupRange: this.ctx.keyGroupRange, kinds: {}, groups: [], watermark: this.currentWatermark },
    };
  }

  close(): void {
    this.processingTimers.stop();
  }
}
