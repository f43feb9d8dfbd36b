import type { AggregateFunction } from '../../../graph/windowing.js';
import { userFunctionFailed } from '../user-function-error.js';
import type { FieldColumns } from './field-columns.js';
import type { GroupPanes } from './pane-groups.js';
import type { ColumnOps } from './window-columns.js';
import type { SlotWindow } from './window-groups.js';

/**
 * A window's results from its panes, slot by slot of one key group: the pane whose first record
 * came first gives the result's record (a whole window restored from another layout comes before
 * every pane). sum/min/max combine their numbers; other aggregates are merged with their own
 * `merge`, in the order the panes' first records came.
 */
export class PaneResults {
  /** The panes of one slot in the window: their indices (-1: the whole window) and creation numbers, sorted by it. */
  private readonly order: number[] = [];
  private readonly orderQ: number[] = [];

  constructor(
    private readonly uid: string,
    private readonly ops: ColumnOps,
    private readonly field: FieldColumns | undefined,
    private readonly merge: AggregateFunction<unknown, unknown, unknown>['merge'],
    private readonly emit: (value: unknown) => void,
  ) {}

  /**
   * Emits the result of each slot of `gp` with records in panes `j0` … `j1 - 1` or in `whole`.
   * `expiring`: the index of the pane no later window needs (-1: none); its accumulator and the
   * whole window's are handed to `merge` as they are. Must be called on a writable `gp`.
   */
  fire(gp: GroupPanes, j0: number, j1: number, whole: SlotWindow | undefined, expiring: number): void {
    const slots = gp.k.length;
    if (this.field !== undefined) {
      for (let i = 0; i < slots; i++) this.fireField(gp, i, j0, j1, whole, this.field);
    } else {
      for (let i = 0; i < slots; i++) this.fireMerged(gp, i, j0, j1, whole, expiring);
    }
  }

  private fireField(gp: GroupPanes, i: number, j0: number, j1: number, whole: SlotWindow | undefined, field: FieldColumns): void {
    let first: unknown;
    let firstQ = Infinity;
    let combined = 0;
    let any = false;
    if (whole !== undefined && i < whole.n.length && whole.n[i]! > 0) {
      first = whole.a[i];
      firstQ = -Infinity;
      combined = whole.v[i]!;
      any = true;
    }
    const p = gp.p;
    for (let j = j0; j < j1; j++) {
      const pane = p[j]!;
      if (i >= pane.n.length || pane.n[i] === 0) continue;
      const x = pane.v[i]!;
      combined = any ? field.of(combined, x) : x;
      any = true;
      if (pane.q[i]! < firstQ) {
        firstQ = pane.q[i]!;
        first = pane.a[i];
      }
    }
    if (!any) return;
    const out = { ...(first as Record<string, unknown>) };
    out[field.name] = combined;
    this.emit(out);
  }

  private fireMerged(gp: GroupPanes, i: number, j0: number, j1: number, whole: SlotWindow | undefined, expiring: number): void {
    const { order, orderQ } = this;
    let m = 0;
    if (whole !== undefined && i < whole.n.length && whole.n[i]! > 0) {
      order[0] = -1;
      orderQ[0] = -Infinity;
      m = 1;
    }
    const p = gp.p;
    for (let j = j0; j < j1; j++) {
      const pane = p[j]!;
      if (i >= pane.n.length || pane.n[i] === 0) continue;
      // Insertion by creation number: a handful of panes, mostly in order already.
      const q = pane.q[i]!;
      let at = m++;
      while (at > 0 && orderQ[at - 1]! > q) {
        order[at] = order[at - 1]!;
        orderQ[at] = orderQ[at - 1]!;
        at--;
      }
      order[at] = j;
      orderQ[at] = q;
    }
    if (m === 0) return;
    let acc = this.take(gp, i, order[0]!, whole, expiring);
    if (m > 1) {
      const merge = this.merge!;
      try {
        for (let x = 1; x < m; x++) acc = merge(acc, this.take(gp, i, order[x]!, whole, expiring));
      } catch (error) {
        throw userFunctionFailed(this.uid, 'aggregate merge', error);
      }
    }
    this.emit(this.ops.result(acc));
  }

  /**
   * Slot `i`'s accumulator in pane `j` (-1: the whole window) for user code: a copy where a later
   * window still reads it, since merge and result may change or keep what they are given.
   */
  private take(gp: GroupPanes, i: number, j: number, whole: SlotWindow | undefined, expiring: number): unknown {
    if (j === -1) return whole!.a[i];
    const acc = gp.p[j]!.a[i];
    return j === expiring ? acc : this.ops.copy(acc);
  }
}
