// What the windows benchmark (bench/windows.bench.ts) shares with its job module
// (bench/jobs/windows.job.ts): the events, the windowed-sum job, the tally sink, and the
// hand-written loop that computes the same windows. No Node-only imports: the job module is
// bundled into worker_threads.
//
// Event n: key n mod 10 000, value n mod 101, time ≈ n / 100 ms with up to 49 ms of disorder; the
// watermark trails the highest timestamp by the same bound, so no event is ever late and every
// window of every key fires exactly once (the last ones at the final watermark).
import { job, readTable, sinks, sources, WatermarkStrategy, windows, type JobDefinition, type Sink } from 'weir';

export const KEYS = 10_000;
/** Events per millisecond of event time: 100 000 per second, so 10 per key per 1 s window. */
export const EVENTS_PER_MS = 100;
/** Events arrive up to DISORDER_MS - 1 ms behind the latest; the watermark allows DISORDER_MS. */
export const DISORDER_MS = 50;
/** Weir's default network.batchSize: its sources emit a watermark after every poll of this many records. */
export const WATERMARK_EVERY = 1024;

export type WindowKind = 'tumbling' | 'sliding';
export const WINDOW_SHAPES: Readonly<Record<WindowKind, { readonly sizeMs: number; readonly slideMs: number }>> = {
  tumbling: { sizeMs: 1000, slideMs: 1000 },
  sliding: { sizeMs: 1000, slideMs: 250 },
};

export interface WindowEvent {
  key: number;
  value: number;
  time: number;
}

/**
 * Monotone in n but for a deterministic disorder of 0..DISORDER_MS-1 ms (19 is prime to 50: every
 * residue in turn). `(n % 50) * 19`, not `n * 19`: the product leaves V8's small integers past
 * n ≈ 56 M, and the loop, which runs 5× Weir's events, slowed from 14 to 9 M events/s at 24 M Weir
 * events, flattering Weir's ratio. Same values.
 */
export const eventTime = (n: number): number => DISORDER_MS + Math.floor(n / EVENTS_PER_MS) - (((n % DISORDER_MS) * 19) % DISORDER_MS);

export const makeEvent = (n: number): WindowEvent => ({ key: n % KEYS, value: n % 101, time: eventTime(n) });

// ---------------------------------------------------------------------------------------------
// The check: every window result folded into a few order-independent sums.

export interface Tally {
  /** Window results (one per key and window with at least one event). */
  results: number;
  /** Σ of the window sums. */
  total: number;
  /** Σ (key + 1) · sum: a result under the wrong key shows here. */
  weighted: number;
  /** Σ sum²: a window cut in the wrong place shows here. */
  squares: number;
}

export const emptyTally = (): Tally => ({ results: 0, total: 0, weighted: 0, squares: 0 });

export function addResult(t: Tally, key: number, sum: number): void {
  t.results++;
  t.total += sum;
  t.weighted += (key + 1) * sum;
  t.squares += sum * sum;
}

export function mergeTallies(tallies: Iterable<Tally>): Tally {
  const t = emptyTally();
  for (const x of tallies) {
    t.results += x.results;
    t.total += x.total;
    t.weighted += x.weighted;
    t.squares += x.squares;
  }
  return t;
}

/** undefined if equal; otherwise what differs. */
export function compareTallies(got: Tally, expected: Tally): string | undefined {
  const fields = ['results', 'total', 'weighted', 'squares'] as const;
  const wrong = fields.filter((f) => got[f] !== expected[f]);
  return wrong.length === 0 ? undefined : wrong.map((f) => `${f} ${got[f]}, expected ${expected[f]}`).join('; ');
}

/** The Σ of window sums that does not depend on windowing: every event is in sizeMs / slideMs windows. */
export function expectedTotal(records: number, kind: WindowKind): number {
  let values = 0;
  for (let n = 0; n < records; n++) values += n % 101;
  return values * (WINDOW_SHAPES[kind].sizeMs / WINDOW_SHAPES[kind].slideMs);
}

interface TallyRow extends Tally {
  subtask: number;
}

/**
 * Counts window results into a Tally and stores it, once per checkpoint, as one row per subtask of
 * an upsert table: a sink as cheap as counting, whose figures are read back with readTable (from
 * the workers too). The tally restarts at zero after a restore: good for a benchmark that injects
 * no failure, not for a job that must survive one.
 */
function tallySink(table: string): Sink<WindowEvent> {
  const inner = sinks.table<TallyRow>(table, { key: 'subtask' });
  return {
    kind: 'weir.sink',
    name: `tally(${table})`,
    guarantee: 'exactly-once',
    createWriter: (ctx) => {
      const writer = inner.createWriter(ctx);
      const tally = emptyTally();
      return {
        write: (e) => addResult(tally, e.key, e.value),
        prepareCommit: (checkpointId) => {
          writer.write({ subtask: ctx.subtaskIndex, ...tally });
          return writer.prepareCommit(checkpointId);
        },
        flush: () => writer.flush!(),
      };
    },
    createCommitter: (ctx) => inner.createCommitter!(ctx),
    rollBack: (ctx, checkpointId) => inner.rollBack!(ctx, checkpointId),
  };
}

