// Nexmark queries q0, q1, q2, q5, q7 as Weir jobs (q3 and q8, the joins: join-queries.ts), the same queries as straightforward loops over
// the same events (the reference every run is checked against), and the order-independent digest
// both fold their output into. No Node-only imports: the job module bundles this into workers and
// the Chromium page.
//
// The queries, as the nexmark project's Flink SQL states them (windows of 10 s, q5 sliding by 2 s):
//   q0 pass-through: every bid.
//   q1 currency conversion: every bid with price · 0.908 (dollars to euros).
//   q2 selection: (auction, price) of the bids whose auction % 123 = 0.
//   q5 hot items: per 10 s window sliding by 2 s, the auctions with the most bids (ties: all).
//   q7 highest bid: per 10 s tumbling window, the bids with the window's highest price (ties: all).
// Flink runs q5 and q7 as SQL: q7 joins every bid with the window's maximum (all bids kept in join
// state). Weir's jobs are DataStream programs: q5 counts per auction in sliding windows, then takes
// the maximum per window; q7 keeps each window's highest bids per price bucket, then the maximum of
// those per window. Same answers, less state than Flink's q7 plan.
import { job, readTable, sinks, sources, WatermarkStrategy, windows, type DataStream, type JobDefinition, type Sink, type Source } from 'weir';
import { BID, DEFAULT_EVENTS_PER_SECOND, isBid, nexmarkEvent, type Bid, type NexmarkEvent } from './generator.js';
import { buildJoinQuery, referenceJoinDigest } from './join-queries.js';

export const QUERIES = ['q0', 'q1', 'q2', 'q3', 'q5', 'q7', 'q8'] as const;
export type Query = (typeof QUERIES)[number];

/** Flink's own event-time bound in the nexmark DDL: WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND. */
export const WATERMARK_DELAY_MS = 4000;
export const WINDOW_MS = 10_000;
export const SLIDE_MS = 2000;
const Q7_BUCKETS = 64;

// ---------------------------------------------------------------------------------------------
// The digest: count and two sums modulo 2^32 of a hash per output record (order-independent).

export interface Digest {
  results: number;
  h1: number;
  h2: number;
}

export const emptyDigest = (): Digest => ({ results: 0, h1: 0, h2: 0 });

function mix(h: number, v: number): number {
  // Numbers up to 2^53 in two 32-bit halves; fractions (q1's euros) in thousandths.
  const x = Number.isInteger(v) ? v : Math.round(v * 1000);
  h = Math.imul(h ^ (x >>> 0), 0x01000193);
  return Math.imul(h ^ Math.floor(x / 4294967296), 0x01000193);
}

function mixString(h: number, s: string): number {
  const n = s.length;
  return mix(mix(h, n), n === 0 ? 0 : s.charCodeAt(0) * 65536 + s.charCodeAt(n - 1) * 256 + s.charCodeAt(n >> 1));
}

/** Adds one output record (the fields every query's output has, and the ones it may have). */
export function addToDigest(d: Digest, r: Record<string, unknown>): void {
  let h = 0x811c9dc5;
  for (const f of ['auction', 'bidder', 'price', 'dateTime', 'num', 'windowEnd'] as const) {
    const v = r[f];
    h = mix(h, typeof v === 'number' ? v : -1);
  }
  const extra = r.extra;
  h = typeof extra === 'string' ? mixString(h, extra) : mix(h, -2);
  d.results++;
  d.h1 = (d.h1 + (h >>> 0)) >>> 0;
  d.h2 = (d.h2 + (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0)) >>> 0;
}

export function mergeDigests(list: Iterable<Digest>): Digest {
  const d = emptyDigest();
  for (const x of list) {
    d.results += x.results;
    d.h1 = (d.h1 + x.h1) >>> 0;
    d.h2 = (d.h2 + x.h2) >>> 0;
  }
  return d;
}

/** undefined if equal; otherwise what differs. */
export function compareDigests(got: Digest, expected: Digest): string | undefined {
  const wrong = (['results', 'h1', 'h2'] as const).filter((f) => got[f] !== expected[f]);
  return wrong.length === 0 ? undefined : wrong.map((f) => `${f} ${got[f]}, expected ${expected[f]}`).join('; ');
}

// ---------------------------------------------------------------------------------------------
// The Weir side: the generator as a source, the digest as a sink, the five jobs.

export interface NexmarkParams {
  readonly name: string;
  readonly query: Query;
  readonly events: number;
  readonly eventsPerSecond: number;
}

