// Small helpers shared by the public-API tests. They use only what a user of 'weir' has.
import assert from 'node:assert/strict';

/** A job name no other test in this process uses ('memory' storage is shared by every run). */
export function uniqueJobName(label: string): string {
  uniqueJobName.counter++;
  return `${label}-${process.pid}-${uniqueJobName.counter}`;
}
uniqueJobName.counter = 0;

/** Passes a value of the wrong type to a typed public function, as plain JavaScript could. */
export const bad = <T = never>(value: unknown): T => value as T;

interface ErrorShape {
  code?: unknown;
  message?: unknown;
  argument?: unknown;
  details?: { argument?: unknown };
}

/**
 * An assert.throws / assert.rejects validator: the error has `code` and its message names
 * `argument`; an INVALID_ARGUMENT error also names it in `.argument` (or `details.argument`).
 */
export function namesArgument(argument: string, code: 'INVALID_ARGUMENT' | 'INVALID_GRAPH' = 'INVALID_ARGUMENT') {
  return (error: unknown): true => {
    const e = (error ?? {}) as ErrorShape;
    assert.equal(e.code, code, `expected a ${code} error naming ${argument}, got ${String(e.code)}: ${String(e.message)}`);
    assert.ok(typeof e.message === 'string' && e.message.includes(argument), `the message ${JSON.stringify(e.message)} should name ${argument}`);
    if (code === 'INVALID_ARGUMENT') assert.equal(e.argument ?? e.details?.argument, argument);
    return true;
  };
}

/** Sorts a copy by each element's JSON, for comparing outputs as multisets. */
export function multiset<T>(values: readonly T[]): T[] {
  return [...values].sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** One turn of the event loop: the in-process runtime schedules its tasks on macrotasks. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Waits (on the event loop, never on a sleep) until `condition` holds. The bound is a safety
 * net against a hang, far above what a passing run needs.
 */
export async function waitUntil(condition: () => boolean, what: string, maxTurns = 20_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return;
    await nextTurn();
  }
  assert.fail(`timed out waiting until ${what}`);
}

/** Lets the runtime run for a number of event-loop turns (to show that something does NOT happen). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await nextTurn();
}

export { advanceByCheckpoints, advanceUntilSettled } from '../../support/clock-steps.js';
