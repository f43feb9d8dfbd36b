import type { StateKey } from '../../../state/keyed-state.js';
import type { ColumnOps } from './window-columns.js';
import type { SlotIndex, SlotWindow } from './window-groups.js';

/**
 * The open panes of one key group, by key slot (as GroupWindows keeps aligned windows): slot i is
 * key `k[i]` in every pane of the group, so a record looks its key up once, a new pane is a few
 * arrays, and a window fires by walking the columns of its panes (no per-key registration or
 * lookup). Plain data, snapshotted as it is (layout `pane-groups`).
 */
export interface GroupPanes {
  /** slot → key; null: a free slot (its key has nothing in any open pane or window). */
  k: (StateKey | null)[];
  /** The field sum/min/max combine into `v` (`a` then holds first records), or null: `a` holds accumulators. */
  f: string | null;
  /** The open panes, by start (each spans the slide). */
  p: SlotPane[];
  /** Whole windows restored from a layout that kept windows, by start: merged first into their results. Usually empty. */
  w: SlotWindow[];
}

/** One pane of a key group: per slot, its record count, accumulator (or first record), combined field and creation number. */
export interface SlotPane {
  s: number;
  /** 0 (or past the end): the slot's key has nothing in this pane (and `a`, `v`, `q` hold nothing of it). */
  n: number[];
  a: unknown[];
  /** Empty without a field. */
  v: number[];
  /**
   * When the slot's first record of this pane came, among the operator's panes: a window's result
   * is its earliest pane's first record (as a window's first record is), and user merges go in this order.
   */
  q: number[];
}

/** The index in `gp.p` of the pane at `start`, or -1 (the latest pane first: most records go there). */
export function paneIndex(gp: GroupPanes, start: number): number {
  const p = gp.p;
  for (let j = p.length - 1; j >= 0; j--) if (p[j]!.s === start) return j;
  return -1;
}

/**
 * Opens the pane at `s` in `gp` (writable), in start order, with empty columns (a slot past their
 * end holds nothing: columns grow as their slots are written, by reachPane); returns its index.
 */
export function openPane(gp: GroupPanes, s: number): number {
  const pane: SlotPane = { s, n: [], a: [], v: [], q: [] };
  let j = gp.p.length;
  while (j > 0 && gp.p[j - 1]!.s > s) j--;
  gp.p.splice(j, 0, pane);
  return j;
}

/** Extends `pane`'s columns to hold slot `i` (filled, never holes: the snapshot codec refuses them). */
export function reachPane(pane: SlotPane, i: number, field: boolean): void {
  const { n, a, v, q } = pane;
  while (n.length <= i) {
    n.push(0);
    a.push(undefined);
    q.push(0);
    if (field) v.push(0);
  }
}

/** Copy-on-write of a group: its columns, and the accumulators a function may change in place (first records never change). */
export function copyGroupPanes(ops: ColumnOps) {
  return (value: unknown): GroupPanes => {
    const gp = value as GroupPanes;
    const field = gp.f !== null;
    const copyA = (a: unknown[]) => (field ? a.slice() : a.map((x) => (x === undefined ? x : ops.copy(x))));
    return {
      k: gp.k.slice(),
      f: gp.f,
      p: gp.p.map((pane) => ({ s: pane.s, n: pane.n.slice(), a: copyA(pane.a), v: pane.v.slice(), q: pane.q.slice() })),
      w: gp.w.map((win) => ({ s: win.s, e: win.e, n: win.n.slice(), a: copyA(win.a), v: win.v.slice() })),
    };
  };
}

/**
 * Drops the panes and whole windows of `gp` (writable) that start at or before `windowStart` (no
 * later window needs them), then frees the slots of keys that had nothing in what was dropped and
 * have nothing left: a key that stops coming keeps its slot one more slide, so keys that come in
 * every pane keep theirs. Returns whether anything is left.
 */
export function dropThrough(gp: GroupPanes, index: SlotIndex, windowStart: number): boolean {
  let dropped = 0;
  while (dropped < gp.p.length && gp.p[dropped]!.s <= windowStart) dropped++;
  const gone: { n: number[] }[] = gp.p.splice(0, dropped);
  if (gp.w.length > 0) {
    const kept = gp.w.filter((win) => win.s > windowStart);
    for (const win of gp.w) if (win.s <= windowStart) gone.push(win);
    gp.w = kept;
  }
  if (gp.p.length === 0 && gp.w.length === 0) return false;
  const { k } = gp;
  const open: { n: number[] }[] = [...gp.p, ...gp.w];
  next: for (let i = 0; i < k.length; i++) {
    if (k[i] === null) continue;
    for (let j = 0; j < gone.length; j++) if (i < gone[j]!.n.length && gone[j]!.n[i]! > 0) continue next;
    for (let j = 0; j < open.length; j++) if (i < open[j]!.n.length && open[j]!.n[i]! > 0) continue next;
    index.release(k, i);
  }
  return true;
}
