// The binary batch codec against structuredClone of the same batch, measured in the same run
// (PLATFORM-LIMITS.md: compare only against baselines re-measured in the same run). Prints
// numbers; asserts nothing. Standalone: measures at top level, so it can be bundled and run:
//   npx esbuild bench/batch-codec.bench.ts --bundle --platform=node --format=esm --outfile=/tmp/bc.mjs && node /tmp/bc.mjs
//
// `keyed edge`: what a keyed exchange does per batch — encode, decode, then one Map update per
// record by its string key, as the receiving keyed operator's state lookup does — without and with
// the channel's string dictionary (batch-dictionary.ts, warm: every key already sent); then with the
// sending writer's key-group lookup too, the dictionary looked up again per record or its ids taken
// from the key-group cache's entries (dictionary hints).
//
// `recycled`: encodeBatch writes into the buffer the previous batch used, as it could if the
// receiver handed decoded buffers back (with its credits, say); otherwise every batch is a
// fresh ArrayBuffer, which in Node costs page faults once glibc has returned freed memory.
//
// Env: WEIR_BENCH_ROUNDS (default 7; the median is printed), WEIR_BENCH_SAMPLE_MS (time per
// sample, default 40).
import { decodeBatch, encodeBatch } from '../src/channel/batch-codec.js';
import { extendTable, StringDictionary } from '../src/channel/batch-dictionary.js';
import type { RecordBatch } from '../src/channel/channel-message.js';
import { KeyGroupCache } from '../src/runtime/task/key-group-cache.js';

const envInt = (name: string, fallback: number): number => {
  const n = Number((process.env[name] ?? '').replaceAll('_', ''));
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
};
const ROUNDS = envInt('WEIR_BENCH_ROUNDS', 7);
const SAMPLE_MS = envInt('WEIR_BENCH_SAMPLE_MS', 40);
const SIZES = [256, 1024, 4096];

let seed = 0x2545f491;
const next = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};
const word = (length: number): string => {
  let w = '';
  for (let i = 0; i < length; i++) w += String.fromCharCode(97 + (next() % 26));
  return w;
};
const WORDS8 = Array.from({ length: 1000 }, () => word(8));
const WORDS36 = Array.from({ length: 1000 }, () => word(36));

interface Shape {
  readonly name: string;
  make(n: number): unknown[];
}
const SHAPES: Shape[] = [
  { name: '{k: string(8), v, t}', make: (n) => Array.from({ length: n }, (_, i) => ({ k: WORDS8[i % 1000]!, v: i * 1.5, t: 1_700_000_000_000 + i })) },
  { name: 'number', make: (n) => Array.from({ length: n }, (_, i) => i * 0.25) },
  // Strings of 13+ units are copied on decode (batch-codec.ts, MIN_VIEW_CHARS): what that costs.
  { name: '{k: string(36), v, t}', make: (n) => Array.from({ length: n }, (_, i) => ({ k: WORDS36[i % 1000]!, v: i * 1.5, t: 1_700_000_000_000 + i })) },
];

let sink = 0; // keeps results observable so nothing is optimised away

