import type { TableMode } from './table-records.js';

/**
 * A table's rows as its transactions build them, applied in commit order: an append
 * transaction adds its records; an upsert one replaces the record of each key it holds, and the
 * rows of an upsert table are ordered by their latest write.
 */
export class TableContents<T = unknown> {
  private readonly appended: T[] = [];
  private readonly latest = new Map<unknown, T>();

  apply(mode: TableMode, rows: readonly unknown[]): void {
    if (mode === 'append') {
      for (const row of rows) this.appended.push(row as T);
      return;
    }
    for (const [key, value] of rows as [unknown, T][]) {
      this.latest.delete(key);
      this.latest.set(key, value);
    }
  }

  /** The appended rows, in order (not a copy: read only). */
  get appendedRows(): readonly T[] {
    return this.appended;
  }

  /** The latest record per key, in order of latest write (not a copy: read only). */
  get latestRows(): ReadonlyMap<unknown, T> {
    return this.latest;
  }

  get rowCount(): number {
    return this.appended.length + this.latest.size;
  }

  /** A new array: appended rows first, then the latest record per key. */
  rows(): T[] {
    return this.latest.size > 0 ? [...this.appended, ...this.latest.values()] : this.appended.slice();
  }

  /** The rows of one mode as a transaction holds them (upsert: [key, record] pairs), for a snapshot segment. */
  segmentRows(mode: TableMode): unknown[] {
    return mode === 'append' ? this.appended.slice() : [...this.latest];
  }
}
