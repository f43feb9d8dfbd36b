import { WeirError } from '../../../errors/index.js';
import type { WindowFunctionSpec } from '../../../graph/windowing.js';
import type { StateKey } from '../../../state/keyed-state.js';
import { copyPlainData } from '../../../state/state-table.js';
import { userFunctionFailed } from '../user-function-error.js';
import type { WindowContents } from './window-contents.js';

/**
 * One window's contents for the keys of one key group, as columns: slot i holds key `k[i]`, its
 * element count `n[i]` and its accumulator `a[i]`. Plain data (snapshotted as it is: a few arrays
 * per window and key group encode several times faster than an object per key), and no object
 * per key and window but the accumulator itself, so fewer survive to the old generation.
 */
export interface WindowColumns {
  /** start and end (exclusive) of the window. */
  s: number;
  e: number;
  k: StateKey[];
  n: number[];
  a: unknown[];
}

/** What the aligned operator does with a window function's accumulators, held in columns. */
export interface ColumnOps {
  /** Adds `value` to slot `i` of `a`; `first`: the slot holds nothing yet. */
  add(a: unknown[], i: number, first: boolean, value: unknown): void;
  /** What a window with this accumulator emits. */
  result(acc: unknown): unknown;
  /** A copy of an accumulator that later `add`s cannot change (copy-on-write, while a snapshot reads the original). */
  copy(acc: unknown): unknown;
}

/** The column ops of reduce and aggregate (the functions aligned windows take; process keeps every element elsewhere). */
export function windowColumnOps(uid: string, spec: WindowFunctionSpec): ColumnOps {
  switch (spec.kind) {
    case 'reduce': {
      const { fn } = spec;
      return {
        add: (a, i, first, value) => {
          if (first) a[i] = value;
          else {
            try {
              a[i] = fn(a[i], value);
            } catch (error) {
              throw userFunctionFailed(uid, 'reduce', error);
            }
          }
        },
        result: (acc) => acc,
        copy: copyPlainData,
      };
    }
    case 'aggregate': {
      const { fn } = spec;
      return {
        add: (a, i, first, value) => {
          // Inline try/catch: this runs for every record.
          try {
            a[i] = fn.add(first ? fn.create() : a[i], value);
          } catch (error) {
            throw userFunctionFailed(uid, 'aggregate', error);
          }
        },
        result: (acc) => {
          try {
            return fn.result(acc);
          } catch (error) {
            throw userFunctionFailed(uid, 'aggregate result', error);
          }
        },
        copy: copyPlainData,
      };
    }
    case 'process':
      throw new WeirError('INVALID_GRAPH', `operator '${uid}': process windows keep their elements, not an accumulator in columns (isAlignedWindow)`, { domain: 'internal', retryable: false });
  }
}

export const emptyColumns = (s: number, e: number): WindowColumns => ({ s, e, k: [], n: [], a: [] });

/** Copy-on-write of one window's columns: the arrays, and every accumulator (which `add` may change in place). */
export function copyColumns(ops: ColumnOps) {
  return (value: unknown): WindowColumns => {
    const c = value as WindowColumns;
    const a = new Array<unknown>(c.a.length);
    for (let i = 0; i < a.length; i++) a[i] = ops.copy(c.a[i]);
    return { s: c.s, e: c.e, k: c.k.slice(), n: c.n.slice(), a };
  };
}

/** The slot of every key of `c` (a restored or copied window's index). */
export function indexOf(c: WindowColumns): Map<StateKey, number> {
  const index = new Map<StateKey, number>();
  for (let i = 0; i < c.k.length; i++) index.set(c.k[i]!, i);
  return index;
}

/** Appends one key's contents (of an older layout: an object per key and window) as a slot of `c`. */
export function appendContents(c: WindowColumns, key: StateKey, contents: WindowContents): void {
  c.k.push(key);
  c.n.push(contents.n);
  c.a.push(contents.a);
}
