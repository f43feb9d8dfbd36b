import type { WindowSpec } from '../../../graph/windowing.js';
import { HeapKeyedStateBackend, restoredWatermark } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { StateEntry, StateTable } from '../../../state/state-table.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from '../stream-operator.js';
import { windowStartOf } from './window-assigners.js';
import { windowContentsOps, type WindowContents, type WindowContentsOps } from './window-contents.js';
import { missingTimestampError } from './missing-timestamp.js';

/** One window's contents per key, in one key group. */
type WindowKeys = Map<StateKey, WindowContents>;

/** Windows the aligned operator takes: event time, tumbling or sliding, an incremental function, no allowed lateness. */
export function isAlignedWindow(spec: WindowSpec): boolean {
  const { assigner } = spec;
  return (assigner.kind === 'tumbling' || assigner.kind === 'sliding') && assigner.time === 'event'
    && spec.function.kind !== 'process' && spec.allowedLatenessMs === 0;
}

/**
 * Event-time tumbling and sliding windows with an incremental function (reduce, aggregate,
 * sum/min/max), which every key's windows share the bounds of. Their state is kept by window, not
 * by key: per key group, a map from a window's start to each key's contents, so a record costs
 * one lookup of its key in its window's map, and the watermark fires a window by walking that map
 * (no timer per key and window: the windows' ends are the timers). Results and late records are
 * as WindowOperator gives them; what fires together fires key group by key group (the order of
 * results of one time is not part of the contract, as in Flink).
 */
export class AlignedWindowOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  /** Per key group: window start → WindowKeys. */
  private readonly slices: StateTable;
  private readonly ops: WindowContentsOps;
  private readonly size: number;
  private readonly slide: number;
  private readonly offset: number;
  /** Starts of the windows that hold something, to fire in order. */
  private readonly open = new Set<number>();
  private readonly emit: (value: unknown) => void;
  currentWatermark = -Infinity;
  lateRecordsDropped = 0;

  constructor(readonly uid: string, private readonly output: Output, private readonly ctx: OperatorContext, private readonly spec: WindowSpec) {
    const a = spec.assigner as Extract<WindowSpec['assigner'], { kind: 'tumbling' | 'sliding' }>;
    this.size = a.sizeMs;
    this.slide = a.kind === 'sliding' ? a.slideMs : a.sizeMs;
    this.offset = a.offsetMs;
    this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange);
    const ops = (this.ops = windowContentsOps(uid, spec.function));
    this.slices = this.keyedBackend.stateTable('window-slices', 'value', (value) => {
      const copy: WindowKeys = new Map();
      for (const [key, c] of value as WindowKeys) copy.set(key, ops.copy(c));
      return copy;
    });
    this.emit = (value) => output.collect(value);
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored === undefined) return;
    const backend = this.keyedBackend;
    backend.restore(restored.keyedState, restored.encodedKeyed);
    this.currentWatermark = restoredWatermark(restored.keyedState);
    backend.forEach(this.slices, (start) => this.open.add(start as number)); // decodes everything: the windows are all needed
    // A checkpoint of an older build kept these windows by key, as WindowOperator does: taken over.
    if (backend.hasState('windows')) {
      const byKey = backend.stateTable('windows', 'value');
      const base = backend.keyGroupRange.start;
      const old: [StateKey, number, Map<number, WindowContents>][] = [];
      backend.forEach(byKey, (key, keyGroup, value) => old.push([key, keyGroup - base, value as Map<number, WindowContents>]));
      for (const [key, g, windows] of old) {
        for (const c of windows.values()) {
          const entry = backend.entryOf(this.slices, c.s, g) ?? backend.insert(this.slices, c.s, g, new Map());
          (entry.value as WindowKeys).set(key, c);
        }
        backend.remove(byKey, key, g);
      }
      backend.forEach(this.slices, (start) => this.open.add(start as number));
    }
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
    const backend = this.keyedBackend;
    const t = this.slices;
    let entry: StateEntry | undefined = backend.entryOf(t, start, g);
    if (entry === undefined) {
      entry = backend.insert(t, start, g, new Map());
      this.open.add(start);
    } else entry = backend.writable(t, start, g, entry);
    const keys = entry.value as WindowKeys;
    let contents = keys.get(key);
    if (contents === undefined) keys.set(key, (contents = { s: start, e: start + this.size, n: 0, a: undefined, q: 0 }));
    this.ops.add(contents, value);
  }

  processWatermark(timestamp: number): void {
    if (timestamp <= this.currentWatermark) return;
    this.currentWatermark = timestamp;
    const due = [...this.open].filter((start) => start + this.size - 1 <= timestamp).sort((a, b) => a - b);
    for (const start of due) this.fire(start);
    this.ctx.elementTimestamp.value = Number.NaN;
    this.output.emitWatermark(timestamp);
  }

  /** Emits every key's result of the window at `start`, group by group, and drops the window. */
  private fire(start: number): void {
    this.open.delete(start);
    const backend = this.keyedBackend;
    const groups = this.slices.groups;
    const window = { start, end: start + this.size };
    this.ctx.elementTimestamp.value = window.end - 1;
    for (let g = 0; g < groups.length; g++) {
      const entry = groups[g]?.get(start);
      if (entry === undefined) continue;
      for (const [key, contents] of entry.value as WindowKeys) this.ops.fire(key, window, contents, this.currentWatermark, this.emit);
      backend.remove(this.slices, start, g);
    }
  }

  snapshotState() {
    return {
      keyedBackend: this.keyedBackend,
      keyedExtra: { keyGroupRange: this.ctx.keyGroupRange, kinds: {}, groups: [], watermark: this.currentWatermark },
    };
  }
}