export function nexmarkParams(q: URLSearchParams): NexmarkParams {
  const query = q.get('query') ?? 'q0';
  if (!(QUERIES as readonly string[]).includes(query)) throw new Error(`nexmark job: query must be one of ${QUERIES.join(', ')}, got ${query}`);
  return {
    name: q.get('name') ?? 'nexmark',
    query: query as Query,
    events: Number(q.get('events') ?? 1_000_000),
    eventsPerSecond: Number(q.get('eventsPerSecond') ?? DEFAULT_EVENTS_PER_SECOND),
  };
}

export function nexmarkJobUrl(base: URL, p: NexmarkParams): URL {
  const q = new URLSearchParams({ name: p.name, query: p.query, events: String(p.events), eventsPerSecond: String(p.eventsPerSecond) });
  return new URL(`?${q.toString()}`, base);
}

/** Events 0..events-1 as a replayable Weir source: the sequence source's splits, each number made into its event. */
export function nexmarkSource(events: number, eventsPerSecond: number): Source<NexmarkEvent> {
  const numbers = sources.sequence({ from: 0, to: events });
  return {
    kind: 'weir.source',
    name: `nexmark(${events} events)`,
    bounded: true,
    createSplits: (parallelism) => numbers.createSplits(parallelism),
    createReader: (splits, ctx) => {
      const reader = numbers.createReader(splits, ctx);
      return {
        poll: (max, emit) => reader.poll(max, (n) => emit(nexmarkEvent(n, eventsPerSecond))),
        snapshotSplits: (checkpointId) => reader.snapshotSplits(checkpointId),
      };
    },
  };
}

export const DIGEST_TABLE = 'digests';

interface DigestRow extends Digest {
  subtask: number;
}

/**
 * Folds what it receives into a Digest and stores it at every checkpoint as one row per subtask
 * of an upsert table (exactly-once through the table's two-phase commit): a sink as cheap as
 * Flink's blackhole, whose result can still be checked. The digest restarts at zero after a
 * restore, so it suits a run without failures only (the benchmark injects none).
 */
function digestSink(): Sink<Record<string, unknown>> {
  const inner = sinks.table<DigestRow>(DIGEST_TABLE, { key: 'subtask' });
  return {
    kind: 'weir.sink',
    name: 'digest',
    guarantee: 'exactly-once',
    createWriter: (ctx) => {
      const writer = inner.createWriter(ctx);
      const digest = emptyDigest();
      return {
        write: (r) => addToDigest(digest, r),
        prepareCommit: (checkpointId) => {
          writer.write({ subtask: ctx.subtaskIndex, ...digest });
          return writer.prepareCommit(checkpointId);
        },
        flush: () => writer.flush?.() ?? Promise.resolve(),
        close: () => writer.close?.(),
      };
    },
    createCommitter: (ctx) => inner.createCommitter!(ctx),
    rollBack: (ctx, checkpointId) => inner.rollBack?.(ctx, checkpointId) ?? Promise.resolve(),
  };
}

export async function readDigest(jobName: string): Promise<Digest> {
  return mergeDigests(await readTable<DigestRow>(jobName, DIGEST_TABLE));
}

interface AuctionCount {
  auction: number;
  num: number;
}

/** Keeps the bids with the highest price (all of them on a tie). */
interface TopBids {
  price: number;
  bids: Bid[];
}

const addTop = (acc: TopBids, b: Bid): TopBids => {
  if (b.price > acc.price) {
    acc.price = b.price;
    acc.bids = [b];
  } else if (b.price === acc.price) acc.bids.push(b);
  return acc;
};