/** Records per second over one sample of at least SAMPLE_MS. */
function rate(batchSize: number, run: () => void): number {
  let iterations = 0;
  const t0 = performance.now();
  let ms = 0;
  do {
    run();
    iterations++;
    ms = performance.now() - t0;
  } while (ms < SAMPLE_MS);
  return (iterations * batchSize) / (ms / 1000);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const mrecs = (r: number): string => (r / 1e6).toFixed(2);

interface Case {
  readonly shape: string;
  readonly size: number;
  readonly batch: RecordBatch;
  readonly packed: ArrayBuffer;
  readonly samples: Record<'encode' | 'recycled' | 'decode' | 'encodeDecode' | 'encodeDecodeRecycled' | 'clone', number[]>;
}

const cases: Case[] = [];
for (const shape of SHAPES) {
  for (const size of SIZES) {
    const batch: RecordBatch = { kind: 'records', records: shape.make(size) };
    const packed = encodeBatch(batch);
    if (packed === undefined) throw new Error(`${shape.name} was not encoded`);
    cases.push({ shape: shape.name, size, batch, packed: packed.buffer, samples: { encode: [], recycled: [], decode: [], encodeDecode: [], encodeDecodeRecycled: [], clone: [] } });
  }
}

// Warm-up, then rounds that interleave every case and every operation, so drift hits all alike.
for (let round = -1; round < ROUNDS; round++) {
  for (const c of cases) {
    const { batch, packed, size } = c;
    let spare = encodeBatch(batch)!.buffer;
    const results = {
      encode: rate(size, () => { sink += encodeBatch(batch)!.buffer.byteLength; }),
      recycled: rate(size, () => { sink += (spare = encodeBatch(batch, spare)!.buffer).byteLength; }),
      decode: rate(size, () => { sink += decodeBatch(packed).records.length; }),
      encodeDecode: rate(size, () => { sink += decodeBatch(encodeBatch(batch)!.buffer).records.length; }),
      encodeDecodeRecycled: rate(size, () => { sink += decodeBatch((spare = encodeBatch(batch, spare)!.buffer)).records.length; }),
      clone: rate(size, () => { sink += (structuredClone(batch) as RecordBatch).records.length; }),
    };
    if (round >= 0) for (const k of Object.keys(results) as (keyof typeof results)[]) c.samples[k].push(results[k]);
  }
}

console.log(`batch-codec: Node ${process.version}, median of ${ROUNDS} rounds of ${SAMPLE_MS} ms each; M rec/s (wall clock)`);
console.table(cases.map((c) => {
  const encodeDecode = median(c.samples.encodeDecode);
  const encodeDecodeRecycled = median(c.samples.encodeDecodeRecycled);
  const clone = median(c.samples.clone);
  return {
    records: c.shape,
    'per batch': c.size,
    'bytes/rec': +(c.packed.byteLength / c.size).toFixed(1),
    encode: mrecs(median(c.samples.encode)),
    'encode recycled': mrecs(median(c.samples.recycled)),
    decode: mrecs(median(c.samples.decode)),
    'enc+dec': mrecs(encodeDecode),
    'enc+dec recycled': mrecs(encodeDecodeRecycled),
    structuredClone: mrecs(clone),
    'enc+dec ÷ clone': `${(encodeDecode / clone).toFixed(1)}x`,
    'recycled ÷ clone': `${(encodeDecodeRecycled / clone).toFixed(1)}x`,
  };
}));

// What checking accessors, non-enumerable properties and symbol keys on every record would
// cost, next to the per-record check encodeBatch does (batch-codec.ts checks them on the first record only).
{
  const records = SHAPES[0]!.make(4096) as Record<string, unknown>[];
  const names = Object.keys(records[0]!);
  const cheap = (): number => {
    let ok = 0;
    for (const r of records) {
      if (typeof r !== 'object' || r === null || r.constructor !== Object || Object.getPrototypeOf(r) !== Object.prototype) continue;
      let j = 0;
      for (const key in r) {
        if (key !== names[j] || typeof r[key] === 'undefined') break;
        j++;
      }
      if (j === names.length) ok++;
    }
    return ok;
  };
  const strict = (): number => {
    let ok = cheap();
    for (const r of records) {
      if (Object.getOwnPropertyNames(r).length !== names.length || Object.getOwnPropertySymbols(r).length !== 0) ok--;
      for (const name of names) if (!('value' in Object.getOwnPropertyDescriptor(r, name)!)) ok--;
    }
    return ok;
  };
  const samples: Record<'cheap' | 'strict' | 'clone', number[]> = { cheap: [], strict: [], clone: [] };
  const batch: RecordBatch = { kind: 'records', records };
  for (let round = -1; round < ROUNDS; round++) {
    const cheapRate = rate(4096, () => { sink += cheap(); });
    const strictRate = rate(4096, () => { sink += strict(); });
    const cloneRate = rate(4096, () => { sink += (structuredClone(batch) as RecordBatch).records.length; });
    if (round < 0) continue;
    samples.cheap.push(cheapRate);
    samples.strict.push(strictRate);
    samples.clone.push(cloneRate);
  }
  const ns = (r: number): string => (1e9 / r).toFixed(1);
  console.log('\nshape check per record, 4096 x {k: string(8), v, t}: ns/record');
  console.table([
    { check: 'as encodeBatch does (prototype, for-in keys, types)', 'ns/record': ns(median(samples.cheap)) },
    { check: 'strict check (+ own names, symbols, descriptors)', 'ns/record': ns(median(samples.strict)) },
    { check: 'structuredClone of the batch, for scale', 'ns/record': ns(median(samples.clone)) },
  ]);
}

if (sink === 42) console.log('');

// The keyed edge: encode, decode, a Map update per record by its key; without and with the dictionary.
{
  const n = 1024;
  const batches = Array.from({ length: 16 }, (_, b): RecordBatch => ({ kind: 'records', records: SHAPES[0]!.make(n).map((r, i) => ({ ...(r as object), k: WORDS8[(b * 37 + i * 7) % 1000]! })) }));
  const dictionary = new StringDictionary();
  const table: string[] = [];
  for (const batch of batches) {
    const packed = encodeBatch(batch, undefined, dictionary)!;
    if (packed.strings !== undefined) extendTable(table, packed.strings);
  }
  const stateOf = () => new Map<string, { sum: number }>();
  let plainState = stateOf();
  let dictState = stateOf();
  const update = (state: Map<string, { sum: number }>, records: unknown[]): void => {
    for (const r of records as { k: string; v: number }[]) {
      const entry = state.get(r.k);
      if (entry === undefined) state.set(r.k, { sum: r.v });
      else entry.sum += r.v;
    }
  };
  let b = 0;
  let spareA = encodeBatch(batches[0]!)!.buffer;
  let spareB = encodeBatch(batches[0]!)!.buffer;
  let spareC = encodeBatch(batches[0]!)!.buffer;
  let spareD = encodeBatch(batches[0]!)!.buffer;
  // The sending record writer's part too (two downstream subtasks): each key's group from its
  // key-group cache, whose entry the batch then carries as the key's dictionary hint, or not.
  const cache = new KeyGroupCache(128);
  const hintedDictionary = new StringDictionary();
  const hintedTable: string[] = [];
  let writerState = stateOf();
  let hintedState = stateOf();
  const written = (batch: RecordBatch, hinted: boolean): RecordBatch => {
    const records = batch.records as { k: string }[];
    const keys = new Array<string>(n);
    const keyGroups = new Array<number>(n);
    const dictionaryHints = hinted ? new Array(n) : undefined;
    for (let i = 0; i < n; i++) {
      const key = (keys[i] = records[i]!.k);
      keyGroups[i] = cache.groupOf(key);
      if (dictionaryHints !== undefined) dictionaryHints[i] = cache.hint;
    }
    // What the port encodes: the records and their groups (the keys stay behind), with the hints.
    return dictionaryHints === undefined ? { kind: 'records', records, keyGroups } : { kind: 'records', records, keyGroups, dictionaryHints };
  };
  for (const batch of batches) {
    const packed = encodeBatch(written(batch, true), undefined, hintedDictionary)!;
    if (packed.strings !== undefined) extendTable(hintedTable, packed.strings);
  }
  const samples: Record<'plain' | 'dictionary' | 'writer' | 'hinted', number[]> = { plain: [], dictionary: [], writer: [], hinted: [] };
  const bytes = { plain: encodeBatch(batches[0]!)!.buffer.byteLength / n, dictionary: encodeBatch(batches[0]!, undefined, dictionary)!.buffer.byteLength / n };
  // CPU time, not wall clock: on a shared machine this thread is off the CPU for much of a sample.
  const cpuRate = (run: () => void): number => {
    const t0 = process.cpuUsage();
    let iterations = 0;
    let us = 0;
    do {
      run();
      iterations++;
      const t = process.cpuUsage(t0);
      us = t.user + t.system;
    } while (us < SAMPLE_MS * 1000);
    return (iterations * n) / (us / 1e6);
  };
  for (let round = -1; round < 3 * ROUNDS; round++) {
    // Fresh state per round: the receiver's keys are whatever the first batch decoded to.
    plainState = stateOf();
    dictState = stateOf();
    writerState = stateOf();
    hintedState = stateOf();
    const plain = cpuRate(() => {
      const batch = batches[b++ & 15]!;
      update(plainState, decodeBatch((spareA = encodeBatch(batch, spareA)!.buffer)).records);
    });
    const dict = cpuRate(() => {
      const batch = batches[b++ & 15]!;
      const packed = encodeBatch(batch, spareB, dictionary)!;
      spareB = packed.buffer;
      update(dictState, decodeBatch(packed.buffer, table).records);
    });
    const writer = cpuRate(() => {
      const packed = encodeBatch(written(batches[b++ & 15]!, false), spareC, dictionary)!;
      spareC = packed.buffer;
      update(writerState, decodeBatch(packed.buffer, table).records);
    });
    const hinted = cpuRate(() => {
      const packed = encodeBatch(written(batches[b++ & 15]!, true), spareD, hintedDictionary)!;
      spareD = packed.buffer;
      update(hintedState, decodeBatch(packed.buffer, hintedTable).records);
    });
    if (round < 0) continue;
    samples.plain.push(plain);
    samples.dictionary.push(dict);
    samples.writer.push(writer);
    samples.hinted.push(hinted);
  }
  const ns = (r: number): string => (1e9 / r).toFixed(1);
  console.log(`\nkeyed edge, batches of ${n} x {k: string(8) of 1000, v, t}: encode (recycled) + decode + Map update by k; CPU ns/record (one thread), medians of ${3 * ROUNDS} rounds`);
  console.table([
    { codec: 'UTF-8 string table (no dictionary)', 'ns/record': ns(median(samples.plain)), 'bytes/rec': bytes.plain.toFixed(1) },
    { codec: 'channel dictionary (warm)', 'ns/record': ns(median(samples.dictionary)), 'bytes/rec': bytes.dictionary.toFixed(1) },
    { codec: 'dictionary ÷ no dictionary, records per CPU-second (median of per-round ratios)', 'ns/record': `${median(samples.dictionary.map((d, i) => d / samples.plain[i]!)).toFixed(2)}x` },
    { codec: "+ the writer's key groups (cache), dictionary looked up per record", 'ns/record': ns(median(samples.writer)), 'bytes/rec': '' },
    { codec: "+ the writer's key groups (cache), its entries as dictionary hints", 'ns/record': ns(median(samples.hinted)), 'bytes/rec': '' },
    { codec: 'hints ÷ lookup, records per CPU-second (median of per-round ratios)', 'ns/record': `${median(samples.hinted.map((h, i) => h / samples.writer[i]!)).toFixed(2)}x` },
  ]);
}
