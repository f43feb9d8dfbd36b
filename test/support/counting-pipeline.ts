import { sinks, sources, type DataStream, type Source, type StreamEnvironment } from 'weir';
import { holdUntilCheckpoints, type Hold } from './held-source.js';

// The pipeline every exactly-once test runs (in-process, in worker_threads and in Web Workers),
// and the check of what it committed: each input record once in 'seen', and per key the running
// counts 1..n, each once, ending with the exact sum — whatever order the records met the keyed
// operator in. Browser-safe (no node: imports): the Chromium suites use it too.

export interface Running {
  key: number;
  count: number;
  sum: number;
}

export interface PipelineOptions {
  records: number;
  keys: number;
  ratePerSecond: number;
  /** Called on every record before it is counted (a test's poison). */
  inspect?: (n: number) => void;
  /** Hold each source reader after some records until checkpoints completed (held-source.ts). */
  hold?: Hold;
}

export function buildCountingPipeline(env: StreamEnvironment, o: PipelineOptions): void {
  const numbers = env
    .fromSource(hold(sources.sequence({ from: 0, to: o.records, ratePerSecond: o.ratePerSecond }), o.hold), { uid: 'numbers' })
    .map((n) => {
      o.inspect?.(n);
      return n;
    })
    .uid('check');
  countInto(numbers, o.keys);
}

/** The counting pipeline's tables ('seen', 'running') over any stream of numbers (an input log's too). */
export function countInto(numbers: DataStream<number>, keys: number): void {
  numbers.sinkTo(sinks.table('seen'), { uid: 'seen' });
  numbers
    .map((n): Running => ({ key: n % keys, count: 1, sum: n }))
    .uid('to-running')
    .keyBy((r) => r.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count, sum: a.sum + b.sum }))
    .uid('running-sum')
    .sinkTo(sinks.table('running'), { uid: 'running' });
}

const hold = <T>(source: Source<T>, h: Hold | undefined): Source<T> => (h === undefined ? source : holdUntilCheckpoints(source, h));

function fail(message: string): never {
  throw new Error(message);
}

type ReadTable = <T>(jobName: string, table: string) => Promise<T[]>;

export async function checkExactlyOnce(readTable: ReadTable, name: string, records: number, keys: number): Promise<void> {
  const seen = await readTable<number>(name, 'seen');
  if (seen.length !== records) fail(`${name}: 'seen' holds ${seen.length} records, expected ${records}`);
  const sorted = Float64Array.from(seen).sort();
  for (let i = 0; i < records; i++) if (sorted[i] !== i) fail(`${name}: 'seen' misses or repeats record ${i}`);

  const expected = new Map<number, { n: number; sum: number }>();
  for (let i = 0; i < records; i++) {
    const e = expected.get(i % keys) ?? { n: 0, sum: 0 };
    e.n++;
    e.sum += i;
    expected.set(i % keys, e);
  }
  const running = await readTable<Running>(name, 'running');
  if (running.length !== records) fail(`${name}: 'running' holds ${running.length} updates, expected ${records}`);
  const counts = new Map<number, number[]>();
  const finalSum = new Map<number, number>();
  for (const r of running) {
    if (!expected.has(r.key)) fail(`${name}: 'running' has an update for key ${r.key}, which no record has`);
    (counts.get(r.key) ?? counts.set(r.key, []).get(r.key)!).push(r.count);
    if (r.count === expected.get(r.key)!.n) finalSum.set(r.key, r.sum);
  }
  for (const [key, { n, sum }] of expected) {
    const c = (counts.get(key) ?? []).sort((a, b) => a - b);
    if (c.length !== n) fail(`${name}: key ${key} has ${c.length} updates, expected ${n}`);
    for (let i = 0; i < n; i++) if (c[i] !== i + 1) fail(`${name}: key ${key}'s update counts are not exactly 1..${n} (at ${i}: ${c[i]})`);
    if (finalSum.get(key) !== sum) fail(`${name}: key ${key} ends with sum ${finalSum.get(key)}, expected ${sum}`);
  }
}

export async function checkNothingLost(readTable: ReadTable, name: string, records: number, keys: number): Promise<void> {
  const seen = new Set(await readTable<number>(name, 'seen'));
  for (let i = 0; i < records; i++) if (!seen.has(i)) fail(`${name}: record ${i} was lost`);
  const counts = new Map<number, Set<number>>();
  for (const r of await readTable<Running>(name, 'running')) (counts.get(r.key) ?? counts.set(r.key, new Set()).get(r.key)!).add(r.count);
  for (let key = 0; key < keys; key++) {
    const n = Math.floor(records / keys) + (key < records % keys ? 1 : 0);
    for (let i = 1; i <= n; i++) if (!counts.get(key)?.has(i)) fail(`${name}: key ${key}: update ${i} was lost`);
  }
}
