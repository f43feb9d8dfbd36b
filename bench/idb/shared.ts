// What the checkpoint-to-IndexedDB benchmark's driver (bench/checkpoint-idb.bench.ts), its page
// (bench/idb/app.ts) and its job module (bench/idb/state.job.ts) share: the job's parameters, the
// keys and their values, Weir's key-group function replicated (to choose keys by key group),
// and the names of the two BroadcastChannels between the page and the job's worker.
// No imports: the page, the job module (in the page and in the worker) and Node all bundle it.

/** The job module's parameters, carried in its URL query (every worker imports the same URL). */
export interface StateParams {
  readonly name: string;
  /** Keys k0 … k{keys-1}, each holding one string of `valueChars` ASCII characters in ValueState. */
  readonly keys: number;
  readonly valueChars: number;
}

export function stateParams(query: URLSearchParams): StateParams {
  return {
    name: query.get('name') ?? 'ckpt-idb',
    keys: Number(query.get('keys') ?? 10_000),
    valueChars: Number(query.get('valueChars') ?? 100),
  };
}

export function stateQuery(p: StateParams): string {
  return new URLSearchParams({ name: p.name, keys: String(p.keys), valueChars: String(p.valueChars) }).toString();
}

/** Page → source reader: run one pass over a set of keys (new values for each), then an 'end' marker. */
export interface PassCommand {
  readonly cmd: 'pass';
  readonly pass: number;
  readonly which: KeySet;
}

/** 'all': every key; 'uniform': every 100th key (1 %, spread over every key group);
 * 'concentrated': 1 % of the keys, all of them in key groups CONCENTRATED_GROUPS. */
export type KeySet = 'all' | 'uniform' | 'concentrated';

/** Key groups 0 and 1 hold 2/128 ≈ 1.6 % of the keys, so 1 % fits, inside one span of 8 key groups. */
export const CONCENTRATED_GROUPS: readonly number[] = [0, 1];
export const CHANGED_FRACTION = 0.01;

/** Keyed function → page. 'first': the first record this subtask processed since it started (or restored). */
export type Report =
  | { readonly kind: 'first'; readonly at: number; readonly restored: boolean }
  | { readonly kind: 'pass-done'; readonly pass: number; readonly at: number; readonly updated: number };

export const commandChannel = (job: string): string => `weir-bench-idb:${job}:cmd`;
export const reportChannel = (job: string): string => `weir-bench-idb:${job}:report`;

/** The record the source emits: a value for key k, or a marker. */
export interface Rec {
  readonly k: string;
  readonly v?: string;
  readonly m?: 'hello' | 'end';
  readonly pass: number;
}

export const keyName = (i: number): string => `k${i}`;

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const codes: number[] = [];

/**
 * A pseudo-random string of `chars` characters of [0-9a-z] for (key, pass): different for every
 * key and pass, and about as incompressible as random base-36 text (the raw baseline writes
 * random base-36 bytes, so neither side gains from IndexedDB's value compression). Made in one
 * String.fromCharCode call, so it is a flat string, as a value parsed from JSON or received from a
 * worker is (a string built with += is a rope, which the encoder would flatten first).
 */
export function makeValue(i: number, pass: number, chars: number): string {
  let x = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(pass + 1, 0x85ebca6b)) | 1;
  codes.length = chars;
  for (let j = 0; j < chars; j++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    codes[j] = BASE36.charCodeAt((x >>> 0) % 36);
  }
  return String.fromCharCode.apply(null, codes);
}

// ---- Weir's key groups, replicated from src/graph/key-groups.ts (FNV-1a, then murmur3 fmix32) ----

export const MAX_PARALLELISM = 128;
export const KEY_GROUPS_PER_SPAN = 8;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Weir's keyGroupOf for a string key at the default max parallelism. */
export function keyGroupOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h) % MAX_PARALLELISM;
}

/** The key indices a pass touches. */
export function keysOf(which: KeySet, keys: number): number[] {
  const out: number[] = [];
  if (which === 'all') {
    for (let i = 0; i < keys; i++) out.push(i);
  } else if (which === 'uniform') {
    for (let i = 0; i < keys; i += Math.round(1 / CHANGED_FRACTION)) out.push(i);
  } else {
    const want = Math.max(1, Math.round(keys * CHANGED_FRACTION));
    for (let i = 0; i < keys && out.length < want; i++) if (CONCENTRATED_GROUPS.includes(keyGroupOf(keyName(i)))) out.push(i);
  }
  return out;
}

/** How many keys fall in each span of 8 key groups (the chunks Weir writes at parallelism 1). */
export function keysPerSpan(indices: Iterable<number>): number[] {
  const spans = new Array<number>(MAX_PARALLELISM / KEY_GROUPS_PER_SPAN).fill(0);
  for (const i of indices) spans[Math.floor(keyGroupOf(keyName(i)) / KEY_GROUPS_PER_SPAN)]!++;
  return spans;
}
