// The input of the seed example, as a pure function of its parameters, so the job module (in the
// runner and in every worker), its test and its runner script all see the same lines.
//
// Line i is "<event time in ms> <integer>": event time advances 10 ms per line with up to 1.5 s of
// jitter (out of order, within the job's 2 s bound); every 997th line's number is garbage.

export interface ExampleOptions {
  readonly lines: number;
}

export const WINDOW_MS = 5_000;
export const OUT_OF_ORDERNESS_MS = 2_000;
export const KEYS = 4;

export function exampleLine(i: number): string {
  const eventTime = 1_700_000_000_000 + i * 10 + ((i * 7919) % 1_500);
  const value = i % 997 === 996 ? `n${i}?` : String((i * 31) % 1_000);
  return `${eventTime} ${value}`;
}

export function exampleLines({ lines }: ExampleOptions): string[] {
  return Array.from({ length: lines }, (_, i) => exampleLine(i));
}

export interface Reading {
  readonly key: number;
  readonly value: number;
  readonly time: number;
}

export interface WindowSum {
  readonly key: number;
  readonly windowStart: number;
  readonly sum: number;
}

/** The windowed sums a correct run commits: computed directly from the lines, bad ones left out. */
export function expectedWindowSums(options: ExampleOptions): { sums: WindowSum[]; badLines: number } {
  const byWindow = new Map<string, { key: number; windowStart: number; sum: number }>();
  let badLines = 0;
  for (const line of exampleLines(options)) {
    const [time, text] = line.split(' ') as [string, string];
    if (!/^-?\d+$/.test(text)) {
      badLines++;
      continue;
    }
    const value = Number(text);
    const key = value % KEYS;
    const windowStart = Math.floor(Number(time) / WINDOW_MS) * WINDOW_MS;
    const id = `${key}@${windowStart}`;
    const entry = byWindow.get(id) ?? { key, windowStart, sum: 0 };
    entry.sum += value;
    byWindow.set(id, entry);
  }
  return { sums: [...byWindow.values()], badLines };
}
