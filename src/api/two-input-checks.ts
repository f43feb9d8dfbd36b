import { describeValue, InvalidArgumentError, requireFunction } from '../errors/index.js';
import type { OperatorSpec, StreamEdge } from '../graph/job-graph.js';

/** Adds an operator fed by `inputs` (a two-input operator's: input 1's edges, then input 2's) and returns its stream. */
export type AddOperator<R> = (spec: OperatorSpec, inputs: readonly StreamEdge[], name: string) => R;

/** Refuses a function object without the methods a two-input operator calls, naming the first one missing. */
export function requireMethods(argument: string, fn: unknown, required: readonly string[], optional: readonly string[] = []): void {
  if (typeof fn !== 'object' || fn === null) {
    throw new InvalidArgumentError(argument, `expected an object with ${required.join(' and ')} methods, got ${describeValue(fn)}`);
  }
  const o = fn as Record<string, unknown>;
  for (const m of required) requireFunction(`${argument}.${m}`, o[m]);
  for (const m of optional) if (o[m] !== undefined) requireFunction(`${argument}.${m}`, o[m]);
}

/** Must be called with each stream argument: a stream of another job cannot feed this one. */
export function requireSameJob(argument: string, other: unknown, isStream: boolean, sameGraph: boolean, expected: string): void {
  if (!isStream) throw new InvalidArgumentError(argument, `expected ${expected}, got ${describeValue(other)}`);
  if (!sameGraph) throw new InvalidArgumentError(argument, 'belongs to another job');
}
