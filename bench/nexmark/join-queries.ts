// Nexmark q3 and q8, the two join queries, as Weir jobs and as plain loops (the reference), folded
// into the same digest as the other queries (queries.ts). No Node-only imports.
//   q3 local item suggestion (an incremental join, state kept for ever): the auctions of category 10
//      with their seller, for sellers in OR, ID or CA — Weir: auctions.connect(persons).keyBy(seller, id),
//      each side waiting in keyed state for the other.
//   q8 monitor new users: persons who registered and put up an auction in the same 10 s tumbling
//      window — Weir: a window join of the persons with each seller's auctions per window (reduced
//      to one per seller and window first, as Flink's SQL groups them).
import { windows, type Collector, type DataStream, type KeyedProcessContext, type Sink } from 'weir';
import { AUCTION, PERSON, nexmarkEvent, type Auction, type NexmarkEvent, type Person } from './generator.js';
import { addToDigest, emptyDigest, WINDOW_MS, type Digest } from './queries.js';

export const JOIN_QUERIES = ['q3', 'q8'] as const;
export type JoinQuery = (typeof JOIN_QUERIES)[number];

const Q3_STATES = new Set(['OR', 'ID', 'CA']);
const Q3_CATEGORY = 10;

const isPerson = (e: NexmarkEvent): e is Person => e.type === PERSON;
const isAuction = (e: NexmarkEvent): e is Auction => e.type === AUCTION;

interface Seller {
  id: number;
  name: string;
  city: string;
  state: string;
}

/** What the digest sees of a q3 result: the auction, the seller, and the seller's name, city and state. */
const q3Row = (p: Seller, auction: number) => ({ auction, bidder: p.id, extra: `${p.name}|${p.city}|${p.state}` });
/** A q8 result: the person, their name, and the window they registered and sold in. */
const q8Row = (p: Person) => ({ bidder: p.id, extra: p.name, windowEnd: p.dateTime - (p.dateTime % WINDOW_MS) + WINDOW_MS });

export function buildJoinQuery(query: JoinQuery, events: DataStream<NexmarkEvent>, sink: Sink<unknown>): void {
  const persons = events.filter(isPerson).uid('persons') as unknown as DataStream<Person>;
  const auctions = events.filter(isAuction).uid('auctions') as unknown as DataStream<Auction>;
  if (query === 'q3') {
    auctions
      .filter((a) => a.category === Q3_CATEGORY).uid('category-10')
      .connect(persons.filter((p) => Q3_STATES.has(p.state)).uid('in-states'))
      .keyBy((a) => a.seller, (p) => p.id)
      .process({
        processElement1(a: Auction, ctx: KeyedProcessContext<number>, out: Collector<unknown>) {
          const seller = ctx.getState<Seller>('seller').value();
          if (seller !== undefined) out.collect(q3Row(seller, a.id));
          else ctx.getListState<number>('auctions').add(a.id);
        },
        processElement2(p: Person, ctx: KeyedProcessContext<number>, out: Collector<unknown>) {
          const seller = { id: p.id, name: p.name, city: p.city, state: p.state };
          ctx.getState<Seller>('seller').update(seller);
          const waiting = ctx.getListState<number>('auctions');
          for (const id of waiting.get()) out.collect(q3Row(seller, id));
          waiting.clear();
        },
      }).uid('q3-join')
      .sinkTo(sink, { uid: 'sink' });
    return;
  }
  const sellers = auctions
    .keyBy((a) => a.seller)
    .window(windows.tumbling({ sizeMs: WINDOW_MS }))
    .reduce((a) => a).uid('sellers-per-window');
  persons
    .join(sellers)
    .where((p) => p.id)
    .equalTo((a) => a.seller)
    .window(windows.tumbling({ sizeMs: WINDOW_MS }))
    .apply((p) => q8Row(p)).uid('q8-join')
    .sinkTo(sink, { uid: 'sink' });
}

export function referenceJoinDigest(query: JoinQuery, events: number, eventsPerSecond: number): Digest {
  const d = emptyDigest();
  const persons = new Map<number, Person>();
  const soldIn = new Set<string>(); // q8: seller/window start
  const auctionsOf = new Map<number, number[]>(); // q3: seller → auction ids
  for (let n = 0; n < events; n++) {
    const e = nexmarkEvent(n, eventsPerSecond);
    if (isPerson(e)) persons.set(e.id, e);
    else if (isAuction(e)) {
      if (query === 'q8') soldIn.add(`${e.seller}/${e.dateTime - (e.dateTime % WINDOW_MS)}`);
      else if (e.category === Q3_CATEGORY) auctionsOf.set(e.seller, [...(auctionsOf.get(e.seller) ?? []), e.id]);
    }
  }
  for (const p of persons.values()) {
    if (query === 'q8') {
      if (soldIn.has(`${p.id}/${p.dateTime - (p.dateTime % WINDOW_MS)}`)) addToDigest(d, q8Row(p));
    } else if (Q3_STATES.has(p.state)) for (const id of auctionsOf.get(p.id) ?? []) addToDigest(d, q3Row(p, id));
  }
  return d;
}
