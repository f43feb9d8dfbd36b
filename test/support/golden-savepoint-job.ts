import { job, sinks, sources, type JobDefinition, type Source } from 'weir';

// The job of the golden savepoint (test/fixtures/savepoints/): numbers → per key a count and a
// sum (keyed reduce) → an upsert table. Its uids, job name and state must stay as they are: the
// fixture was taken from this graph, and every later version of Weir must restore it.

export const GOLDEN_NAME = 'golden-counts';
export const GOLDEN_TOTAL = 4_000;
export const GOLDEN_KEYS = 7;

export interface GoldenRow {
  key: number;
  count: number;
  sum: number;
}

export function goldenJob(wrap: (source: Source<number>) => Source<number> = (s) => s): JobDefinition {
  return job(GOLDEN_NAME, (env) => {
    env
      .fromSource(wrap(sources.sequence({ from: 0, to: GOLDEN_TOTAL })), { uid: 'numbers' })
      .map((n): GoldenRow => ({ key: n % GOLDEN_KEYS, count: 1, sum: n }))
      .uid('to-row')
      .keyBy((r) => r.key)
      .reduce((a, b) => ({ key: a.key, count: a.count + b.count, sum: a.sum + b.sum }))
      .uid('counts')
      .sinkTo(sinks.table('counts', { key: 'key' }), { uid: 'counts-table' });
  });
}

/** Every key's final row, computed from the input. */
export function goldenExpected(): Map<number, GoldenRow> {
  const rows = new Map<number, GoldenRow>();
  for (let n = 0; n < GOLDEN_TOTAL; n++) {
    const r = rows.get(n % GOLDEN_KEYS) ?? { key: n % GOLDEN_KEYS, count: 0, sum: 0 };
    rows.set(r.key, { key: r.key, count: r.count + 1, sum: r.sum + n });
  }
  return rows;
}
