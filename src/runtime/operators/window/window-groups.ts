import type { HeapKeyedStateBackend } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { StateEntry, StateTable } from '../../../state/state-table.js';
import type { ColumnOps } from './window-columns.js';

/** The state key of a key group's one entry (the group is the entry's place, the key names nothing). */
export const GROUP = 0;

/**
 * The open aligned windows of one key group, by key slot: slot i is key `k[i]` in every window of
 * the group, so a key is looked up once per record whatever window it goes to, and a new window
 * is a few arrays, not a key index grown from empty (a Map insert cost ~170 ns against ~20 ns for a
 * lookup). Plain data, snapshotted as it is.
 */
export interface GroupWindows {
  /** slot → key; null: a free slot (its key has nothing in any open window). */
  k: (StateKey | null)[];
  /** The field sum/min/max combine into `v` (each window's `a` then holds first records), or null: `a` holds accumulators. */
  f: string | null;
  /** The open windows, by start. */
  w: SlotWindow[];
}

/** One window of a key group: per slot, its record count, accumulator (or first record) and, with a field, the combined value. */
export interface SlotWindow {
  /** start and end (exclusive). */
  s: number;
  e: number;
  /** 0: the slot's key has nothing in this window (and `a`, `v` hold nothing of it). */
  n: number[];
  a: unknown[];
  /** Empty without a field. */
  v: number[];
}

/**
 * The slots of small non-negative integer keys, shared by every group of one operator (a key is in
 * one group only): an array read instead of a Map lookup per record (≈ 20 ns against ≈ 2). Grows
 * with the largest such key seen, up to SMALL_KEY_LIMIT (4 MB); larger keys go to the Maps.
 */
export class SmallKeySlots {
  /** slot + 1 by key; 0: the key has no slot. */
  private slots = new Int32Array(0);

  /** The slot of small key `key`, or -1. */
  get(key: number): number {
    return key < this.slots.length ? this.slots[key]! - 1 : -1;
  }

  set(key: number, slot: number): void {
    if (key >= this.slots.length) {
      let size = Math.max(1024, this.slots.length);
      while (size <= key) size *= 2;
      const grown = new Int32Array(Math.min(size, SMALL_KEY_LIMIT));
      grown.set(this.slots);
      this.slots = grown;
    }
    this.slots[key] = slot + 1;
  }

  delete(key: number): void {
    if (key < this.slots.length) this.slots[key] = 0;
  }
}

/** Keys below this (integers ≥ 0) find their slot in SmallKeySlots. */
export const SMALL_KEY_LIMIT = 1 << 20;

const isSmallKey = (key: StateKey): key is number => typeof key === 'number' && (key | 0) === key && key >= 0 && key < SMALL_KEY_LIMIT;

/**
 * The key → slot index of a group and its free slots: the operator's, never snapshotted, rebuilt on
 * restore, handed to copy-on-write copies. Small integer keys are kept in the operator's
 * SmallKeySlots instead of the group's Map; a group dropped must `releaseAll` them.
 */
export class SlotIndex {
  private readonly slots = new Map<StateKey, number>();
  private readonly free: number[] = [];

  /** Without `small` (an operator that drops groups without `releaseAll`), every key goes to the Map. */
  constructor(private readonly small?: SmallKeySlots) {}

  static of(gw: { readonly k: readonly (StateKey | null)[] }, small?: SmallKeySlots): SlotIndex {
    const index = new SlotIndex(small);
    for (let i = 0; i < gw.k.length; i++) {
      const key = gw.k[i]!;
      if (key === null) index.free.push(i);
      else if (small !== undefined && isSmallKey(key)) small.set(key, i);
      else index.slots.set(key, i);
    }
    return index;
  }

  /** The slot of `key` in `gw` (writable), taking a free one or a new one at the end. */
  slotOf(gw: { k: (StateKey | null)[] }, key: StateKey): number {
    const small = this.small;
    if (small !== undefined && isSmallKey(key)) {
      const slot = small.get(key);
      if (slot >= 0) return slot;
      const taken = this.take(gw, key);
      small.set(key, taken);
      return taken;
    }
    const i = this.slots.get(key);
    if (i !== undefined) return i;
    const taken = this.take(gw, key);
    this.slots.set(key, taken);
    return taken;
  }

  private take(gw: { k: (StateKey | null)[] }, key: StateKey): number {
    const i = this.free.length > 0 ? this.free.pop()! : gw.k.length;
    if (i === gw.k.length) gw.k.push(key);
    else gw.k[i] = key;
    return i;
  }

  private forget(key: StateKey): void {
    if (this.small !== undefined && isSmallKey(key)) this.small.delete(key);
    else this.slots.delete(key);
  }

  /**
   * Frees the slots of keys that had nothing in `fired` (just dropped from `gw`, writable) and
   * have nothing in any open window: a key that stops coming keeps its slot for one more window,
   * so keys that come in every window keep theirs (no delete and insert per window).
   */
  releaseIdle(gw: GroupWindows, fired: SlotWindow): void {
    const { k, w } = gw;
    next: for (let i = 0; i < k.length; i++) {
      if (k[i] === null || (i < fired.n.length && fired.n[i]! > 0)) continue;
      for (let j = 0; j < w.length; j++) if (i < w[j]!.n.length && w[j]!.n[i]! > 0) continue next;
      this.release(k, i);
    }
  }

