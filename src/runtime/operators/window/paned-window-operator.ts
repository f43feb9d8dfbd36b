import { WeirError } from '../../../errors/index.js';
import type { TimeWindow, WindowSpec } from '../../../graph/windowing.js';
import { HeapKeyedStateBackend, restoredWatermark } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { StateEntry, StateTable } from '../../../state/state-table.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from '../stream-operator.js';
import { FireSchedule } from './fire-schedule.js';
import { isAlignedWindow } from './aligned-window-operator.js';
import { windowStartOf } from './window-assigners.js';
import { windowContentsOps, type WindowContents, type WindowContentsOps } from './window-contents.js';
import { missingTimestampError } from './missing-timestamp.js';

/** A key's panes (or, restored, whole windows) by start: the state of one key, changed in place. */
type KeyWindows = Map<number, WindowContents>;

/**
 * Windows the paned operator takes: aligned ones (isAlignedWindow) sliding by a divisor of their
 * size, with a function whose accumulators merge without changing (sum/min/max).
 */
export function isPanedWindow(spec: WindowSpec): boolean {
  const { assigner } = spec;
  return isAlignedWindow(spec) && assigner.kind === 'sliding' && assigner.slideMs < assigner.sizeMs && assigner.sizeMs % assigner.slideMs === 0
    && spec.function.kind === 'aggregate' && spec.function.mergeResult !== undefined;
}

/**
 * Sliding event-time windows of sum/min/max whose slide divides their size, with one accumulator
 * per key and slide (a pane) that the overlapping windows share: a record updates one pane
 * instead of size / slide windows, and a window's result merges its panes when it fires (as
 * Flink's SQL runtime slices windows). A key's panes are one state entry, so a record costs one
 * lookup of its key; a key is registered to fire at its earliest window only (FireSchedule), and
 * again by each firing. Results and late records are as WindowOperator gives them, but for sums
 * of non-integers, added pane by pane (the last bits may differ); results of one time come out
 * key by key in the order the keys were registered (not part of the contract, as in Flink).
 */
