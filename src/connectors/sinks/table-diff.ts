import { encodeValue } from '../../state/value-codec.js';
import type { TableContents } from './table-contents.js';

/**
 * What changed from one reading of a table to the next, when a watcher had to read it whole
 * again: the rows added or replaced, or `reset` when rows it had shown are gone (a fresh start of
 * the job cleared the table). Rows are compared by their stored encoding.
 */
export function diffContents<T>(before: TableContents<T>, after: TableContents<T>): { changes: T[]; reset: boolean } {
  const changes: T[] = [];
  const seen = new Map<string, number>();
  for (const row of before.appendedRows) {
    const id = identity(row);
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  for (const row of after.appendedRows) {
    const id = identity(row);
    const left = seen.get(id) ?? 0;
    if (left > 0) seen.set(id, left - 1);
    else changes.push(row);
  }
  let reset = [...seen.values()].some((left) => left > 0);
  for (const [key, row] of after.latestRows) {
    const old = before.latestRows.get(key);
    if (old === undefined && !before.latestRows.has(key)) changes.push(row);
    else if (identity(old) !== identity(row)) changes.push(row);
  }
  for (const key of before.latestRows.keys()) if (!after.latestRows.has(key)) reset = true;
  return { changes, reset };
}

function identity(value: unknown): string {
  const bytes = encodeValue(value);
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return text;
}
