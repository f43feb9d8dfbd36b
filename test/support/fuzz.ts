// Seeded fuzzing helpers (issue 17): random values with hostile keys, byte mutations an attacker
// or a damaged disk would make, and the one rule every decoder of outside bytes keeps — it parses,
// or it throws a WeirError with a code.
import assert from 'node:assert/strict';
import { WeirError } from '../../src/errors/index.js';

export type Random = () => number;

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
export const int = (random: Random, below: number): number => Math.floor(random() * below);

/** Length fields an attacker sets: 4 GB, 2 GB, just under, a quarter. */
export const HUGE_U32 = [0x10000, 0x40000000, 0x7fffffff, 0x80000000, 0xffffffff] as const;

const KEYS = ['a', 'b', 'id', '', 'é', '😀', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const STRINGS = ['', 'x', 'héllo', '😀', '\uFEFF', '\0', '__proto__', 'y'.repeat(70), '\uD800'];

export function randomBytes(random: Random, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => int(random, 256));
}

/** An object whose keys are own data properties, '__proto__' included (as JSON.parse makes them). */
export function plainObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** A value the value codec stores, up to `depth` levels, with '__proto__'/'constructor'/'prototype' keys among the others. */
export function randomValue(random: Random, depth = 3): unknown {
  const leaf = depth <= 0;
  switch (int(random, leaf ? 8 : 12)) {
    case 0: return int(random, 400) - 200;
    case 1: return pick(random, [0, -0, NaN, Infinity, -Infinity, 2 ** 53, 1e-300, 0.5, -(2 ** 31), 2 ** 31]);
    case 2: return pick(random, STRINGS);
    case 3: return random() < 0.5;
    case 4: return pick(random, [null, undefined]);
    case 5: return pick(random, [0n, -1n, 2n ** 64n, -(3n ** 50n)]);
    case 6: return new Date(int(random, 2 ** 40));
    case 7: return random() < 0.5 ? randomBytes(random, int(random, 8)) : randomBytes(random, int(random, 8)).buffer;
    case 8: return Array.from({ length: int(random, 5) }, () => randomValue(random, depth - 1));
    case 9: return new Map(Array.from({ length: int(random, 3) }, () => [randomValue(random, 0), randomValue(random, depth - 1)] as const));
    case 10: return new Set(Array.from({ length: int(random, 3) }, () => randomValue(random, 0)));
    default: return plainObject(Array.from({ length: int(random, 5) }, () => [pick(random, KEYS), randomValue(random, depth - 1)] as const));
  }
}

/**
 * One damage to a copy of `bytes`: flipped bits, a byte set, a truncation, bytes appended or
 * inserted, a slice deleted or repeated, or a 32-bit field (at any offset, or a 4-aligned one)
 * set to a huge length.
 */
export function mutateBytes(random: Random, bytes: Uint8Array): Uint8Array {
  let out: Uint8Array = bytes.slice();
  const at = int(random, out.length + 1);
  switch (int(random, 9)) {
    case 0:
      for (let i = 1 + int(random, 3); i > 0 && out.length > 0; i--) out[int(random, out.length)]! ^= 1 << int(random, 8);
      break;
    case 1:
      if (out.length > 0) out[Math.min(at, out.length - 1)] = int(random, 256);
      break;
    case 2:
      out = out.slice(0, at);
      break;
    case 3:
      out = concat(out, randomBytes(random, 1 + int(random, 16)));
      break;
    case 4:
      out = concat(out.subarray(0, at), randomBytes(random, 1 + int(random, 4)), out.subarray(at));
      break;
    case 5:
      out = concat(out.subarray(0, at), out.subarray(at + 1 + int(random, 8)));
      break;
    case 6:
      out = concat(out.subarray(0, at), out.subarray(at, at + 1 + int(random, 16)), out.subarray(at));
      break;
    default: {
      if (out.length < 4) break;
      const offset = int(random, 9) === 7 ? int(random, out.length - 3) : 4 * int(random, Math.floor(out.length / 4));
      new DataView(out.buffer).setUint32(offset, pick(random, HUGE_U32), random() < 0.5);
    }
  }
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A copy of `value` with one field changed as a writer of another version (or an editor) would:
 * removed, given another type, a huge number, a nested container, or a hostile key added.
 */
export function tamperValue(random: Random, value: unknown): unknown {
  const replacement = () => pick(random, [undefined, null, -1, 1.5, 2 ** 60, NaN, '', 'x', true, [], {}, [1, 2], new Map(), new Uint8Array(2), 'jobs/other/chunks/x', randomValue(random, 2)]);
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length === 0 || random() < 0.2) copy.push(replacement());
    else {
      const i = int(random, copy.length);
      copy[i] = random() < 0.6 ? tamperValue(random, copy[i]) : replacement();
    }
    return copy;
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value);
    const i = int(random, entries.length + 1);
    const op = random();
    if (i === entries.length || op < 0.1) entries.push([pick(random, KEYS), replacement()]);
    else if (op < 0.3) entries.splice(i, 1);
    else entries[i] = [entries[i]![0], op < 0.7 ? tamperValue(random, entries[i]![1]) : replacement()];
    return plainObject(entries);
  }
  return replacement();
}

/**
 * Runs `decode`: a parse, or a WeirError with a code (`code` when given) — nothing else. Returns
 * the error, if any, for more checks.
 */
export function parsesOrRefuses<T>(decode: () => T, label: string, code?: string): { value?: T; error?: WeirError } {
  try {
    return { value: decode() };
  } catch (error) {
    assert.ok(error instanceof WeirError, `${label}: only a WeirError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    assert.ok(typeof error.code === 'string' && error.code.length > 0, `${label}: the error carries a code`);
    if (code !== undefined) assert.equal(error.code, code, `${label}: ${error.message}`);
    return { error };
  }
}

export async function parsesOrRefusesAsync<T>(decode: () => Promise<T>, label: string, code?: string): Promise<{ value?: T; error?: WeirError }> {
  try {
    return { value: await decode() };
  } catch (error) {
    return parsesOrRefuses(() => { throw error; }, label, code);
  }
}

/**
 * The size of what a decoder built: nodes, string units and bytes. A decoder whose output is
 * bounded by its input keeps this within a small multiple of the input's length, whatever the
 * length fields claim.
 */
export function measure(value: unknown): number {
  if (typeof value === 'string') return 1 + value.length;
  if (value instanceof Uint8Array) return 1 + value.length;
  if (value instanceof ArrayBuffer) return 1 + value.byteLength;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + measure(v), 1);
  if (value instanceof Map) return [...value].reduce((n: number, [k, v]) => n + measure(k) + measure(v), 1);
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + measure(v), 1);
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) return Object.entries(value).reduce((n, [k, v]) => n + k.length + measure(v), 1);
  return 1;
}

/** Asserts no prototype of this realm was polluted by what was decoded. */
export function assertNoPollution(label: string): void {
  const probe = {} as Record<string, unknown>;
  for (const name of ['polluted', 'x', 'a', 'b', 'id']) assert.equal(probe[name], undefined, `${label}: Object.prototype.${name} is set`);
  assert.equal(([] as unknown as Record<string, unknown>).polluted, undefined, `${label}: Array.prototype was polluted`);
}
