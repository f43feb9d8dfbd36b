import type { HeapKeyedStateBackend } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { StateTable } from '../../../state/state-table.js';
import type { FieldColumns } from './field-columns.js';
import type { GroupPanes } from './pane-groups.js';
import type { WindowContents } from './window-contents.js';
import { LAYOUT, takeOver, takeOverWholeWindows } from './window-layouts.js';

/**
 * A key's panes as columns, in creation order: the layout `key-panes` of paned windows before
 * they kept key slots per group (GroupPanes); restores take it over. Pane i starts at `s[i]`,
 * holds `n[i]` records, accumulator `a[i]` (with a field and `v`: first record `a[i]`, combined
 * field `v[i]`) and was the `q[i]`-th window or pane its operator created.
 */
export interface KeyPanes {
  s: number[];
  n: number[];
  q: number[];
  a: unknown[];
  /** Missing in checkpoints of builds before sum/min/max kept their field apart (their `a` held accumulators). */
  v?: number[];
}

/** Where restored contents go: one key's pane (`v`: its combined field, if the layout kept it apart) or whole window. */
export interface PaneSink {
  pane(key: StateKey, g: number, start: number, n: number, q: number, a: unknown, v: number | undefined): void;
  whole(key: StateKey, g: number, contents: WindowContents): void;
}

/**
 * Takes every older layout of paned and whole windows over into `into` (key groups relative):
 * `key-panes` and `window-panes` as panes, the whole-window layouts as whole windows (merged
 * first into their results). `field`: the operator's, whose `v` a `key-panes` pane keeps apart.
 */
export function takeOverOlderPanes(backend: HeapKeyedStateBackend, field: FieldColumns | undefined, into: PaneSink): void {
  takeOver(backend, LAYOUT.keyPanes, (key, g, value) => {
    const p = value as KeyPanes;
    for (let i = 0; i < p.s.length; i++) into.pane(key, g, p.s[i]!, p.n[i]!, p.q[i]!, p.a[i], field === undefined ? undefined : p.v?.[i]);
  });
  takeOver(backend, LAYOUT.paneMaps, (key, g, value) => {
    for (const c of (value as Map<number, WindowContents>).values()) into.pane(key, g, c.s, c.n, c.q ?? 0, c.a, undefined);
  });
  takeOverWholeWindows(backend, [LAYOUT.byKey, LAYOUT.slices, LAYOUT.columns, LAYOUT.groups], (key, g, c) => into.whole(key, g, c));
}

/**
 * Group columns restored from an operator with another function (accumulators where this one
 * keeps a field, or the reverse) in `own`'s form: each slot's accumulator (the first record with
 * the field combined) is what both forms stand for. `writable` gives the group's value safe to change.
 */
export function adoptFunction(table: StateTable, field: FieldColumns | undefined, writable: (g: number) => GroupPanes): void {
  const own = field?.name ?? null;
  const foreign: number[] = [];
  table.groups.forEach((map, g) => {
    const gp = map?.get(0)?.value as GroupPanes | undefined;
    if (gp !== undefined && gp.f !== own) foreign.push(g);
  });
  for (const g of foreign) {
    const gp = writable(g);
    for (const cols of [...gp.p, ...gp.w]) {
      if (field !== undefined) while (cols.v.length < cols.n.length) cols.v.push(0);
      for (let i = 0; i < cols.n.length; i++) {
        if (cols.n[i] === 0) continue;
        let acc = cols.a[i];
        if (gp.f !== null) {
          acc = { ...(acc as Record<string, unknown>) };
          (acc as Record<string, unknown>)[gp.f] = cols.v[i];
        }
        cols.a[i] = acc;
        if (field !== undefined) cols.v[i] = field.valueOf(acc);
      }
      if (field === undefined) cols.v.length = 0;
    }
    gp.f = own;
  }
}