  /** Frees slot `i` of directory `k` (writable): its key has nothing in any open window or pane. */
  release(k: (StateKey | null)[], i: number): void {
    this.forget(k[i]!);
    k[i] = null;
    this.free.push(i);
  }

  /** The group `gw` is dropped: its keys' slots go (the small keys' live in the operator's SmallKeySlots). */
  releaseAll(gw: { readonly k: readonly (StateKey | null)[] }): void {
    for (const key of gw.k) if (key !== null) this.forget(key);
  }
}

/** The index in `gw.w` of the window at `start`, or -1 (the latest window first: most records go there). */
export function windowIndex(gw: GroupWindows, start: number): number {
  const w = gw.w;
  for (let j = w.length - 1; j >= 0; j--) if (w[j]!.s === start) return j;
  return -1;
}

/**
 * Opens the window [s, e) in `gw` (writable), in start order, with a slot for each of its keys:
 * in `spare`'s columns, emptied, if given (a fired window no snapshot shares: see WindowSpares).
 */
export function openWindow(gw: GroupWindows, s: number, e: number, spare?: SlotWindow): SlotWindow {
  const field = gw.f !== null;
  const win: SlotWindow = spare === undefined ? { s, e, n: [], a: [], v: [] } : emptied(spare, s, e, gw.k.length, field);
  reach(win, gw.k.length - 1, field);
  let j = gw.w.length;
  while (j > 0 && gw.w[j - 1]!.s > s) j--;
  gw.w.splice(j, 0, win);
  return win;
}

/** `win` as window [s, e) with `slots` empty slots, its columns' arrays kept. */
function emptied(win: SlotWindow, s: number, e: number, slots: number, field: boolean): SlotWindow {
  const { n, a, v } = win;
  if (n.length > slots) {
    n.length = slots;
    a.length = slots;
  }
  n.fill(0);
  a.fill(undefined);
  if (!field) v.length = 0;
  else {
    if (v.length > slots) v.length = slots;
    v.fill(0);
  }
  win.s = s;
  win.e = e;
  return win;
}

/**
 * Windows fired from writable groups, a few per group, whose column arrays the operator fills
 * again for the next windows it opens in that group (same keys, so the columns rarely grow: a new
 * window's columns grown slot by slot were ≈ 6 bytes a record in the tumbling bench). A few: a
 * periodic watermark lets several windows open before it fires the oldest. Must hold only windows
 * of a writable group (copy-on-write done in this version): a snapshot still being encoded holds
 * the group's older copy, never these arrays.
 */
export class WindowSpares {
  private readonly spares: SlotWindow[][] = [];

  /** `win` was dropped from group `g` (writable) and read for the last time. */
  keep(g: number, win: SlotWindow): void {
    const kept = (this.spares[g] ??= []);
    if (kept.length >= SPARES_PER_GROUP) return;
    win.a.fill(undefined); // its first records or accumulators may go now, not when the columns are filled again
    kept.push(win);
  }

  take(g: number): SlotWindow | undefined {
    return this.spares[g]?.pop();
  }
}

const SPARES_PER_GROUP = 4;

/** Extends `win`'s columns to hold slot `i` (filled, never holes: the snapshot codec refuses them). */
export function reach(win: SlotWindow, i: number, field: boolean): void {
  const { n, a, v } = win;
  while (n.length <= i) {
    n.push(0);
    a.push(undefined);
    if (field) v.push(0);
  }
}

/** Copy-on-write of a group: its columns, and the accumulators a function may change in place (first records never change). */
export function copyGroup(ops: ColumnOps) {
  return (value: unknown): GroupWindows => {
    const gw = value as GroupWindows;
    const field = gw.f !== null;
    return {
      k: gw.k.slice(),
      f: gw.f,
      w: gw.w.map((win) => ({ s: win.s, e: win.e, n: win.n.slice(), a: field ? win.a.slice() : win.a.map((x) => ops.copy(x)), v: win.v.slice() })),
    };
  };
}

/** What slot `i` of `win` holds as a whole-window accumulator (with a field: its first record with the field combined). */
export function accumulatorAt(gw: GroupWindows, win: SlotWindow, i: number): unknown {
  if (gw.f === null) return win.a[i];
  const acc = { ...(win.a[i] as Record<string, unknown>) };
  acc[gw.f] = win.v[i];
  return acc;
}

/**
 * Group `g`'s one entry (GROUP) in `table`, created as `empty()` if missing, cached in `entries`,
 * safe to change (copy-on-write: the copy takes the group's SlotIndex, the entry's hint, over).
 */
export function writableGroupEntry(
  backend: HeapKeyedStateBackend, table: StateTable, entries: (StateEntry | undefined)[], g: number,
  smallKeys: SmallKeySlots, empty: () => { k: (StateKey | null)[] },
): StateEntry {
  let entry = entries[g];
  if (entry === undefined) {
    entry = backend.entryOf(table, GROUP, g);
    if (entry === undefined) {
      entry = backend.insert(table, GROUP, g, empty());
      entry.hint = new SlotIndex(smallKeys);
    }
    entry.hint ??= SlotIndex.of(entry.value as { k: (StateKey | null)[] }, smallKeys);
    entries[g] = entry;
  }
  if (entry.v !== backend.version) {
    const writable = backend.writable(table, GROUP, g, entry);
    if (writable !== entry) {
      writable.hint = entry.hint;
      entries[g] = entry = writable;
    }
  }
  return entry;
}
