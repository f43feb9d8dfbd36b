// The demo's parameters, read from a URL's query string: the page's own URL in main.ts, and the job
// module's URL (main.ts passes the same query on) in demo.job.ts — so the runner and every worker
// build the same graph, and main.ts knows the job's name before it runs it.
//   ?records=…  numbers 0..records-1 (default 20 000)
//   &rate=…     records per second for the whole source (default 1 000)
//   &keys=…     distinct keys of the running count (default 10)
//   &name=…     the job's name (default 'playground-demo'); a job's checkpoints and tables live under it
//   &autorun=0  (main.ts only) show what is committed, but do not run the job until "Start over"

export interface DemoParams {
  readonly name: string;
  readonly records: number;
  readonly rate: number;
  readonly keys: number;
}

export const DEFAULTS: DemoParams = { name: 'playground-demo', records: 20_000, rate: 1_000, keys: 10 };

function positiveInteger(params: URLSearchParams, key: string, fallback: number): number {
  const raw = params.get(key);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`the URL parameter ${key}=${raw} must be a positive integer`);
  return n;
}

export function demoParams(search: string | URLSearchParams): DemoParams {
  const params = typeof search === 'string' ? new URLSearchParams(search) : search;
  const name = params.get('name') || DEFAULTS.name;
  return {
    name,
    records: positiveInteger(params, 'records', DEFAULTS.records),
    rate: positiveInteger(params, 'rate', DEFAULTS.rate),
    keys: positiveInteger(params, 'keys', DEFAULTS.keys),
  };
}

/** The query string that gives these parameters (what main.ts appends to the job module's URL). */
export function demoQuery(p: DemoParams): string {
  return new URLSearchParams({ name: p.name, records: String(p.records), rate: String(p.rate), keys: String(p.keys) }).toString();
}

/** A row of the 'counts' table: the running count and sum of one key. */
export interface CountRow {
  key: string;
  count: number;
  sum: number;
}

export const keyOf = (n: number, keys: number): string => `k${n % keys}`;

/** What 'counts' holds once every number 0..records-1 was counted exactly once. */
export function expectedCounts(p: DemoParams): Map<string, { count: number; sum: number }> {
  const out = new Map<string, { count: number; sum: number }>();
  for (let k = 0; k < Math.min(p.keys, p.records); k++) {
    // The numbers k, k + keys, k + 2·keys, … below records.
    const count = Math.floor((p.records - 1 - k) / p.keys) + 1;
    out.set(keyOf(k, p.keys), { count, sum: count * k + (p.keys * count * (count - 1)) / 2 });
  }
  return out;
}
