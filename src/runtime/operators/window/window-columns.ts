import { WeirError } from '../../../errors/index.js';
import type { WindowFunctionSpec } from '../../../graph/windowing.js';
import type { StateKey } from '../../../state/keyed-state.js';
import { copyPlainData } from '../../../state/state-table.js';
import { userFunctionFailed } from '../user-function-error.js';

/**
 * One window's contents for the keys of one key group, as columns: slot i holds key `k[i]`, its
 * element count `n[i]` and its accumulator `a[i]`. The layout `window-columns` of aligned windows
 * before they kept key slots per group (GroupWindows); restores take it over.
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