export const TALLY_TABLE = 'tallies';

export async function readTally(jobName: string): Promise<Tally> {
  return mergeTallies(await readTable<TallyRow>(jobName, TALLY_TABLE));
}

// ---------------------------------------------------------------------------------------------
// The job: sequence → events (event time, bounded disorder) → keyBy(key) → window → sum('value') → tally.

/**
 * How the job sums: 'sum' is `.sum('value')` (a new record per event, as Flink's field sum);
 * 'aggregate' is `.aggregate(…)` over one mutable accumulator per window (a diagnostic: what the
 * windowing costs without sum's copies).
 */
export type WindowFunctionKind = 'sum' | 'aggregate';

export interface WindowJobParams {
  readonly name: string;
  readonly records: number;
  readonly kind: WindowKind;
  readonly fn: WindowFunctionKind;
}

export function windowJobParams(query: URLSearchParams): WindowJobParams {
  const kind = query.get('kind') ?? 'tumbling';
  if (kind !== 'tumbling' && kind !== 'sliding') throw new Error(`windows job: kind must be tumbling or sliding, got ${kind}`);
  const fn = query.get('fn') ?? 'sum';
  if (fn !== 'sum' && fn !== 'aggregate') throw new Error(`windows job: fn must be sum or aggregate, got ${fn}`);
  return { name: query.get('name') ?? 'windows', records: Number(query.get('records') ?? 1_000_000), kind, fn };
}

/** The job module's URL with these parameters in its query, which every worker reads alike. */
export function windowJobUrl(base: URL, p: WindowJobParams): URL {
  return new URL(`?${new URLSearchParams({ name: p.name, records: String(p.records), kind: p.kind, fn: p.fn }).toString()}`, base);
}

export function buildWindowJob(p: WindowJobParams): JobDefinition {
  const shape = WINDOW_SHAPES[p.kind];
  return job(p.name, (env) => {
    const windowed = env
      .fromSource(sources.sequence({ from: 0, to: p.records }), {
        uid: 'numbers',
        watermarks: WatermarkStrategy.forBoundedOutOfOrderness<number>(DISORDER_MS).withTimestampAssigner(eventTime),
      })
      .map(makeEvent).uid('events')
      .keyBy((e) => e.key)
      .window(p.kind === 'tumbling' ? windows.tumbling({ sizeMs: shape.sizeMs }) : windows.sliding(shape));
    const sums = p.fn === 'sum'
      ? windowed.sum('value')
      : windowed.aggregate<WindowEvent, WindowEvent>({
        create: () => ({ key: 0, value: 0, time: 0 }),
        add: (acc, e) => {
          acc.key = e.key;
          acc.value += e.value;
          acc.time = e.time;
          return acc;
        },
        result: (acc) => acc,
      });
    sums.uid('window-sum').sinkTo(tallySink(TALLY_TABLE), { uid: 'tallies' });
  });
}

// ---------------------------------------------------------------------------------------------
// The hand-written loop: the same events, a Map of key → sum per open window, windows fired by a
// watermark advanced as Weir's source advances it (every WATERMARK_EVERY events), each result a
// new { key, value, time } object as Weir's sum emits. No keyed state, no checkpoints.

export interface LoopResult {
  readonly tally: Tally;
  /** Events that fell only in windows already fired (0 by construction). */
  readonly late: number;
}

export function windowLoop(records: number, kind: WindowKind): LoopResult {
  const { sizeMs, slideMs } = WINDOW_SHAPES[kind];
  const tally = emptyTally();
  const open = new Map<number, Map<number, number>>();
  let maxTimestamp = -Infinity;
  let watermark = -Infinity;
  let late = 0;
  const fire = (upTo: number) => {
    for (const [start, sums] of open) {
      const last = start + sizeMs - 1;
      if (last > upTo) continue;
      for (const [key, sum] of sums) {
        const result: WindowEvent = { key, value: sum, time: last };
        addResult(tally, result.key, result.value);
      }
      open.delete(start);
    }
  };
  for (let n = 0; n < records; n++) {
    const e = makeEvent(n);
    const t = e.time;
    if (t > maxTimestamp) maxTimestamp = t;
    let accepted = false;
    for (let start = t - (((t % slideMs) + slideMs) % slideMs); start > t - sizeMs; start -= slideMs) {
      if (start + sizeMs - 1 <= watermark) continue;
      accepted = true;
      let sums = open.get(start);
      if (sums === undefined) open.set(start, (sums = new Map()));
      sums.set(e.key, (sums.get(e.key) ?? 0) + e.value);
    }
    if (!accepted) late++;
    if ((n + 1) % WATERMARK_EVERY === 0 && maxTimestamp - DISORDER_MS - 1 > watermark) {
      watermark = maxTimestamp - DISORDER_MS - 1;
      fire(watermark);
    }
  }
  fire(Infinity);
  return { tally, late };
}
