// The shapes Deno KV storage reads and writes, its limits, and what Weir uses of a Deno.Kv
// (structural types: this file names no Deno global, so it compiles and tests anywhere).
import { CorruptDataError } from '../../errors/index.js';

export type KvKeyPart = Uint8Array | string | number | bigint | boolean | symbol; // symbol: Deno.KvKeyPart has it (Weir never writes one)
export type KvKey = readonly KvKeyPart[];

export interface KvEntryMaybe {
  readonly key: KvKey;
  readonly value: unknown;
  readonly versionstamp: string | null;
}

export interface KvAtomicOperationLike {
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomicOperationLike;
  set(key: KvKey, value: unknown): KvAtomicOperationLike;
  delete(key: KvKey): KvAtomicOperationLike;
  commit(): Promise<{ ok: boolean }>;
}

/** What Weir uses of a `Deno.Kv`. */
export interface DenoKvLike {
  get(key: KvKey): Promise<KvEntryMaybe>;
  getMany(keys: readonly KvKey[]): Promise<KvEntryMaybe[]>;
  list(selector: { prefix: KvKey } | { start: KvKey; end: KvKey }, options?: { batchSize?: number }): AsyncIterable<{ key: KvKey; value: unknown }>;
  atomic(): KvAtomicOperationLike;
}

/** Deno KV's limits (EDGE.md, verified on deno 2.9.6) and the margins Weir keeps below them. */
export const KV_LIMITS = {
  /** Raw bytes per part: a value holds ≤ 65,536 bytes. */
  partBytes: 60 * 1024,
  /** Parts per atomic operation: 12 × 60 KiB stays below its 819,200 bytes. */
  partsPerAtomic: 12,
  /** A value up to this size lives in its head (with a few bytes of framing, under 64 KiB). */
  inlineBytes: 60 * 1024,
  /** Bytes of keys and inline values one commit may carry (its limit: 819,200). */
  commitBudgetBytes: 700_000,
  /** Records per metadata batch: each costs up to 3 mutations of the 1,000 an atomic operation allows. */
  recordsPerBatch: 300,
  /** An atomic operation checks at most 100 versionstamps. */
  checksPerAtomic: 100,
  deletesPerAtomic: 500,
  getMany: 10,
  listBatch: 1000,
  /** Encoded storage key bytes; a KV key (with the prefix and framing) holds ≤ 2,048. */
  keyBytes: 1900,
} as const;

/** A record's head: its bytes inline (`b`), or the version (`v`), part count (`n`) and size (`s`) of its parts. */
export type Head = { readonly b: Uint8Array; readonly v?: undefined; readonly n?: undefined; readonly s?: undefined } | { readonly b?: undefined; readonly v: string; readonly n: number; readonly s: number };

/** Checks a stored head's shape: data of another version or tampered with is refused, naming the key. */
export function parseHead(value: unknown, key: string): Head {
  const h = value as Partial<{ b: unknown; v: unknown; n: unknown; s: unknown }> | null;
  if (typeof h === 'object' && h !== null) {
    if (h.b instanceof Uint8Array) return { b: h.b };
    if (typeof h.v === 'string' && Number.isSafeInteger(h.n) && (h.n as number) > 0 && Number.isSafeInteger(h.s) && (h.s as number) >= 0) {
      return { v: h.v, n: h.n as number, s: h.s as number };
    }
  }
  throw new CorruptDataError(`deno-kv storage: the stored record ${JSON.stringify(key)} is not a Weir record`, { key, backend: 'deno-kv' });
}

export function splitParts(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += KV_LIMITS.partBytes) parts.push(bytes.subarray(offset, offset + KV_LIMITS.partBytes));
  return parts;
}

/** The parts in order, checked to add up to the size the head promised. */
export function joinParts(parts: readonly Uint8Array[], size: number, key: string): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  if (total !== size) throw new CorruptDataError(`deno-kv storage: the parts of ${JSON.stringify(key)} hold ${total} bytes, its head says ${size}`, { key, backend: 'deno-kv' });
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