export function buildNexmarkJob(p: NexmarkParams): JobDefinition {
  return job(p.name, (env) => {
    const events = env.fromSource(nexmarkSource(p.events, p.eventsPerSecond), {
      uid: 'nexmark',
      watermarks: WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(WATERMARK_DELAY_MS).withTimestampAssigner((e) => e.dateTime),
    });
    const sink = digestSink() as Sink<unknown>;
    if (p.query === 'q3' || p.query === 'q8') return buildJoinQuery(p.query, events, sink);
    const bids = events.filter(isBid).uid('bids') as unknown as DataStream<Bid>;
    switch (p.query) {
      case 'q0':
        bids.sinkTo(sink, { uid: 'sink' });
        return;
      case 'q1':
        bids
          .map((b) => ({ auction: b.auction, bidder: b.bidder, price: 0.908 * b.price, dateTime: b.dateTime, extra: b.extra })).uid('euros')
          .sinkTo(sink, { uid: 'sink' });
        return;
      case 'q2':
        bids
          .filter((b) => b.auction % 123 === 0).uid('selected')
          .map((b) => ({ auction: b.auction, price: b.price })).uid('projected')
          .sinkTo(sink, { uid: 'sink' });
        return;
      case 'q5':
        bids
          .keyBy((b) => b.auction)
          .window(windows.sliding({ sizeMs: WINDOW_MS, slideMs: SLIDE_MS }))
          .aggregate<AuctionCount, AuctionCount>({
            create: () => ({ auction: 0, num: 0 }),
            add: (acc, b) => {
              acc.auction = b.auction;
              acc.num++;
              return acc;
            },
            // With merge, the sliding windows keep one count per auction and 2 s slide (a pane), merged
            // when a window fires: a bid is counted once, not in each of its 5 windows.
            merge: (a, b) => {
              a.auction = b.auction;
              a.num += b.num;
              return a;
            },
            result: (acc) => ({ auction: acc.auction, num: acc.num }),
          }).uid('counts')
          // A count carries its window's last timestamp (end - 1): the 2 s tumbling window it falls
          // in ends where its sliding window ends, so it gathers exactly that window's counts.
          .keyBy(() => 0)
          .window(windows.tumbling({ sizeMs: SLIDE_MS }))
          .process<{ auction: number; num: number; windowEnd: number }>((_key, counts, ctx) => {
            let max = 0;
            for (const c of counts) if (c.num > max) max = c.num;
            for (const c of counts) if (c.num === max) ctx.emit({ auction: c.auction, num: c.num, windowEnd: ctx.window.end });
          }).uid('hottest')
          .sinkTo(sink, { uid: 'sink' });
        return;
      case 'q7':
        bids
          .keyBy((b) => b.price % Q7_BUCKETS)
          .window(windows.tumbling({ sizeMs: WINDOW_MS }))
          .aggregate<TopBids, TopBids>({ create: () => ({ price: -1, bids: [] }), add: addTop, result: (acc) => acc }).uid('top-per-bucket')
          .keyBy(() => 0)
          .window(windows.tumbling({ sizeMs: WINDOW_MS }))
          .process<Bid>((_key, tops, ctx) => {
            let max = -1;
            for (const t of tops) if (t.price > max) max = t.price;
            for (const t of tops) if (t.price === max) for (const b of t.bids) ctx.emit(b);
          }).uid('highest')
          .sinkTo(sink, { uid: 'sink' });
        return;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The reference: the same events, each query as a plain loop (no windows operator, no state
// backend), and the same digest. Windows fire at the end; the digest does not depend on order.

const windowStartsOf = (t: number, size: number, slide: number): number[] => {
  const starts: number[] = [];
  for (let s = t - (((t % slide) + slide) % slide); s > t - size; s -= slide) starts.push(s);
  return starts;
};

export function referenceDigest(query: Query, events: number, eventsPerSecond = DEFAULT_EVENTS_PER_SECOND): Digest {
  if (query === 'q3' || query === 'q8') return referenceJoinDigest(query, events, eventsPerSecond);
  const d = emptyDigest();
  const counts = new Map<number, Map<number, number>>(); // q5: window start → auction → bids
  const tops = new Map<number, TopBids>(); // q7: window start → highest bids
  for (let n = 0; n < events; n++) {
    const e = nexmarkEvent(n, eventsPerSecond);
    if (e.type !== BID) continue;
    switch (query) {
      case 'q0':
        addToDigest(d, e as unknown as Record<string, unknown>);
        break;
      case 'q1':
        addToDigest(d, { auction: e.auction, bidder: e.bidder, price: 0.908 * e.price, dateTime: e.dateTime, extra: e.extra });
        break;
      case 'q2':
        if (e.auction % 123 === 0) addToDigest(d, { auction: e.auction, price: e.price });
        break;
      case 'q5':
        for (const s of windowStartsOf(e.dateTime, WINDOW_MS, SLIDE_MS)) {
          let m = counts.get(s);
          if (m === undefined) counts.set(s, (m = new Map()));
          m.set(e.auction, (m.get(e.auction) ?? 0) + 1);
        }
        break;
      case 'q7': {
        const s = e.dateTime - (e.dateTime % WINDOW_MS);
        let t = tops.get(s);
        if (t === undefined) tops.set(s, (t = { price: -1, bids: [] }));
        addTop(t, e);
        break;
      }
    }
  }
  for (const [start, m] of counts) {
    let max = 0;
    for (const c of m.values()) if (c > max) max = c;
    for (const [auction, num] of m) if (num === max) addToDigest(d, { auction, num, windowEnd: start + WINDOW_MS });
  }
  for (const t of tops.values()) for (const b of t.bids) addToDigest(d, b as unknown as Record<string, unknown>);
  return d;
}
