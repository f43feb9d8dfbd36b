import { WeirError } from '../../../errors/index.js';
import type { WindowSpec } from '../../../graph/windowing.js';
import { HeapKeyedStateBackend, restoredWatermark } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { StateEntry, StateTable } from '../../../state/state-table.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from '../stream-operator.js';
import { isAlignedWindow } from './aligned-window-operator.js';
import { windowStartOf } from './window-assigners.js';
import type { WindowContents } from './window-contents.js';
import { windowColumnOps, type ColumnOps } from './window-columns.js';
import { missingTimestampError } from './missing-timestamp.js';
import { FieldColumns } from './field-columns.js';
import { LAYOUT } from './window-layouts.js';
import { reach, GROUP, SlotIndex, SmallKeySlots, writableGroupEntry, type SlotWindow } from './window-groups.js';
import { copyGroupPanes, dropThrough, openPane, paneIndex, reachPane, type GroupPanes } from './pane-groups.js';
import { PaneResults } from './pane-results.js';
import { adoptFunction, takeOverOlderPanes } from './paned-restore.js';
import { SmallKeyGroups } from './small-key-groups.js';

/**
 * Windows the paned operator takes: aligned ones (isAlignedWindow) sliding by a divisor of their
 * size, with a function whose accumulators merge: sum/min/max, or an aggregate with `merge`.
 */
export function isPanedWindow(spec: WindowSpec): boolean {
  const { assigner } = spec;
  return isAlignedWindow(spec) && assigner.kind === 'sliding' && assigner.slideMs < assigner.sizeMs && assigner.sizeMs % assigner.slideMs === 0
    && spec.function.kind === 'aggregate' && (spec.function.field !== undefined || spec.function.fn.merge !== undefined);
}

/**
 * Sliding event-time windows whose slide divides their size, of sum/min/max or an aggregate with
 * `merge`, with one accumulator per key and slide (a pane) that the overlapping windows share: a
 * record updates one pane instead of size / slide windows, and a window's result merges its panes
 * when it fires (as Flink's SQL runtime slices windows). State is kept by key group (GroupPanes):
 * a record costs one lookup of its key's slot, and a window fires by walking its panes' columns,
 * group by group. Results and late records are as WindowOperator gives them, but for sums of
 * non-integers, added pane by pane (the last bits may differ); results of one time come out group
 * by group, slot by slot (not part of the contract, as in Flink).
 */
