import { WeirError } from '../../../errors/index.js';
import type { TimeWindow, WindowFunctionSpec } from '../../../graph/windowing.js';
import type { StateKey } from '../../../state/keyed-state.js';
import { copyPlainData } from '../../../state/state-table.js';
import { userFunctionFailed } from '../user-function-error.js';

/** Reduce and aggregate accumulators may be changed in place by user functions: a deep copy. */
const copyAccumulator = (c: WindowContents): WindowContents => ({ s: c.s, e: c.e, n: c.n, a: copyPlainData(c.a), q: c.q });

/**
 * What a window holds between firings, as one shape for every window function: reduce keeps
 * the running value, aggregate the user's accumulator, process every element. Plain data, so
 * it is snapshotted with the keyed state.
 */
export interface WindowContents {
  /** start and end (exclusive) of the window; a global window has -Infinity..Infinity. */
  s: number;
  e: number;
  /** Elements added so far (the count trigger reads it). */
  n: number;
  a: unknown;
  /**
   * When the window was created, among the operator's windows: a restore registers the windows'
   * timers again in this order, so timers of one time fire as they would have without the restore.
   */
  q: number;
}

export interface WindowContentsOps {
  add(contents: WindowContents, value: unknown): void;
  /** Folds `from` into `into` (session windows merging). */
  merge(into: WindowContents, from: WindowContents): void;
  /** Emits the window's result through `emit`. */
  fire(key: StateKey, window: TimeWindow, contents: WindowContents, watermark: number, emit: (value: unknown) => void): void;
  /** A copy that later `add`s cannot change (copy-on-write, while a snapshot still reads the original). */
  copy(contents: WindowContents): WindowContents;
}

export function windowContentsOps(uid: string, spec: WindowFunctionSpec): WindowContentsOps {
  const call = <R>(what: string, f: () => R): R => {
    try {
      return f();
    } catch (error) {
      throw userFunctionFailed(uid, what, error);
    }
  };
  switch (spec.kind) {
    case 'reduce': {
      const { fn } = spec;
      return {
        add: (c, value) => {
          if (c.n === 0) c.a = value;
          else {
            try {
              c.a = fn(c.a, value);
            } catch (error) {
              throw userFunctionFailed(uid, 'reduce', error);
            }
          }
          c.n++;
        },
        merge: (into, from) => {
          if (from.n === 0) return;
          into.a = into.n === 0 ? from.a : call('reduce', () => fn(into.a, from.a));
          into.n += from.n;
        },
        fire: (_key, _window, c, _wm, emit) => {
          if (c.n > 0) emit(c.a);
        },
        copy: copyAccumulator,
      };
    }
    case 'aggregate': {
      const { fn } = spec;
      return {
        add: (c, value) => {
          // Inline try/catch, not call(): this runs for every record.
          try {
            if (c.n === 0) c.a = fn.create();
            c.a = fn.add(c.a, value);
          } catch (error) {
            throw userFunctionFailed(uid, 'aggregate', error);
          }
          c.n++;
        },
        merge: (into, from) => {
          if (from.n === 0) return;
          if (into.n === 0) into.a = from.a;
          else {
            const merge = fn.merge;
            if (merge === undefined) throw new WeirError('INVALID_GRAPH', `operator '${uid}': merging windows need aggregate({ …, merge })`, { domain: 'user', retryable: false });
            into.a = call('aggregate merge', () => merge(into.a, from.a));
          }
          into.n += from.n;
        },
        fire: (_key, _window, c, _wm, emit) => {
          if (c.n > 0) emit(call('aggregate result', () => fn.result(c.a)));
        },
        copy: copyAccumulator,
      };
    }
    case 'process': {
      const { fn } = spec;
      return {
        add: (c, value) => {
          if (c.n === 0) c.a = [];
          (c.a as unknown[]).push(value);
          c.n++;
        },
        merge: (into, from) => {
          if (from.n === 0) return;
          into.a = into.n === 0 ? from.a : [...(into.a as unknown[]), ...(from.a as unknown[])];
          into.n += from.n;
        },
        fire: (key, window, c, watermark, emit) => {
          if (c.n === 0) return;
          // A copy: the function may keep or change the array, the window's contents stay as they were (allowed lateness fires again).
          call('window process', () => fn(key, [...(c.a as unknown[])], { window, currentWatermark: watermark, emit }));
        },
        // The elements themselves are never changed, only the list grows.
        copy: (c) => ({ s: c.s, e: c.e, n: c.n, a: c.n === 0 ? c.a : (c.a as unknown[]).slice(), q: c.q }),
      };
    }
  }
}
