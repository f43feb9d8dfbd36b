// The duplicate counter: how many rows of an append table share an id. Pure.

export interface DuplicateCount {
  readonly rows: number;
  readonly distinct: number;
  readonly duplicates: number;
  /** A few ids committed more than once, to show. */
  readonly examples: readonly string[];
}

export function countDuplicates(rows: readonly unknown[], id: (row: unknown) => unknown = (r) => r): DuplicateCount {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const row of rows) {
    const raw = id(row);
    const key = typeof raw === 'string' ? `s:${raw}` : `j:${JSON.stringify(raw)}`;
    if (seen.has(key)) {
      if (twice.length < 5) twice.push(key.slice(2));
    } else seen.add(key);
  }
  return { rows: rows.length, distinct: seen.size, duplicates: rows.length - seen.size, examples: twice };
}