export class PanedWindowOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  /** Per key group: one entry (GROUP) of GroupPanes; its `hint` is the group's SlotIndex. */
  private readonly table: StateTable;
  private readonly ops: ColumnOps;
  /** sum/min/max's field as numbers (FieldColumns), or undefined: accumulators merged by the function's `merge`. */
  private readonly field: FieldColumns | undefined;
  private readonly size: number;
  private readonly slide: number;
  private readonly offset: number;
  private readonly results: PaneResults;
  /** Each group's entry, kept current as copy-on-write replaces it: a record reaches it without a lookup. */
  private readonly entries: (StateEntry | undefined)[] = [];
  /** The starts of the panes open in some group, and of restored whole windows not fired yet. */
  /** The slots of small integer keys, for every group's SlotIndex (a dropped group must releaseAll). */
  private readonly smallKeys = new SmallKeySlots();
  private readonly panes = new Set<number>();
  private readonly wholes = new Set<number>();
  /** The groups of keys of batches that come without them. */
  private readonly keyGroups: SmallKeyGroups;
  /** Panes' first records so far (restored ones included): the next one's `q`, which orders panes by their first record. */
  private created = 0;
  currentWatermark = -Infinity;
  lateRecordsDropped = 0;

  constructor(readonly uid: string, private readonly output: Output, private readonly ctx: OperatorContext, private readonly spec: WindowSpec) {
    if (!isPanedWindow(spec)) throw new WeirError('INVALID_GRAPH', `operator '${uid}': PanedWindowOperator needs sliding windows of sum/min/max or an aggregate with merge (isPanedWindow)`, { domain: 'internal', retryable: false });
    const a = spec.assigner as Extract<WindowSpec['assigner'], { kind: 'sliding' }>;
    const fn = spec.function as Extract<WindowSpec['function'], { kind: 'aggregate' }>;
    this.size = a.sizeMs;
    this.slide = a.slideMs;
    this.offset = a.offsetMs;
    this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange);
    const ops = (this.ops = windowColumnOps(uid, fn));
    this.field = fn.field === undefined ? undefined : new FieldColumns(fn.field, ops);
    this.table = this.keyedBackend.stateTable(LAYOUT.paneGroups, 'value', copyGroupPanes(ops));
    this.results = new PaneResults(uid, ops, this.field, fn.fn.merge, (value) => output.collect(value));
    this.keyGroups = new SmallKeyGroups(ctx.maxParallelism);
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored === undefined) return;
    const backend = this.keyedBackend;
    backend.restore(restored.keyedState, restored.encodedKeyed);
    this.currentWatermark = restoredWatermark(restored.keyedState);
    backend.forEach(this.table, () => {}); // decodes everything: the panes are all needed
    adoptFunction(this.table, this.field, (g) => this.writableGroup(g).value as GroupPanes);
    // Checkpoints of older builds kept panes per key, or whole windows: taken over into the groups' columns.
    takeOverOlderPanes(backend, this.field, { pane: (...args) => this.restorePane(...args), whole: (key, g, c) => this.restoreWhole(key, g, c) });
    this.table.groups.forEach((map, g) => {
      const entry = map?.get(GROUP);
      if (entry === undefined) return;
      const gp = entry.value as GroupPanes;
      entry.hint ??= SlotIndex.of(gp, this.smallKeys);
      this.entries[g] = entry;
      for (const pane of gp.p) {
        this.panes.add(pane.s);
        for (let i = 0; i < pane.n.length; i++) if (pane.n[i]! > 0 && pane.q[i]! >= this.created) this.created = pane.q[i]! + 1;
      }
      for (const win of gp.w) this.wholes.add(win.s);
    });
  }

  /** Puts one key's restored pane (of an older layout) into its group's columns. */
  private restorePane(key: StateKey, g: number, start: number, n: number, q: number, a: unknown, v: number | undefined): void {
    if (n === 0) return;
    const entry = this.writableGroup(g);
    const gp = entry.value as GroupPanes;
    const slot = (entry.hint as SlotIndex).slotOf(gp, key);
    let j = paneIndex(gp, start);
    if (j < 0) j = openPane(gp, start);
    const pane = gp.p[j]!;
    reachPane(pane, slot, this.field !== undefined);
    pane.n[slot] = n;
    pane.q[slot] = q;
    pane.a[slot] = a; // with a field and no `v`: an accumulator, the first record with the field combined, which stands for both
    if (this.field !== undefined) pane.v[slot] = v ?? this.field.valueOf(a);
  }

  /** Puts one key's restored whole window (of a layout that kept windows) into its group's columns. */
  private restoreWhole(key: StateKey, g: number, c: WindowContents): void {
    if (c.n === 0) return;
    const entry = this.writableGroup(g);
    const gp = entry.value as GroupPanes;
    const slot = (entry.hint as SlotIndex).slotOf(gp, key);
    let win = gp.w.find((w) => w.s === c.s);
    if (win === undefined) {
      win = { s: c.s, e: c.e, n: [], a: [], v: [] } satisfies SlotWindow;
      gp.w.push(win);
      gp.w.sort((x, y) => x.s - y.s);
    }
    reach(win, slot, this.field !== undefined);
    win.n[slot] = c.n;
    win.a[slot] = c.a;
    if (this.field !== undefined) win.v[slot] = this.field.valueOf(c.a);
  }

  /** Group `g`'s entry, created if missing, safe to change (copy-on-write; the copy takes the slot index over). */
  private writableGroup(g: number): StateEntry {
    return writableGroupEntry(this.keyedBackend, this.table, this.entries, g, this.smallKeys, this.emptyGroup);
  }

  private readonly emptyGroup = (): GroupPanes => ({ k: [], f: this.field?.name ?? null, p: [], w: [] });

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
    const last = windowStartOf(timestamp, this.offset, this.slide);
    // The latest window holding the record (the pane's) fires last: if it fired, every one did.
    if (last + this.size - 1 <= this.currentWatermark) return this.late(value);
    const entry = this.writableGroup(g);
    const gp = entry.value as GroupPanes;
    const slot = (entry.hint as SlotIndex).slotOf(gp, key);
    let j = paneIndex(gp, last);
    if (j < 0) {
      j = openPane(gp, last);
      this.panes.add(last);
    }
    const pane = gp.p[j]!;
    if (slot >= pane.n.length) reachPane(pane, slot, this.field !== undefined);
    if (pane.n[slot] === 0) pane.q[slot] = this.created++;
    if (this.field !== undefined) this.field.add(pane.n, pane.a, pane.v, slot, value);
    else this.ops.add(pane.a, slot, pane.n[slot]++ === 0, value);
  }

  private late(value: unknown): void {
    if (this.spec.lateDataTag !== undefined) this.output.collectSide(this.spec.lateDataTag, value);
    else this.lateRecordsDropped++;
  }

  processWatermark(timestamp: number): void {
    const before = this.currentWatermark;
    if (timestamp <= before) return;
    this.currentWatermark = timestamp;
    // The earliest window not fired before this watermark: panes may be open that earlier windows held.
    let from = before === -Infinity ? -Infinity : windowStartOf(before - this.size + 1, this.offset, this.slide) + this.slide;
    for (;;) {
      const start = this.nextWindow(from);
      if (start === undefined || start + this.size - 1 > timestamp) break;
      this.fire(start);
      from = start + this.slide;
    }
    this.ctx.elementTimestamp.value = Number.NaN;
    this.output.emitWatermark(timestamp);
  }

  /** The start of the earliest window at or after `from` that holds an open pane or is a restored whole window. */
  private nextWindow(from: number): number | undefined {
    let next = Infinity;
    for (const s of this.panes) {
      const first = Math.max(s - this.size + this.slide, from);
      if (first <= s && first < next) next = first;
    }
    for (const s of this.wholes) if (s >= from && s < next) next = s;
    return next === Infinity ? undefined : next;
  }

  /** Emits every key's result of the window at `start`, group by group, and drops what no later window needs. */
  private fire(start: number): void {
    const end = start + this.size;
    this.ctx.elementTimestamp.value = end - 1;
    for (let g = 0; g < this.entries.length; g++) {
      const before = this.entries[g];
      if (before === undefined) continue;
      const seen = before.value as GroupPanes;
      let j0 = 0;
      while (j0 < seen.p.length && seen.p[j0]!.s < start) j0++;
      let j1 = j0;
      while (j1 < seen.p.length && seen.p[j1]!.s < end) j1++;
      if (j0 === j1 && (seen.w.length === 0 || seen.w[0]!.s > start)) continue;
      const entry = this.writableGroup(g);
      const gp = entry.value as GroupPanes;
      const whole = gp.w.length > 0 && gp.w[0]!.s === start ? gp.w[0] : undefined;
      this.results.fire(gp, j0, j1, whole, j0 < j1 && gp.p[j0]!.s === start ? j0 : -1);
      if (!dropThrough(gp, entry.hint as SlotIndex, start)) {
        (entry.hint as SlotIndex).releaseAll(gp);
        this.keyedBackend.remove(this.table, GROUP, g);
        this.entries[g] = undefined;
      }
    }
    for (const s of this.panes) if (s <= start) this.panes.delete(s);
    for (const s of this.wholes) if (s <= start) this.wholes.delete(s);
  }

  snapshotState() {
    return {
      keyedBackend: this.keyedBackend,
      keyedExtra: { keyGroupRange: this.ctx.keyGroupRange, kinds: {}, groups: [], watermark: this.currentWatermark },
    };
  }
}
