import type { WindowSpec } from '../../../graph/windowing.js';
import { HeapKeyedStateBackend, restoredWatermark } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { StateEntry, StateTable } from '../../../state/state-table.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from '../stream-operator.js';
import { windowStartOf } from './window-assigners.js';
import type { WindowContents } from './window-contents.js';
import { appendContents, copyColumns, emptyColumns, indexOf, windowColumnOps, type ColumnOps, type WindowColumns } from './window-columns.js';
import { missingTimestampError } from './missing-timestamp.js';
import { LAYOUT, takeOverWholeWindows } from './window-layouts.js';


/** Windows the aligned operator takes: event time, tumbling or sliding, an incremental function, no allowed lateness. */
export function isAlignedWindow(spec: WindowSpec): boolean {
  const { assigner } = spec;
  return (assigner.kind === 'tumbling' || assigner.kind === 'sliding') && assigner.time === 'event'
    && spec.function.kind !== 'process' && spec.allowedLatenessMs === 0;
}

/**
 * Event-time tumbling and sliding windows with an incremental function (reduce, aggregate,
 * sum/min/max), which every key's windows share the bounds of. Their state is kept by window, not
 * by key: per key group, a window's columns of keys, counts and accumulators (WindowColumns), so
 * a record costs one lookup of its key in its window's index, and the watermark fires a window by
 * walking its columns (no timer per key and window: the windows' ends are the timers). Results and
 * late records are as WindowOperator gives them; what fires together fires key group by key group
 * (the order of results of one time is not part of the contract, as in Flink).
 */
export class AlignedWindowOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  /** Per key group: window start → WindowColumns; each entry's `hint` is its key → slot index. */
  private readonly columns: StateTable;
  private readonly ops: ColumnOps;
  private readonly size: number;
  private readonly slide: number;
  private readonly offset: number;
  /**
   * The windows that hold something, by start: their entries per key group (relative), kept
   * current as copy-on-write replaces them, so a record reaches its window's columns without a
   * lookup of the window in its key group.
   */
  private readonly open = new Map<number, (StateEntry | undefined)[]>();
  /** The window the last record went to: the next one most often goes there too. */
  private lastStart = Number.NaN;
  private lastEntries: (StateEntry | undefined)[] = [];
  private readonly emit: (value: unknown) => void;
  currentWatermark = -Infinity;
  lateRecordsDropped = 0;

  constructor(readonly uid: string, private readonly output: Output, private readonly ctx: OperatorContext, private readonly spec: WindowSpec) {
    const a = spec.assigner as Extract<WindowSpec['assigner'], { kind: 'tumbling' | 'sliding' }>;
    this.size = a.sizeMs;
    this.slide = a.kind === 'sliding' ? a.slideMs : a.sizeMs;
    this.offset = a.offsetMs;
    this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange);
    const ops = (this.ops = windowColumnOps(uid, spec.function));
    this.columns = this.keyedBackend.stateTable(LAYOUT.columns, 'value', copyColumns(ops));
    this.emit = (value) => output.collect(value);
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored === undefined) return;
    const backend = this.keyedBackend;
    backend.restore(restored.keyedState, restored.encodedKeyed);
    this.currentWatermark = restoredWatermark(restored.keyedState);
    // Checkpoints of older builds kept an object per key and window: taken over into columns.
    takeOverWholeWindows(backend, [LAYOUT.slices, LAYOUT.byKey], (key, g, c) => appendContents(this.restoredColumns(c, g), key, c));
    backend.forEach(this.columns, () => {}); // decodes everything: the windows are all needed
    this.columns.groups.forEach((windows, g) => windows?.forEach((entry, start) => {
      entry.hint = indexOf(entry.value as WindowColumns);
      this.entriesOf(start as number)[g] = entry;
    }));
  }

  /** The (writable) columns of the window of restored contents `c` in group `g`. */
  private restoredColumns(c: WindowContents, g: number): WindowColumns {
    const backend = this.keyedBackend;
    const entry = backend.entryOf(this.columns, c.s, g);
    return (entry === undefined ? backend.insert(this.columns, c.s, g, emptyColumns(c.s, c.e)) : backend.writable(this.columns, c.s, g, entry)).value as WindowColumns;
  }

  private entriesOf(start: number): (StateEntry | undefined)[] {
    let entries = this.open.get(start);
    if (entries === undefined) this.open.set(start, (entries = []));
    return entries;
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
    let accepted = false;
    const last = windowStartOf(timestamp, this.offset, this.slide);
    for (let start = last; start > timestamp - this.size; start -= this.slide) {
      if (start + this.size - 1 <= this.currentWatermark) continue; // fired already: too late for this one
      accepted = true;
      this.addTo(start, value, key, g);
    }
    if (accepted) return;
    if (this.spec.lateDataTag !== undefined) this.output.collectSide(this.spec.lateDataTag, value);
    else this.lateRecordsDropped++;
  }

  private addTo(start: number, value: unknown, key: StateKey, g: number): void {
    let entries = this.lastEntries;
    if (start !== this.lastStart) {
      entries = this.lastEntries = this.entriesOf(start);
      this.lastStart = start;
    }
    const backend = this.keyedBackend;
    let entry = entries[g];
    if (entry === undefined) {
      entry = entries[g] = backend.insert(this.columns, start, g, emptyColumns(start, start + this.size));
      entry.hint = new Map<StateKey, number>();
    } else if (entry.v !== backend.version) {
      // The first write since a snapshot: maybe a copy (copy-on-write), which takes the index over.
      const writable = backend.writable(this.columns, start, g, entry);
      if (writable !== entry) {
        writable.hint = entry.hint;
        entries[g] = entry = writable;
      }
    }
    const c = entry.value as WindowColumns;
    const index = entry.hint as Map<StateKey, number>;
    let i = index.get(key);
    if (i === undefined) {
      index.set(key, (i = c.k.length));
      c.k.push(key);
      c.n.push(0);
      c.a.push(undefined);
    }
    this.ops.add(c.a, i, c.n[i]++ === 0, value);
  }

  processWatermark(timestamp: number): void {
    if (timestamp <= this.currentWatermark) return;
    this.currentWatermark = timestamp;
    const due = [...this.open.keys()].filter((start) => start + this.size - 1 <= timestamp).sort((a, b) => a - b);
    for (const start of due) this.fire(start);
    this.ctx.elementTimestamp.value = Number.NaN;
    this.output.emitWatermark(timestamp);
  }

  /** Emits every key's result of the window at `start`, group by group, and drops the window. */
  private fire(start: number): void {
    this.open.delete(start);
    if (start === this.lastStart) {
      this.lastStart = Number.NaN;
      this.lastEntries = [];
    }
    const backend = this.keyedBackend;
    const groups = this.columns.groups;
    this.ctx.elementTimestamp.value = start + this.size - 1;
    for (let g = 0; g < groups.length; g++) {
      const entry = groups[g]?.get(start);
      if (entry === undefined) continue;
      const { n, a } = entry.value as WindowColumns;
      for (let i = 0; i < n.length; i++) if (n[i]! > 0) this.emit(this.ops.result(a[i]));
      backend.remove(this.columns, start, g);
    }
  }

  snapshotState() {
    return {
      keyedBackend: this.keyedBackend,
      keyedExtra: { keyGroupRange: this.ctx.keyGroupRange, kinds: {}, groups: [], watermark: this.currentWatermark },
    };
  }
}
