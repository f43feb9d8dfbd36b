import type { WindowSpec } from '../../../graph/windowing.js';
import { HeapKeyedStateBackend, restoredWatermark } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { StateEntry, StateTable } from '../../../state/state-table.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from '../stream-operator.js';
import { windowStartOf } from './window-assigners.js';
import type { WindowContents } from './window-contents.js';
import { windowColumnOps, type ColumnOps } from './window-columns.js';
import { FieldColumns } from './field-columns.js';
import { accumulatorAt, copyGroup, openWindow, reach, GROUP, SlotIndex, SmallKeySlots, writableGroupEntry, windowIndex, WindowSpares, type GroupWindows } from './window-groups.js';
import { missingTimestampError } from './missing-timestamp.js';
import { LAYOUT, takeOverWholeWindows } from './window-layouts.js';
import { SmallKeyGroups } from './small-key-groups.js';

/** Windows the aligned operator takes: event time, tumbling or sliding, an incremental function, no allowed lateness. */
export function isAlignedWindow(spec: WindowSpec): boolean {
  const { assigner } = spec;
  return (assigner.kind === 'tumbling' || assigner.kind === 'sliding') && assigner.time === 'event'
    && spec.function.kind !== 'process' && spec.allowedLatenessMs === 0;
}

/**
 * Event-time tumbling and sliding windows with an incremental function (reduce, aggregate,
 * sum/min/max), which every key's windows share the bounds of. Their state is kept by key group,
 * not by key: one entry per group holds its open windows as columns indexed by key slot
 * (GroupWindows), so a record costs one lookup of its key's slot, a new window costs no lookups,
 * and the watermark fires a window by walking its columns (no timer per key and window: the
 * windows' ends are the timers). sum/min/max keep the combined field as numbers beside each key's
 * first record (no object per update). Results and late records are as WindowOperator gives them;
 * what fires together fires key group by key group (the order of results of one time is not part
 * of the contract, as in Flink).
 */
