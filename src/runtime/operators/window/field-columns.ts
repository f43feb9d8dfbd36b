import type { FieldCombine } from '../../../graph/windowing.js';
import type { ColumnOps } from './window-columns.js';

const COMBINE = { sum: 0, min: 1, max: 2 } as const;

/**
 * sum/min/max(field) in columns: per slot, the first record (never changed) in `a` and the field
 * combined over the slot's records in `v`, a number (no object written per record). The
 * accumulator this stands for (fieldAccumulator's) is the first record with `v` in its field.
 * A plain record is kept as it came, not copied (one object per key and window less, ≈ 5 % of what
 * the tumbling bench allocated): nothing here changes it, and a record handed downstream is not
 * its sender's to change any more (a memory channel passes the very object, so a change after
 * the hand-over would show downstream anyway). Any other object is copied into a plain one, as
 * before, so state holds plain data.
 */
export class FieldColumns {
  readonly name: string;
  private readonly combine: number;

  /** `ops`: the function's own column ops, which raise the field's error for a record whose field is not a number. */
  constructor(field: FieldCombine, private readonly ops: ColumnOps) {
    this.name = field.name;
    this.combine = COMBINE[field.combine];
  }

  /** Adds `value` to slot `i`: the record itself if the slot is empty (`n[i]` 0), else its field into `v[i]`; counts it in `n`. */
  add(n: number[], a: unknown[], v: number[], i: number, value: unknown): void {
    const x = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[this.name] : undefined;
    if (typeof x !== 'number' || Number.isNaN(x)) return this.ops.add(a, i, n[i] === 0, value); // throws, changing nothing
    if (n[i]++ === 0) {
      a[i] = Object.getPrototypeOf(value) === Object.prototype ? value : { ...(value as object) };
      v[i] = x;
    } else v[i] = this.of(v[i]!, x);
  }

  /** Two combined values combined. */
  of(x: number, y: number): number {
    return this.combine === 0 ? x + y : this.combine === 1 ? Math.min(x, y) : Math.max(x, y);
  }

  /** The result (and accumulator) of slot `i`: a new record. */
  result(a: readonly unknown[], v: readonly number[], i: number): Record<string, unknown> {
    const out = { ...(a[i] as Record<string, unknown>) };
    out[this.name] = v[i];
    return out;
  }

  /** The combined value in accumulator `acc` (of fieldAccumulator: restored from a layout that kept accumulators). */
  valueOf(acc: unknown): number {
    return (acc as Record<string, number>)[this.name]!;
  }
}
