// The Nexmark event generator (persons, auctions, bids), as the nexmark project's Flink generator
// defines it (GeneratorConfig, NexmarkGenerator, Person/Auction/BidGenerator; Apache-2.0), written
// anew for Weir's benchmark: event n's kind, ids and timestamp follow the same rules; its random
// draws come from a PRNG seeded with n, so every thread and the reference make the same events.
//
// Rules kept (defaults of NexmarkConfiguration): proportions person 1 : auction 3 : bid 46 (of 50);
// ids from 1000; event time baseTime + n · 10^6 / firstEventRate µs (in order: outOfOrderGroupSize
// 1); 1000 active people, 100 auctions in flight, 10 ids of lead; hot auctions 1 in 2 bids (the
// first of the last 100 auctions), hot bidders 3 in 4 bids, hot sellers 3 in 4 auctions; prices
// 100 · 10^(6u); auction lengths averaging the time until 100 auctions later; 5 categories;
// `extra` padding each event to its average size (bid 100, auction 500, person 200 bytes).
// Changed for speed, not for shape: `extra` and the random names are slices of one pseudo-random
// pool of letters (the original draws each letter), so the benchmark measures the queries rather
// than string building. No imports: the job module bundles it into workers.

export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
const PERSON_PROPORTION = 1;
const AUCTION_PROPORTION = 3;
const TOTAL_PROPORTION = 50;
const NUM_ACTIVE_PEOPLE = 1000;
const NUM_IN_FLIGHT_AUCTIONS = 100;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
const HOT_AUCTION_RATIO = 2;
const HOT_BIDDERS_RATIO = 4;
const HOT_SELLERS_RATIO = 4;
const HOT_GROUP = 100;
const NUM_CATEGORIES = 5;
const AVG_BID_BYTES = 100;
const AVG_AUCTION_BYTES = 500;
const AVG_PERSON_BYTES = 200;

/** Nexmark's default rate (firstEventRate): 10 000 events per second of event time. */
export const DEFAULT_EVENTS_PER_SECOND = 10_000;
/** A fixed base time, so runs are repeatable (the original's default is the wall clock). */
export const BASE_TIME = 1_700_000_000_000;

export const PERSON = 0;
export const AUCTION = 1;
export const BID = 2;

export interface Person {
  type: 0;
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  type: 1;
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  type: 2;
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** One flat object per event, told apart by `type` (Flink's Event carries three nullable rows instead). */
export type NexmarkEvent = Person | Auction | Bid;

const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];

// ---- a PRNG per event (mulberry32, seeded with a mix of the event id) ----

let state = 0;
function seed(eventId: number): void {
  let h = Math.imul(eventId ^ 0x9e3779b9, 0x85ebca6b) ^ Math.floor(eventId / 0x100000000);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  state = (h ^ (h >>> 16)) >>> 0;
}
/** Uniform in [0, 1). */
function nextDouble(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
/** Uniform integer in [0, n). */
const nextInt = (n: number): number => Math.floor(nextDouble() * n);

/** 64 KB of pseudo-random lowercase letters, the same everywhere. */
const POOL: string = (() => {
  let s = 0x2545f491;
  const chars: string[] = [];
  for (let i = 0; i < 65536; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    chars.push(String.fromCharCode(97 + ((s >>> 0) % 26)));
  }
  return chars.join('');
})();
const exactString = (length: number): string => {
  const at = nextInt(POOL.length - length);
  return POOL.slice(at, at + length);
};
/** Up to maxLength letters (3 at least), as nextString's length rule. */
const nextString = (maxLength: number): string => exactString(3 + nextInt(maxLength - 3));
/** Padding so that currentSize + its length averages desiredAverage (± 20 %). */
function nextExtra(currentSize: number, desiredAverage: number): string {
  if (currentSize > desiredAverage) return '';
  const desired = desiredAverage - currentSize;
  const delta = Math.round(desired * 0.2);
  return exactString(desired - delta + (delta === 0 ? 0 : nextInt(2 * delta)));
}
const nextPrice = (): number => Math.round(10 ** (nextDouble() * 6) * 100);

// ---- ids ----

function lastBase0PersonId(eventId: number): number {
  const epoch = Math.floor(eventId / TOTAL_PROPORTION);
  let offset = eventId % TOTAL_PROPORTION;
  if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
  return epoch * PERSON_PROPORTION + offset;
}

function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.floor(eventId / TOTAL_PROPORTION);
  let offset = eventId % TOTAL_PROPORTION;
  if (offset < PERSON_PROPORTION) {
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) offset = AUCTION_PROPORTION - 1;
  else offset -= PERSON_PROPORTION;
  return epoch * AUCTION_PROPORTION + offset;
}

function nextBase0PersonId(eventId: number): number {
  const numPeople = lastBase0PersonId(eventId) + 1;
  const active = Math.min(numPeople, NUM_ACTIVE_PEOPLE);
  return numPeople - active + nextInt(active + PERSON_ID_LEAD);
}

function nextBase0AuctionId(eventId: number): number {
  const max = lastBase0AuctionId(eventId);
  const min = Math.max(max - NUM_IN_FLIGHT_AUCTIONS, 0);
  return min + nextInt(max - min + 1 + AUCTION_ID_LEAD);
}

// ---- events ----

/** The event-time timestamp of event n (ms). */
export function timestampOf(n: number, eventsPerSecond = DEFAULT_EVENTS_PER_SECOND): number {
  return BASE_TIME + Math.floor((n * 1e6) / eventsPerSecond / 1000);
}

export function isBid(e: NexmarkEvent): e is Bid {
  return e.type === BID;
}

/** Event number n (= its id: one generator, no out-of-order groups). */
export function nexmarkEvent(n: number, eventsPerSecond = DEFAULT_EVENTS_PER_SECOND): NexmarkEvent {
  seed(n);
  const dateTime = timestampOf(n, eventsPerSecond);
  const rem = n % TOTAL_PROPORTION;
  if (rem < PERSON_PROPORTION) return nextPerson(n, dateTime);
  if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) return nextAuction(n, dateTime, eventsPerSecond);
  return nextBid(n, dateTime);
}