export class PanedWindowOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  /** Per key: its panes by start. */
  private readonly table: StateTable;
  /** Whole windows restored from a checkpoint that kept windows (another operator's layout), merged first into their results. */
  private legacy: StateTable | undefined;
  private readonly ops: WindowContentsOps;
  private readonly size: number;
  private readonly slide: number;
  private readonly offset: number;
  /** A window's result from its panes' accumulators (in the order the panes were created). */
  private readonly mergePanes: (accumulators: readonly unknown[], n: number) => unknown;
  private readonly schedule = new FireSchedule();
  private readonly scratch: WindowContents[] = [];
  private readonly accumulators: unknown[] = [];
  private readonly emit: (value: unknown) => void;
  /** Windows and panes created so far (restored ones included): each one's `q`, which orders panes by their first record. */
  private created = 0;
  currentWatermark = -Infinity;
  lateRecordsDropped = 0;

  constructor(readonly uid: string, private readonly output: Output, private readonly ctx: OperatorContext, private readonly spec: WindowSpec) {
    if (!isPanedWindow(spec)) throw new WeirError('INVALID_GRAPH', `operator '${uid}': PanedWindowOperator needs sliding windows of a mergeable sum/min/max (isPanedWindow)`, { domain: 'internal', retryable: false });
    const a = spec.assigner as Extract<WindowSpec['assigner'], { kind: 'sliding' }>;
    const fn = spec.function as Extract<WindowSpec['function'], { kind: 'aggregate' }>;
    this.size = a.sizeMs;
    this.slide = a.slideMs;
    this.offset = a.offsetMs;
    this.mergePanes = fn.mergeResult!;
    this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange);
    const ops = (this.ops = windowContentsOps(uid, fn));
    this.table = this.keyedBackend.stateTable('window-panes', 'value', copyWindows(ops));
    this.emit = (value) => output.collect(value);
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored === undefined) return;
    const backend = this.keyedBackend;
    backend.restore(restored.keyedState, restored.encodedKeyed);
    this.currentWatermark = restoredWatermark(restored.keyedState);
    if (!backend.hasState('windows') && !backend.hasState('window-slices')) this.reschedule([this.table]);
    else this.restoreWholeWindows();
  }

  /**
   * A checkpoint of another layout kept whole windows: WindowOperator's (a key's windows by
   * start), or AlignedWindowOperator's (a window's keys), taken over into the first.
   */
  private restoreWholeWindows(): void {
    const backend = this.keyedBackend;
    const whole = (this.legacy = backend.stateTable('windows', 'value', copyWindows(this.ops)));
    if (backend.hasState('window-slices')) {
      const slices = backend.stateTable('window-slices', 'value');
      const base = backend.keyGroupRange.start;
      const old: [number, number, Map<StateKey, WindowContents>][] = [];
      backend.forEach(slices, (start, keyGroup, value) => old.push([start as number, keyGroup - base, value as Map<StateKey, WindowContents>]));
      for (const [start, g, keys] of old) {
        for (const [key, c] of keys) {
          const entry = backend.entryOf(whole, key, g);
          const windows = entry === undefined ? (backend.insert(whole, key, g, new Map()).value as KeyWindows) : (backend.writable(whole, key, g, entry).value as KeyWindows);
          windows.set(c.s, c);
        }
        backend.remove(slices, start, g);
      }
    }
    this.reschedule([this.table, whole]);
  }

  /** Registers each key of these tables for its earliest window, in the order the keys' first panes were created. */
  private reschedule(tables: readonly StateTable[]): void {
    const backend = this.keyedBackend;
    const order: { key: StateKey; g: number; q: number; end: number }[] = [];
    for (const t of tables) {
      const span = t === this.table ? this.slide : this.size;
      backend.forEach(t, (key, keyGroup, value) => {
        const g = keyGroup - backend.keyGroupRange.start;
        let q = Infinity;
        let end = Infinity;
        for (const c of (value as KeyWindows).values()) {
          this.created = Math.max(this.created, (c.q ?? 0) + 1);
          q = Math.min(q, c.q ?? 0);
          end = Math.min(end, c.s + span);
        }
        if (end !== Infinity) order.push({ key, g, q, end });
      });
    }
    order.sort((x, y) => x.q - y.q);
    for (const { key, g, end } of order) this.schedule.register(key, g, this.firstFiring(end));
  }

  collect(value: unknown): void {
    const backend = this.keyedBackend;
    this.add(value, backend.getCurrentKey(), backend.currentGroupIndex, this.ctx.elementTimestamp.value);
  }

  collectKeyed(records: readonly unknown[], keys: readonly StateKey[], keyGroups: readonly number[], n: number, timestamps: readonly number[] | undefined): void {
    const base = this.keyedBackend.keyGroupRange.start;
    const ts = this.ctx.elementTimestamp;
    for (let i = 0; i < n; i++) {
      const t = timestamps === undefined ? Number.NaN : timestamps[i]!;
      ts.value = t; // a late record's side output keeps its timestamp
      this.add(records[i], keys[i]!, keyGroups[i]! - base, t);
    }
  }

  private add(value: unknown, key: StateKey, g: number, timestamp: number): void {
    if (Number.isNaN(timestamp)) {
      throw missingTimestampError(this.uid);
    }
    const watermark = this.currentWatermark;
    const last = windowStartOf(timestamp, this.offset, this.slide);
    // The latest window holding the record (the pane's) fires last: if it fired, every one did.
    if (last + this.size - 1 <= watermark) return this.late(value);
    const backend = this.keyedBackend;
    const t = this.table;
    const entry = backend.entryOf(t, key, g);
    const e = entry === undefined ? backend.insert(t, key, g, new Map()) : backend.writable(t, key, g, entry);
    // The pane the key's last record went to, most often this one's: no map lookup.
    let contents = e.hint as WindowContents | undefined;
    if (contents === undefined || contents.s !== last) {
      const panes = e.value as KeyWindows;
      contents = panes.get(last);
      if (contents === undefined) {
        panes.set(last, (contents = { s: last, e: last + this.slide, n: 0, a: undefined, q: this.created++ }));
        this.schedule.register(key, g, this.firstFiring(last + this.slide));
      }
      e.hint = contents;
    }
    this.ops.add(contents, value);
  }

  /** The time the first window not fired yet that ends at `end` or later fires (window ends are a slide apart). */
  private firstFiring(end: number): number {
    let e = end;
    while (e - 1 <= this.currentWatermark) e += this.slide;
    return e - 1;
  }

  private late(value: unknown): void {
    if (this.spec.lateDataTag !== undefined) this.output.collectSide(this.spec.lateDataTag, value);
    else this.lateRecordsDropped++;
  }

  processWatermark(timestamp: number): void {
    if (timestamp <= this.currentWatermark) return;
    this.currentWatermark = timestamp;
    // One time at a time: firing a key registers it again, possibly at a time this watermark passed too.
    for (let time = this.schedule.earliest(timestamp); time !== undefined; time = this.schedule.earliest(timestamp)) this.fireAt(time);
    this.ctx.elementTimestamp.value = Number.NaN;
    this.output.emitWatermark(timestamp);
  }

  /** Fires the window ending at `time + 1` of every key registered at `time`. */
  private fireAt(time: number): void {
    const bucket = this.schedule.take(time)!;
    const window: TimeWindow = { start: time + 1 - this.size, end: time + 1 };
    const { keys, groups } = bucket;
    for (let i = 0; i < keys.length; i++) {
      this.ctx.elementTimestamp.value = time;
      this.fireKey(keys[i]!, groups[i]!, time, window);
    }
  }

  /**
   * A key is registered for its earliest window with contents only (by the pane that
   * created it, or by its previous firing, both maybe: the mark tells the repeat); emits `key`'s
   * result of `window`, drops the panes no later window needs, and registers the key again.
   */
  private fireKey(key: StateKey, g: number, time: number, window: TimeWindow): void {
    const backend = this.keyedBackend;
    const t = this.table;
    const entry = backend.entryOf(t, key, g);
    if (entry !== undefined && entry.mark === time) return;
    const legacy = this.legacy === undefined ? undefined : backend.entryOf(this.legacy, key, g);
    this.firePanes(window, entry, legacy);
    const next = Math.min(this.drop(t, key, g, entry, window.start, this.slide), legacy === undefined ? Infinity : this.drop(this.legacy!, key, g, legacy, window.start, this.size));
    if (next === Infinity) return;
    this.schedule.register(key, g, Math.max(next, window.end + this.slide) - 1);
    const now = backend.entryOf(t, key, g);
    if (now !== undefined) now.mark = time;
  }

  /** Merges the panes of `window` (and a restored whole window) in the order their first records came. */
  private firePanes(window: TimeWindow, entry: StateEntry | undefined, legacy: StateEntry | undefined): void {
    const parts = this.scratch;
    let n = 0;
    const whole = (legacy?.value as KeyWindows | undefined)?.get(window.start);
    if (whole !== undefined && whole.n > 0) parts[n++] = whole;
    const first = n;
    if (entry !== undefined) {
      for (const c of (entry.value as KeyWindows).values()) if (c.s >= window.start && c.s < window.end && c.n > 0) parts[n++] = c;
    }
    if (n === 0) return;
    // Few panes (size / slide): insertion sort by creation; a restored whole window stays first.
    for (let i = first + 1; i < n; i++) {
      const c = parts[i]!;
      let j = i - 1;
      for (; j >= first && parts[j]!.q > c.q; j--) parts[j + 1] = parts[j]!;
      parts[j + 1] = c;
    }
    const accumulators = this.accumulators;
    for (let i = 0; i < n; i++) accumulators[i] = parts[i]!.a;
    let result: unknown;
    try {
      result = this.mergePanes(accumulators, n);
    } finally {
      accumulators.fill(undefined, 0, n);
      parts.fill(undefined as unknown as WindowContents, 0, n);
    }
    this.emit(result);
  }

  /**
   * Drops from `key`'s entry of `t` what ends with `windowStart`'s window (starts at or before
   * it); returns the end of the earliest window the rest needs (an entry spans `span`), or
   * Infinity when nothing is left.
   */
  private drop(t: StateTable, key: StateKey, g: number, entry: StateEntry | undefined, windowStart: number, span: number): number {
    if (entry === undefined) return Infinity;
    const backend = this.keyedBackend;
    let windows = entry.value as KeyWindows;
    let next = Infinity;
    for (const start of windows.keys()) if (start > windowStart && start + span < next) next = start + span;
    if (next === Infinity) {
      backend.remove(t, key, g);
      return Infinity;
    }
    for (const start of windows.keys()) {
      if (start > windowStart) continue;
      // Removed from the writable map (a copy while a pending snapshot shares the entry).
      if (windows === entry.value) windows = backend.writable(t, key, g, entry).value as KeyWindows;
      windows.delete(start);
    }
    return next;
  }

  snapshotState() {
    return {
      keyedBackend: this.keyedBackend,
      keyedExtra: { keyGroupRange: this.ctx.keyGroupRange, kinds: {}, groups: [], watermark: this.currentWatermark },
    };
  }
}

/** Copy-on-write of a key's windows: its map and each window's contents. */
function copyWindows(ops: WindowContentsOps) {
  return (value: unknown): KeyWindows => {
    const copy: KeyWindows = new Map();
    for (const [start, c] of value as KeyWindows) copy.set(start, ops.copy(c));
    return copy;
  };
}