export class AlignedWindowOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  /** Per key group: one entry (GROUP) of GroupWindows; its `hint` is the group's SlotIndex. */
  private readonly table: StateTable;
  private readonly ops: ColumnOps;
  private readonly size: number;
  private readonly slide: number;
  private readonly offset: number;
  /** sum/min/max's field as numbers, or undefined: accumulators as the function makes them. */
  private readonly field: FieldColumns | undefined;
  /** Each group's entry, kept current as copy-on-write replaces it: a record reaches it without a lookup. */
  private readonly entries: (StateEntry | undefined)[] = [];
  /** The slots of small integer keys, for every group's SlotIndex. */
  private readonly smallKeys = new SmallKeySlots();
  /** The starts of the windows open in some group. */
  private readonly open = new Set<number>();
  /** Per group, a fired window's columns, to open the group's next window in. */
  private readonly spares = new WindowSpares();
  /** The groups of keys of batches that come without them. */
  private readonly keyGroups: SmallKeyGroups;
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
    const field = spec.function.kind === 'aggregate' ? spec.function.field : undefined;
    this.field = field === undefined ? undefined : new FieldColumns(field, ops);
    this.table = this.keyedBackend.stateTable(LAYOUT.groups, 'value', copyGroup(ops));
    this.emit = (value) => output.collect(value);
    this.keyGroups = new SmallKeyGroups(ctx.maxParallelism);
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored === undefined) return;
    const backend = this.keyedBackend;
    backend.restore(restored.keyedState, restored.encodedKeyed);
    this.currentWatermark = restoredWatermark(restored.keyedState);
    // Checkpoints of older builds kept windows in other layouts: taken over, key by key and window by window.
    takeOverWholeWindows(backend, [LAYOUT.columns, LAYOUT.slices, LAYOUT.byKey], (key, g, c) => this.restoreContents(key, g, c));
    backend.forEach(this.table, () => {}); // decodes everything: the windows are all needed
    // Groups kept by another window function (accumulators where this one keeps a field, or the reverse): taken over too.
    const own = this.field?.name ?? null;
    const foreign: [StateKey, number, WindowContents][] = [];
    this.table.groups.forEach((map, g) => {
      const gw = map?.get(GROUP)?.value as GroupWindows | undefined;
      if (gw === undefined || gw.f === own) return;
      for (const win of gw.w) {
        for (let i = 0; i < win.n.length; i++) if (win.n[i]! > 0) foreign.push([gw.k[i]!, g, { s: win.s, e: win.e, n: win.n[i]!, a: accumulatorAt(gw, win, i), q: 0 }]);
      }
      (map!.get(GROUP)!.hint as SlotIndex | undefined)?.releaseAll(gw);
      this.entries[g] = undefined;
      backend.remove(this.table, GROUP, g);
    });
    for (const [key, g, c] of foreign) this.restoreContents(key, g, c);
    this.table.groups.forEach((map, g) => {
      const entry = map?.get(GROUP);
      if (entry === undefined) return;
      const gw = entry.value as GroupWindows;
      entry.hint ??= SlotIndex.of(gw, this.smallKeys);
      this.entries[g] = entry;
      for (const win of gw.w) this.open.add(win.s);
    });
  }

  /** Puts one key's restored window contents (of an older layout) into its group's columns. */
  private restoreContents(key: StateKey, g: number, c: WindowContents): void {
    const entry = this.writableGroup(g);
    const gw = entry.value as GroupWindows;
    const slot = (entry.hint as SlotIndex).slotOf(gw, key);
    const j = windowIndex(gw, c.s);
    const win = j >= 0 ? gw.w[j]! : openWindow(gw, c.s, c.e);
    reach(win, slot, gw.f !== null);
    win.n[slot] = c.n;
    win.a[slot] = c.a; // with a field: the first record with the field combined, as the field's own column holds it
    if (this.field !== undefined && c.n > 0) win.v[slot] = this.field.valueOf(c.a);
  }

  /** Group `g`'s entry, created if missing, safe to change (copy-on-write; the copy takes the slot index over). */
  private writableGroup(g: number): StateEntry {
    return writableGroupEntry(this.keyedBackend, this.table, this.entries, g, this.smallKeys, this.emptyGroup);
  }

  private readonly emptyGroup = (): GroupWindows => ({ k: [], f: this.field?.name ?? null, w: [] });

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

  /** A keyed batch without key groups (one downstream subtask): the groups come from a cache by key, not hashed per record. */
  collectKeyedByKey(records: readonly unknown[], keys: readonly StateKey[], n: number, timestamps: readonly number[] | undefined): void {
    this.collectKeyed(records, keys, this.keyGroups.groupsOf(keys, n), n, timestamps);
  }

  private add(value: unknown, key: StateKey, g: number, timestamp: number): void {
    if (Number.isNaN(timestamp)) {
      throw missingTimestampError(this.uid);
    }
    const size = this.size;
    const slide = this.slide;
    const watermark = this.currentWatermark;
    const last = windowStartOf(timestamp, this.offset, slide);
    // Its latest window fired (so did every earlier one), or (sliding by more than the size) it is in none: late.
    if (last <= timestamp - size || last + size - 1 <= watermark) return this.late(value);
    let entry = this.entries[g];
    if (entry === undefined || entry.v !== this.keyedBackend.version) entry = this.writableGroup(g);
    const gw = entry.value as GroupWindows;
    const slot = (entry.hint as SlotIndex).slotOf(gw, key);
    for (let start = last; start > timestamp - size && start + size - 1 > watermark; start -= slide) this.addTo(gw, g, start, slot, value);
  }

  /** Adds `value` to slot `slot` of the window at `start` in `gw` (group `g`'s, writable), opening the window if needed. */
  private addTo(gw: GroupWindows, g: number, start: number, slot: number, value: unknown): void {
    let j = windowIndex(gw, start);
    if (j < 0) {
      openWindow(gw, start, start + this.size, this.spares.take(g));
      this.open.add(start);
      j = windowIndex(gw, start);
    }
    const win = gw.w[j]!;
    const field = this.field;
    if (slot >= win.n.length) reach(win, slot, field !== undefined);
    if (field !== undefined) field.add(win.n, win.a, win.v, slot, value);
    else this.ops.add(win.a, slot, win.n[slot]++ === 0, value);
  }

  /** In no window that has not fired: to the late-data side output, or dropped and counted. */
  private late(value: unknown): void {
    if (this.spec.lateDataTag !== undefined) this.output.collectSide(this.spec.lateDataTag, value);
    else this.lateRecordsDropped++;
  }

  processWatermark(timestamp: number): void {
    if (timestamp <= this.currentWatermark) return;
    this.currentWatermark = timestamp;
    const due = [...this.open].filter((start) => start + this.size - 1 <= timestamp).sort((a, b) => a - b);
    for (const start of due) this.fire(start);
    this.ctx.elementTimestamp.value = Number.NaN;
    this.output.emitWatermark(timestamp);
  }

  /** Emits every key's result of the window at `start`, group by group, drops the window and frees the slots of keys gone. */
  private fire(start: number): void {
    this.open.delete(start);
    this.ctx.elementTimestamp.value = start + this.size - 1;
    const field = this.field;
    for (let g = 0; g < this.entries.length; g++) {
      const before = this.entries[g];
      if (before === undefined || windowIndex(before.value as GroupWindows, start) < 0) continue;
      const entry = this.writableGroup(g);
      const gw = entry.value as GroupWindows;
      const j = windowIndex(gw, start);
      const win = gw.w[j]!;
      const { n, a, v } = win;
      for (let i = 0; i < n.length; i++) {
        if (n[i] === 0) continue;
        this.emit(field === undefined ? this.ops.result(a[i]) : field.result(a, v, i));
      }
      gw.w.splice(j, 1);
      if (gw.w.length === 0) {
        (entry.hint as SlotIndex).releaseAll(gw);
        this.keyedBackend.remove(this.table, GROUP, g);
        this.entries[g] = undefined;
      } else (entry.hint as SlotIndex).releaseIdle(gw, win);
      this.spares.keep(g, win); // the group was writable: its columns are the operator's alone
    }
  }

  snapshotState() {
    return {
      keyedBackend: this.keyedBackend,
      keyedExtra: { keyGroupRange: this.ctx.keyGroupRange, kinds: {}, groups: [], watermark: this.currentWatermark },
    };
  }
}
