import { WeirError } from '../../../errors/index.js';
import type { TimeWindow, WindowSpec } from '../../../graph/windowing.js';
import { HeapKeyedStateBackend, restoredWatermark } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { StateEntry, StateTable } from '../../../state/state-table.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from '../stream-operator.js';
import { FireSchedule } from './fire-schedule.js';
import { isAlignedWindow } from './aligned-window-operator.js';
import { windowStartOf } from './window-assigners.js';
import { copyPlainData } from '../../../state/state-table.js';
import type { WindowContents } from './window-contents.js';
import { windowColumnOps, type ColumnOps } from './window-columns.js';
import { missingTimestampError } from './missing-timestamp.js';
import { FieldColumns } from './field-columns.js';
import { LAYOUT, takeOver, takeOverWholeWindows } from './window-layouts.js';

/** Whole windows restored from another layout, by start: the state of one key. */
type KeyWindows = Map<number, WindowContents>;

/**
 * A key's panes as columns, in the order they were created: pane i starts at `s[i]` (and spans the
 * slide), holds `n[i]` records and accumulator `a[i]`, and was the `q[i]`-th window or pane the
 * operator created. Plain data, snapshotted as it is (a few arrays per key encode about twice as
 * fast as an object per pane), changed in place.
 */
export interface KeyPanes {
  s: number[];
  n: number[];
  q: number[];
  /** The accumulators, or with sum/min/max's field (FieldColumns) the panes' first records. */
  a: unknown[];
  /** With a field: each pane's combined field. Missing in checkpoints of builds before (their `a` held accumulators). */
  v?: number[];
}

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
  private readonly ops: ColumnOps;
  /** sum/min/max's field as numbers (FieldColumns), or undefined: accumulators merged by `mergePanes`. */
  private readonly field: FieldColumns | undefined;
  private readonly size: number;
  private readonly slide: number;
  private readonly offset: number;
  /** A window's result from its panes' accumulators (in the order the panes were created). */
  private readonly mergePanes: (accumulators: readonly unknown[], n: number) => unknown;
  private readonly schedule = new FireSchedule();
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
    const ops = (this.ops = windowColumnOps(uid, fn));
    const field = (this.field = fn.field === undefined ? undefined : new FieldColumns(fn.field, ops));
    this.table = this.keyedBackend.stateTable(LAYOUT.keyPanes, 'value', (value) => {
      const p = value as KeyPanes;
      // First records never change: only accumulators need a deep copy.
      return { s: p.s.slice(), n: p.n.slice(), q: p.q.slice(), a: field === undefined ? p.a.map(ops.copy) : p.a.slice(), v: p.v!.slice() };
    });
    this.emit = (value) => output.collect(value);
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored === undefined) return;
    const backend = this.keyedBackend;
    backend.restore(restored.keyedState, restored.encodedKeyed);
    this.currentWatermark = restoredWatermark(restored.keyedState);
    // The layout before kept a key's panes in a Map of WindowContents: taken over, in the order the panes were created.
    takeOver(backend, LAYOUT.paneMaps, (key, g, value) => {
      const panes = [...(value as KeyWindows).values()].sort((x, y) => (x.q ?? 0) - (y.q ?? 0));
      if (panes.length > 0) backend.insert(this.table, key, g, { s: panes.map((c) => c.s), n: panes.map((c) => c.n), q: panes.map((c) => c.q ?? 0), a: panes.map((c) => c.a) });
    });
    // Panes of builds before kept accumulators only: their fields become the `v` column (restored values, changed in place before any snapshot).
    backend.forEach(this.table, (_key, _g, value) => {
      const p = value as KeyPanes;
      p.v ??= p.a.map((acc, i) => (this.field !== undefined && p.n[i]! > 0 ? this.field.valueOf(acc) : 0));
    });
    if (!backend.hasState(LAYOUT.byKey) && !backend.hasState(LAYOUT.slices) && !backend.hasState(LAYOUT.columns) && !backend.hasState(LAYOUT.groups)) return this.reschedule([this.table]);
    // Another operator's layout kept whole windows: taken over into WindowOperator's (a key's
    // windows by start), kept apart and merged first into the results of those windows.
    const whole = (this.legacy = backend.stateTable(LAYOUT.byKey, 'value', copyWindows));
    takeOverWholeWindows(backend, [LAYOUT.slices, LAYOUT.columns, LAYOUT.groups], (key, g, c) => {
      const entry = backend.entryOf(whole, key, g);
      const windows = entry === undefined ? (backend.insert(whole, key, g, new Map()).value as KeyWindows) : (backend.writable(whole, key, g, entry).value as KeyWindows);
      windows.set(c.s, c);
    });
    this.reschedule([this.table, whole]);
  }

  /** Registers each key of these tables for its earliest window, in the order the keys' first panes were created. */
  private reschedule(tables: readonly StateTable[]): void {
    const backend = this.keyedBackend;
    const order: { key: StateKey; g: number; q: number; end: number }[] = [];
    const note = (s: number, q: number, span: number, into: { q: number; end: number }) => {
      this.created = Math.max(this.created, q + 1);
      into.q = Math.min(into.q, q);
      into.end = Math.min(into.end, s + span);
    };
    for (const t of tables) {
      backend.forEach(t, (key, keyGroup, value) => {
        const g = keyGroup - backend.keyGroupRange.start;
        const first = { q: Infinity, end: Infinity };
        if (t === this.table) {
          const p = value as KeyPanes;
          for (let i = 0; i < p.s.length; i++) note(p.s[i]!, p.q[i]!, this.slide, first);
        } else {
          for (const c of (value as KeyWindows).values()) note(c.s, c.q ?? 0, this.size, first);
        }
        if (first.end !== Infinity) order.push({ key, g, q: first.q, end: first.end });
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
    const e = entry === undefined ? backend.insert(t, key, g, { s: [], n: [], q: [], a: [], v: [] } satisfies KeyPanes) : backend.writable(t, key, g, entry);
    const p = e.value as KeyPanes;
    // The pane the key's last record went to (its index), most often this one's.
    let i = e.hint as number | undefined;
    if (i === undefined || p.s[i] !== last) {
      i = p.s.indexOf(last); // a few panes: size / slide, and the next one
      if (i < 0) {
        i = p.s.length;
        p.s.push(last);
        p.n.push(0);
        p.q.push(this.created++);
        p.a.push(undefined);
        p.v!.push(0);
        this.schedule.register(key, g, this.firstFiring(last + this.slide));
      }
      e.hint = i;
    }
    if (this.field !== undefined) this.field.add(p.n, p.a, p.v!, i, value);
    else this.ops.add(p.a, i, p.n[i]++ === 0, value);
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
    const next = Math.min(this.drop(key, g, entry, window.start), this.dropWhole(key, g, legacy, window.start));
    if (next === Infinity) return;
    this.schedule.register(key, g, Math.max(next, window.end + this.slide) - 1);
    const now = backend.entryOf(t, key, g);
    if (now !== undefined) now.mark = time;
  }

  /** Merges the panes of `window` (and a restored whole window first) in the order their first records came (the panes' order). */
  private firePanes(window: TimeWindow, entry: StateEntry | undefined, legacy: StateEntry | undefined): void {
    const accumulators = this.accumulators;
    let n = 0;
    const whole = (legacy?.value as KeyWindows | undefined)?.get(window.start);
    if (whole !== undefined && whole.n > 0) accumulators[n++] = whole.a;
    if (entry !== undefined) {
      const p = entry.value as KeyPanes;
      const field = this.field;
      if (field !== undefined && n === 0) return this.fireField(window, p, field);
      for (let i = 0; i < p.s.length; i++) {
        if (p.s[i]! >= window.start && p.s[i]! < window.end && p.n[i]! > 0) accumulators[n++] = field === undefined ? p.a[i] : field.result(p.a, p.v!, i);
      }
    }
    if (n === 0) return;
    let result: unknown;
    try {
      result = this.mergePanes(accumulators, n);
    } finally {
      accumulators.fill(undefined, 0, n);
    }
    this.emit(result);
  }

  /** The same for a field's panes alone: the first pane's record with the panes' values combined, in the panes' order. */
  private fireField(window: TimeWindow, p: KeyPanes, field: FieldColumns): void {
    const v = p.v!;
    let first = -1;
    let combined = 0;
    for (let i = 0; i < p.s.length; i++) {
      if (p.s[i]! < window.start || p.s[i]! >= window.end || p.n[i] === 0) continue;
      if (first < 0) {
        first = i;
        combined = v[i]!;
      } else combined = field.of(combined, v[i]!);
    }
    if (first < 0) return;
    const result = field.result(p.a, v, first);
    result[field.name] = combined;
    this.emit(result);
  }

  /**
   * Drops from `key`'s entry of `t` what ends with `windowStart`'s window (starts at or before
   * it); returns the end of the earliest window the rest needs, or Infinity when nothing is left.
   */
  private drop(key: StateKey, g: number, entry: StateEntry | undefined, windowStart: number): number {
    if (entry === undefined) return Infinity;
    const backend = this.keyedBackend;
    let p = entry.value as KeyPanes;
    let next = Infinity;
    let kept = 0;
    for (let i = 0; i < p.s.length; i++) {
      if (p.s[i]! <= windowStart) continue;
      kept++;
      if (p.s[i]! + this.slide < next) next = p.s[i]! + this.slide;
    }
    if (kept === 0) {
      backend.remove(this.table, key, g);
      return Infinity;
    }
    if (kept === p.s.length) return next;
    // Compacted in the writable columns (a copy while a pending snapshot shares the entry), in order.
    const e = backend.writable(this.table, key, g, entry);
    p = e.value as KeyPanes;
    let j = 0;
    for (let i = 0; i < p.s.length; i++) {
      if (p.s[i]! <= windowStart) continue;
      p.s[j] = p.s[i]!;
      p.n[j] = p.n[i]!;
      p.q[j] = p.q[i]!;
      p.a[j] = p.a[i];
      p.v![j] = p.v![i]!;
      j++;
    }
    p.s.length = p.n.length = p.q.length = p.a.length = p.v!.length = j;
    e.hint = undefined;
    return next;
  }

  /** The same for a restored whole window (an entry spans the window's size). */
  private dropWhole(key: StateKey, g: number, entry: StateEntry | undefined, windowStart: number): number {
    if (entry === undefined) return Infinity;
    const backend = this.keyedBackend;
    const t = this.legacy!;
    let windows = entry.value as KeyWindows;
    let next = Infinity;
    for (const start of windows.keys()) if (start > windowStart && start + this.size < next) next = start + this.size;
    if (next === Infinity) {
      backend.remove(t, key, g);
      return Infinity;
    }
    for (const start of windows.keys()) {
      if (start > windowStart) continue;
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

/** Copy-on-write of a key's restored whole windows: its map and each window's contents (their accumulators deep). */
function copyWindows(value: unknown): KeyWindows {
  const copy: KeyWindows = new Map();
  for (const [start, c] of value as KeyWindows) copy.set(start, { s: c.s, e: c.e, n: c.n, a: copyPlainData(c.a), q: c.q });
  return copy;
}