function nextBid(eventId: number, dateTime: number): Bid {
  const auction = FIRST_AUCTION_ID + (nextInt(HOT_AUCTION_RATIO) > 0
    ? Math.floor(lastBase0AuctionId(eventId) / HOT_GROUP) * HOT_GROUP
    : nextBase0AuctionId(eventId));
  const bidder = FIRST_PERSON_ID + (nextInt(HOT_BIDDERS_RATIO) > 0
    ? Math.floor(lastBase0PersonId(eventId) / HOT_GROUP) * HOT_GROUP + 1
    : nextBase0PersonId(eventId));
  const price = nextPrice();
  return { type: BID, auction, bidder, price, dateTime, extra: nextExtra(32, AVG_BID_BYTES) };
}

function nextAuction(eventId: number, dateTime: number, eventsPerSecond: number): Auction {
  const id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
  const seller = FIRST_PERSON_ID + (nextInt(HOT_SELLERS_RATIO) > 0
    ? Math.floor(lastBase0PersonId(eventId) / HOT_GROUP) * HOT_GROUP
    : nextBase0PersonId(eventId));
  const category = FIRST_CATEGORY_ID + nextInt(NUM_CATEGORIES);
  const initialBid = nextPrice();
  // Average length: the event time until NUM_IN_FLIGHT_AUCTIONS auctions later.
  const horizonMs = timestampOf(eventId + (NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION) / AUCTION_PROPORTION, eventsPerSecond) - dateTime;
  const expires = dateTime + 1 + nextInt(Math.max(horizonMs * 2, 1));
  const itemName = nextString(20);
  const description = nextString(100);
  const reserve = initialBid + nextPrice();
  const extra = nextExtra(8 + itemName.length + description.length + 40, AVG_AUCTION_BYTES);
  return { type: AUCTION, id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra };
}

function nextPerson(eventId: number, dateTime: number): Person {
  const id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
  const name = `${FIRST_NAMES[nextInt(FIRST_NAMES.length)]!} ${LAST_NAMES[nextInt(LAST_NAMES.length)]!}`;
  const emailAddress = `${nextString(7)}@${nextString(5)}.com`;
  const creditCard = [0, 1, 2, 3].map(() => String(nextInt(10000)).padStart(4, '0')).join(' ');
  const city = US_CITIES[nextInt(US_CITIES.length)]!;
  const st = US_STATES[nextInt(US_STATES.length)]!;
  const extra = nextExtra(8 + name.length + emailAddress.length + creditCard.length + city.length + st.length, AVG_PERSON_BYTES);
  return { type: PERSON, id, name, emailAddress, creditCard, city, state: st, dateTime, extra };
}
