import type { DeadLetter } from '../../graph/user-functions.js';

/** What goes to a dead-letter side output: the record as it came, and why it was refused. Plain data, so it crosses workers and tables. */
export function deadLetterOf(operatorUid: string, value: unknown, error: unknown): DeadLetter<unknown> {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { value, error: message, operator: operatorUid };
}
