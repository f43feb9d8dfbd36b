import { describeValue, InvalidArgumentError, requireString } from '../errors/index.js';
import type { ReduceFunction } from '../graph/user-functions.js';
import type { AggregateFunction, FieldCombine } from '../graph/windowing.js';

export type FieldAggregation = 'sum' | 'min' | 'max';

const combiners: Record<FieldAggregation, (a: number, b: number) => number> = { sum: (a, b) => a + b, min: Math.min, max: Math.max };

/**
 * The reduce function behind sum/min/max(field), as in Flink: the result is the first record
 * with `field` replaced by the aggregate. A record whose field is not a number (or is NaN) fails
 * the job with a message naming it: a NaN must never hide in a sum.
 */
export function fieldReducer(method: FieldAggregation, field: unknown): {
  fn: ReduceFunction<unknown>;
  check: (value: unknown) => unknown;
  /** The same step on an accumulator its owner may change: `field` updated in place, no new record. */
  update: (acc: unknown, value: unknown) => void;
  label: string;
} {
  const name = requireString(`${method}(field)`, field);
  const combine = combiners[method];
  const read = (record: unknown, which: string): number => {
    const value = typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[name] : undefined;
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new InvalidArgumentError(`${method}('${name}')`, `the ${which} record's field '${name}' is ${describeValue(value)}, not a number`);
    }
    return value;
  };
  // The accumulator was checked when it was the first record: only the incoming one needs checking.
  const fn: ReduceFunction<unknown> = (acc, value) => {
    const next: Record<string, unknown> = { ...(acc as object) };
    next[name] = combine(next[name] as number, read(value, 'incoming'));
    return next;
  };
  const update = (acc: unknown, value: unknown) => {
    (acc as Record<string, number>)[name] = combine((acc as Record<string, number>)[name]!, read(value, 'incoming'));
  };
  const label = `${method[0]!.toUpperCase()}${method.slice(1)}(${name})`;
  return { fn, check: (v) => (read(v, 'first'), v), update, label };
}

/**
 * The same aggregation for a window, which owns its accumulator: a copy of the first record,
 * updated in place (no object per record); what the window emits is a copy again, since a
 * window kept for allowed lateness goes on updating it.
 */
export function fieldAccumulator(method: FieldAggregation, field: unknown): {
  fn: AggregateFunction<unknown, Record<string, number> | undefined, unknown>;
  /** The field and its combination, for operators that keep the field's values as numbers. */
  field: FieldCombine;
  label: string;
} {
  const { check, label } = fieldReducer(method, field);
  const name = field as string;
  const combine = combiners[method];
  return {
    label,
    field: { name, combine: method },
    fn: {
      create: () => undefined,
      add: (acc, value) => {
        if (acc === undefined) return { ...(check(value) as Record<string, number>) };
        acc[name] = combine(acc[name]!, (check(value) as Record<string, number>)[name]!);
        return acc;
      },
      merge: (a, b) => {
        if (a === undefined) return b;
        if (b !== undefined) a[name] = combine(a[name]!, b[name]!);
        return a;
      },
      result: (acc) => ({ ...acc }),
    },
  };
}
