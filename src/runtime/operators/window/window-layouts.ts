import type { HeapKeyedStateBackend } from '../../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../../state/keyed-state.js';
import type { WindowColumns } from './window-columns.js';
import type { WindowContents } from './window-contents.js';
import { accumulatorAt, type GroupWindows } from './window-groups.js';

/**
 * The layouts window state was checkpointed in, by state name. A restore takes an older one over
 * into the operator's own (each operator says which it reads); the tests restore every one.
 *   windows         per key: window start → WindowContents (WindowOperator; aligned windows before they kept them by window)
 *   window-slices   per key group: window start → key → WindowContents (aligned windows before columns)
 *   window-columns  per key group: window start → WindowColumns (aligned windows before key slots)
 *   window-groups   per key group: one GroupWindows, its windows as columns by key slot (AlignedWindowOperator)
 *   window-panes    per key: pane start → WindowContents (paned windows before KeyPanes)
 *   key-panes       per key: KeyPanes (paned windows before key slots)
 *   pane-groups     per key group: one GroupPanes, its panes as columns by key slot (PanedWindowOperator)
 */
export const LAYOUT = {
  byKey: 'windows',
  slices: 'window-slices',
  columns: 'window-columns',
  groups: 'window-groups',
  paneMaps: 'window-panes',
  keyPanes: 'key-panes',
  paneGroups: 'pane-groups',
} as const;

/**
 * Hands every entry of state `name` (if restored) to `visit` with its key group relative to the
 * backend's range, then removes it: what the operator wrote elsewhere is all that is left of it.
 */
export function takeOver(backend: HeapKeyedStateBackend, name: string, visit: (key: StateKey, g: number, value: unknown) => void): void {
  if (!backend.hasState(name)) return;
  const table = backend.stateTable(name, 'value');
  const old: [StateKey, number, unknown][] = [];
  backend.forEach(table, (key, keyGroup, value) => old.push([key, keyGroup - backend.keyGroupRange.start, value]));
  for (const [key, g, value] of old) {
    visit(key, g, value);
    backend.remove(table, key, g);
  }
}

/**
 * Every key's whole window in a checkpoint of these layouts (of `windows`, `window-slices`,
 * `window-columns` and `window-groups`; a column's creation order is unknown: 0).
 */
export function takeOverWholeWindows(backend: HeapKeyedStateBackend, layouts: readonly string[], visit: (key: StateKey, g: number, contents: WindowContents) => void): void {
  if (layouts.includes(LAYOUT.byKey)) {
    takeOver(backend, LAYOUT.byKey, (key, g, windows) => {
      for (const c of (windows as Map<number, WindowContents>).values()) visit(key, g, c);
    });
  }
  if (layouts.includes(LAYOUT.slices)) {
    takeOver(backend, LAYOUT.slices, (_start, g, keys) => {
      for (const [key, c] of keys as Map<StateKey, WindowContents>) visit(key, g, c);
    });
  }
  if (layouts.includes(LAYOUT.columns)) {
    takeOver(backend, LAYOUT.columns, (_start, g, value) => {
      const c = value as WindowColumns;
      for (let i = 0; i < c.k.length; i++) visit(c.k[i]!, g, { s: c.s, e: c.e, n: c.n[i]!, a: c.a[i], q: 0 });
    });
  }
  if (layouts.includes(LAYOUT.groups)) {
    takeOver(backend, LAYOUT.groups, (_group, g, value) => {
      const gw = value as GroupWindows;
      for (const win of gw.w) {
        for (let i = 0; i < win.n.length; i++) if (win.n[i]! > 0) visit(gw.k[i]!, g, { s: win.s, e: win.e, n: win.n[i]!, a: accumulatorAt(gw, win, i), q: 0 });
      }
    });
  }
}
