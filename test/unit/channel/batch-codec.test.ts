import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBatch, encodeBatch } from '../../../src/channel/batch-codec.js';
import type { RecordBatch } from '../../../src/channel/channel-message.js';
import { CorruptDataError } from '../../../src/errors/index.js';

const batchOf = (records: unknown[], extra: Partial<RecordBatch> = {}): RecordBatch => ({ kind: 'records', records, ...extra });

/** Encodes, asserts it was encoded, decodes, and asserts the result deep-equals the input (Object.is on values, prototypes, key sets). */
function roundTrip(batch: RecordBatch): RecordBatch {
  const packed = encodeBatch(batch);
  assert.ok(packed !== undefined, 'expected the batch to be encoded');
  assert.ok(packed.buffer instanceof ArrayBuffer);
  const decoded = decodeBatch(packed.buffer);
  assert.deepStrictEqual(decoded, batch);
  return decoded;
}

const refuses = (records: unknown[], extra: Partial<RecordBatch> = {}) =>
  assert.equal(encodeBatch(batchOf(records, extra)), undefined);

const EDGE_NUMBERS = [
  0, -0, 1, -1, 0.1, -2.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE,
  Number.EPSILON, 2 ** 53, 2 ** 53 + 2, -(2 ** 60), 2 ** 64 + 4096, 1e308, 1e-308, 2 ** 31, -(2 ** 31) - 1, 123456789.123,
];
const EDGE_STRINGS = [
  '', 'a', '\0', 'héllo', '日本語', '😀', 'a😀b😀', '\uFEFFstarts with a BOM', 'x'.repeat(12), 'y'.repeat(13),
  'mixed ß 字 🎉 end', '\u{10FFFF}', '\uFFFF', 'z'.repeat(100_000), 'ü'.repeat(40_000),
];

describe('encodeBatch / decodeBatch round trips', () => {
  it('a batch of numbers keeps -0, NaN, ±Infinity, extremes and integers beyond 2^53', () => {
    const decoded = roundTrip(batchOf([...EDGE_NUMBERS]));
    assert.ok(Object.is(decoded.records[1], -0));
    assert.ok(Number.isNaN(decoded.records[6]));
  });

  it('a batch of strings keeps empty, astral, BOM-first, 12/13-unit and very long strings', () => {
    roundTrip(batchOf([...EDGE_STRINGS]));
  });

  it('a string starting with U+FEFF keeps it at the very start of the string table', () => {
    roundTrip(batchOf(['\uFEFF', '\uFEFFb']));
    roundTrip(batchOf([{ '\uFEFFname': '\uFEFFvalue' }]));
  });

  it('a batch of booleans round-trips', () => {
    roundTrip(batchOf([true, false, false, true]));
  });

  it('an empty batch round-trips, with and without keys and key groups', () => {
    roundTrip(batchOf([]));
    roundTrip(batchOf([], { keys: [], keyGroups: [] }));
  });

  it('a single record of each shape round-trips', () => {
    roundTrip(batchOf([42]));
    roundTrip(batchOf(['one']));
    roundTrip(batchOf([false]));
    roundTrip(batchOf([{ k: 'one', v: 1, ok: true }]));
  });

  it('objects with number, string and boolean fields keep every edge value', () => {
    const records = EDGE_NUMBERS.map((n, i) => ({ k: EDGE_STRINGS[i % EDGE_STRINGS.length]!, v: n, t: i, ok: i % 3 === 0 }));
    const decoded = roundTrip(batchOf(records));
    assert.ok(Object.is((decoded.records[1] as { v: number }).v, -0));
  });

  it('decoded objects are plain, extensible and independent of each other', () => {
    const decoded = roundTrip(batchOf([{ a: 1 }, { a: 2 }]));
    const [r0, r1] = decoded.records as { a: number }[];
    assert.equal(Object.getPrototypeOf(r0), Object.prototype);
    r0!.a = 10;
    assert.equal(r1!.a, 2);
  });

  it('objects without fields, with integer-like keys, an empty-string key or unicode keys round-trip', () => {
    roundTrip(batchOf([{}, {}, {}]));
    roundTrip(batchOf([{ 0: 'zero', 10: 1, a: true }, { 0: '', 10: 2, a: false }]));
    roundTrip(batchOf([{ '': 1, 'ключ 🔑': 'v' }]));
  });

  it('fields named as Object.prototype\'s methods and accessors become own data properties of every shape size', () => {
    for (let width = 1; width <= 10; width++) {
      const names = ['toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__lookupSetter__', 'x', 'y'].slice(0, width);
      const decoded = roundTrip(batchOf([0, 1, 2].map((i) => Object.fromEntries(names.map((n, j) => [n, i * 10 + j])))));
      for (const r of decoded.records) for (const n of names) assert.ok(Object.getOwnPropertyDescriptor(r, n)?.writable, `${width} fields: ${n} is an own data property`);
    }
  });

  it('a field Object.prototype has as a setter (non-enumerable, so encodable) is defined, never set: the setter is not called', () => {
    let calls = 0;
    Object.defineProperty(Object.prototype, 'weirTrap', { set: () => void calls++, get: () => 'inherited', configurable: true, enumerable: false });
    Object.defineProperty(Object.prototype, 'weirFrozen', { value: 'inherited', writable: false, configurable: true, enumerable: false });
    try {
      const records = [{ weirTrap: 1, weirFrozen: 'a', v: 2 }, { weirTrap: 3, weirFrozen: 'b', v: 4 }].map((r) => {
        const o = {};
        for (const [k, v] of Object.entries(r)) Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
        return o;
      });
      const packed = encodeBatch(batchOf(records));
      assert.ok(packed !== undefined);
      const decoded = decodeBatch(packed.buffer).records as Record<string, unknown>[];
      assert.equal(calls, 0, 'decoding never ran the setter');
      assert.deepEqual(decoded.map((r) => [r.weirTrap, r.weirFrozen, r.v]), [[1, 'a', 2], [3, 'b', 4]]);
      for (const r of decoded) assert.deepEqual(Object.keys(r), ['weirTrap', 'weirFrozen', 'v']);
    } finally {
      delete (Object.prototype as Record<string, unknown>).weirTrap;
      delete (Object.prototype as Record<string, unknown>).weirFrozen;
    }
  });

  it('objects with more fields than the specialised builders (8) round-trip', () => {
    const wide = (i: number) => Object.fromEntries(Array.from({ length: 13 }, (_, j) => [`f${j}`, j % 3 === 0 ? `s${i}-${j}` : j % 3 === 1 ? i * j + 0.5 : (i + j) % 2 === 0]));
    roundTrip(batchOf(Array.from({ length: 50 }, (_, i) => wide(i))));
  });

  it('records whose keys come in another order decode in the first record\'s key order', () => {
    const decoded = roundTrip(batchOf([{ a: 1, b: 'x', c: true }, { c: false, a: 2, b: 'y' }, { a: 3, c: true, b: 'z' }]));
    for (const r of decoded.records) assert.deepEqual(Object.keys(r as object), ['a', 'b', 'c']);
  });

  it('number, string and boolean keys and Uint16 and Int32 key groups round-trip', () => {
    const records = [{ v: 1 }, { v: 2 }, { v: 3 }];
    roundTrip(batchOf(records, { keys: [1.5, -0, NaN], keyGroups: [0, 65535, 7] }));
    roundTrip(batchOf(records, { keys: ['a', '', 'ü😀'.repeat(20)], keyGroups: [-1, 2 ** 31 - 1, -(2 ** 31)] }));
    roundTrip(batchOf(records, { keys: [true, false, true] }));
    roundTrip(batchOf(['x', 'y', 'z'], { keys: ['x', 'y', 'z'], keyGroups: [65536, 0, 1] }));
  });

  it('a string table larger than one segment (16 K units), ASCII and not, round-trips', () => {
    const records = Array.from({ length: 20_000 }, (_, i) => ({ k: `key-${i}-${i % 7 === 0 ? 'ß😀' : 'plain'}`, v: i }));
    roundTrip(batchOf(records, { keys: records.map((r) => r.k) }));
  });

  it('short ASCII strings written byte by byte, mixed with longer and non-ASCII ones, round-trip across segment ends (seeded)', () => {
    let seed = 0x9e3779b9;
    const next = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pieces = ['a', 'Z', '0', '~', ' ', 'é', '字', '😀', '\u007f', '\u0080'];
    const text = (): string => {
      const length = [0, 1, 7, 8, 31, 32, 33, 200][next(8)]!;
      const ascii = next(4) !== 0;
      let s = '';
      while (s.length < length) s += ascii ? pieces[next(5)] : pieces[next(pieces.length)];
      return s;
    };
    for (let round = 0; round < 3; round++) {
      const records = Array.from({ length: 800 + next(800) }, () => ({ a: text(), n: next(1000), b: text() }));
      roundTrip(batchOf(records, { keys: records.map((r) => r.b) }));
    }
    // Exactly one segment (16 K units) of 8-unit ASCII strings, then one more string: the segment closes on the boundary.
    const exact = Array.from({ length: 2049 }, (_, i) => `k${String(i).padStart(7, '0')}`);
    roundTrip(batchOf(exact));
    roundTrip(batchOf([...exact.slice(0, 2047), 'ß'.repeat(9), ...exact.slice(0, 3)]));
  });

  it('encodes a huge batch and then a small one correctly (scratch reuse)', () => {
    roundTrip(batchOf(Array.from({ length: 300_000 }, (_, i) => ({ k: String(i), v: i / 3 }))));
    roundTrip(batchOf([{ k: 'small', v: 1 }]));
  });

  it('decoded records do not depend on the buffer: detaching it after decoding changes nothing', () => {
    const batch = batchOf([{ k: 'a-long-string-value', v: 1 }, { k: 'b', v: 2 }], { keys: ['k1', 'k2'], keyGroups: [3, 4] });
    const { buffer } = encodeBatch(batch)!;
    const decoded = decodeBatch(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    assert.equal(buffer.byteLength, 0);
    assert.deepStrictEqual(decoded, batch);
  });

  it('writes into a spare buffer that is large enough, whatever it held, and returns that buffer', () => {
    const spare = new ArrayBuffer(64 * 1024);
    new Uint8Array(spare).fill(0xff);
    const batch = batchOf([{ k: 'ü-long-enough-string', v: -0, ok: true }, { k: '', v: NaN, ok: false }], { keys: ['a', 'b'], keyGroups: [1, 2] });
    const packed = encodeBatch(batch, spare)!;
    assert.equal(packed.buffer, spare);
    assert.deepStrictEqual(decodeBatch(packed.buffer), batch);
    // The buffer of a decoded batch serves again, for a batch of another shape.
    const next = batchOf(['x', 'y']);
    assert.equal(encodeBatch(next, packed.buffer)!.buffer, spare);
    assert.deepStrictEqual(decodeBatch(spare), next);
  });

  it('allocates when the spare buffer is too small or detached, and leaves the spare alone', () => {
    const batch = batchOf(Array.from({ length: 100 }, (_, i) => ({ k: `k${i}`, v: i })));
    const small = new ArrayBuffer(64);
    new Uint8Array(small).fill(7);
    const packed = encodeBatch(batch, small)!;
    assert.notEqual(packed.buffer, small);
    assert.deepStrictEqual(decodeBatch(packed.buffer), batch);
    assert.deepEqual([...new Uint8Array(small)], new Array(64).fill(7));
    const detached = new ArrayBuffer(1 << 16);
    structuredClone(detached, { transfer: [detached] });
    assert.deepStrictEqual(decodeBatch(encodeBatch(batch, detached)!.buffer), batch);
  });

  it('stays correct when a getter in a later record encodes another batch meanwhile', () => {
    // Getters are checked on the first record only (see batch-codec.ts); this one runs during encoding.
    const inner = batchOf([{ k: 'inner', v: -1 }]);
    let innerPacked: ArrayBuffer | undefined;
    const sneaky = { k: 'b', get v() { innerPacked = encodeBatch(inner)!.buffer; return 2; } };
    const packed = encodeBatch(batchOf([{ k: 'a', v: 1 }, sneaky, { k: 'c', v: 3 }]))!;
    assert.deepStrictEqual(decodeBatch(packed.buffer).records, [{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'c', v: 3 }]);
    assert.deepStrictEqual(decodeBatch(innerPacked!), inner);
  });
});

describe('encodeBatch refuses what it cannot encode exactly', () => {
  class Point { constructor(readonly x: number) {} }

  it('records that are not all numbers, all strings, all booleans or all plain objects', () => {
    refuses([1, '1']);
    refuses(['a', true]);
    refuses([{ a: 1 }, 1]);
    refuses([1, { a: 1 }]);
    refuses([null]);
    refuses([undefined]);
    refuses([1n]);
    refuses([Symbol('s')]);
    refuses([() => 1]);
  });

  it('Dates, arrays, Maps, class instances, null-prototype objects and objects with another prototype', () => {
    refuses([new Date(0)]);
    refuses([[1, 2]]);
    refuses([new Map([[1, 2]])]);
    refuses([new Point(1)]);
    refuses([Object.assign(Object.create(null), { a: 1 })]);
    refuses([Object.assign(Object.create({}), { a: 1 })]);
    // The same, as a later record (the per-record check is cheaper than the first record's).
    refuses([{ x: 1 }, new Point(2)]);
    refuses([{ a: 1 }, Object.assign(Object.create(null), { a: 1 })]);
    refuses([{ a: 1 }, Object.assign(Object.create({}), { a: 1 })]);
    refuses([{ a: 1 }, Object.assign(Object.create({ b: 2 }), { a: 1 })]);
    refuses([{ length: 1 }, [1]]);
  });

  it('fields that are nested objects, arrays, Maps, Dates, bigint, null or undefined', () => {
    for (const bad of [{ x: 1 }, [1], new Map(), new Date(0), 1n, null, undefined, Symbol('s')]) {
      refuses([{ a: bad }]);
      refuses([{ a: 1 }, { a: bad }]);
    }
  });

  it('a record with an extra key, a missing key or a renamed key', () => {
    refuses([{ a: 1, b: 2 }, { a: 1, b: 2, c: 3 }]);
    refuses([{ a: 1, b: 2 }, { a: 1 }]);
    refuses([{ a: 1, b: 2 }, { b: 1 }]);
    refuses([{ a: 1, b: 2 }, { a: 1, c: 2 }]);
    refuses([{ a: 1, b: 2 }, { b: 2, c: 1 }]); // another order and a renamed key
    refuses([{ a: 1, b: 2 }, { b: 2, a: 1, c: 3 }]);
    refuses([{ a: 1 }, {}]);
    refuses([{}, { a: 1 }]);
    // A schema key present but not enumerable, in a record whose keys come in another order.
    refuses([{ a: 1, b: 2 }, Object.defineProperty({ b: 2, c: 3 }, 'a', { value: 1, enumerable: false })]);
  });

  it('a field that changes type mid-batch, in either key order', () => {
    refuses([{ a: 1, b: 'x' }, { a: 2, b: 'y' }, { a: '3', b: 'z' }]);
    refuses([{ a: 1, b: 'x' }, { b: 'y', a: true }]);
    refuses([{ a: true }, { a: 0 }]);
  });

  it('a first record with a getter, a non-enumerable own property or a symbol key', () => {
    refuses([{ get a() { return 1; } }]);
    refuses([Object.defineProperty({ a: 1 }, 'hidden', { value: 2, enumerable: false })]);
    refuses([{ a: 1, [Symbol('s')]: 2 }]);
  });

  it('a record missing a key that Object.prototype has, enumerable, after someone polluted it', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['p'] = 5;
    try {
      refuses([{ a: 1, p: 2 }, { a: 1 }]);
    } finally {
      delete proto['p'];
    }
    roundTrip(batchOf([{ a: 1, p: 2 }, { a: 1, p: 3 }])); // and works again once it is clean
  });

  it('a __proto__ own key', () => {
    refuses([JSON.parse('{"__proto__": 1, "a": 2}')]);
  });

  it('any string with a lone surrogate, in a record, a field, a key or a field name', () => {
    refuses(['\uD800']);
    refuses(['a\uDC00b']);
    refuses(['ok', 'ends high \uD83D']);
    refuses(['\uD83D', '\uDE00']); // together they would form a valid pair in the table
    refuses(['\uDE00\uD83D']);
    refuses([{ k: 'fine' }, { k: 'x\uD800y' }]);
    refuses([{ ['bad\uDC00name']: 1 }]);
    refuses([1], { keys: ['\uD800'] });
    // Lone surrogates in a later segment of the table, after 16 K ASCII units.
    refuses([...Array.from({ length: 3000 }, () => 'abcdefgh'), '\uDFFF']);
  });

  it('keys that are bigint, mixed or of another length than the records', () => {
    refuses([1, 2], { keys: [1, 2, 3] });
    refuses([1, 2], { keys: [1n, 2n] });
    refuses([1, 2], { keys: [1, 'b'] });
    refuses([1, 2], { keys: ['a', true] });
    refuses([1, 2], { keys: [1] });
    refuses([1, 2], { keys: [null, null] as never });
  });

  it('key groups that are not int32 integers, -0, or of another length', () => {
    for (const bad of [1.5, -0, NaN, 2 ** 31, -(2 ** 31) - 1, Infinity, '3']) refuses([1, 2], { keyGroups: [0, bad] as number[] });
    refuses([1, 2], { keyGroups: [0] });
    refuses([1, 2], { keyGroups: [0, 1, 2] });
  });

  it('records that are not an array, or an array with holes', () => {
    assert.equal(encodeBatch({ kind: 'records', records: new Float64Array(2) as unknown as unknown[] }), undefined);
    refuses([1, , 3]);
    refuses([{ a: 1 }, , { a: 3 }]);
  });
});

describe('decodeBatch', () => {
  it('throws CorruptDataError for a buffer it did not encode', () => {
    assert.throws(() => decodeBatch(new ArrayBuffer(3)), CorruptDataError);
    assert.throws(() => decodeBatch(new Uint32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).buffer), CorruptDataError);
  });

  it('throws CorruptDataError for a truncated or inconsistent packed batch', () => {
    const { buffer } = encodeBatch(batchOf([{ k: 'abc', v: 1 }, { k: 'def', v: 2 }]))!;
    assert.throws(() => decodeBatch(buffer.slice(0, 40)), CorruptDataError);
    const bad = buffer.slice(0);
    new Uint32Array(bad)[1] = 1_000_000; // record count far beyond the columns
    assert.throws(() => decodeBatch(bad), CorruptDataError);
  });
});

describe('random batches', () => {
  /** mulberry32: small, seeded, good enough to pick test cases. */
  function prng(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('1000 random batches of random supported shapes round-trip exactly (seed 20261127)', () => {
    const random = prng(20261127);
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const CODE_POINT_RANGES: [number, number][] = [[0x20, 0x7f], [0, 0x20], [0x80, 0x800], [0x800, 0xd800], [0xe000, 0x10000], [0x10000, 0x110000]];
    const randomString = (): string => {
      const length = random() < 0.05 ? 13 + int(300) : int(16);
      const ascii = random() < 0.6;
      let s = '';
      for (let i = 0; i < length; i++) {
        const [lo, hi] = ascii ? CODE_POINT_RANGES[0]! : pick(CODE_POINT_RANGES);
        s += String.fromCodePoint(lo + int(hi - lo));
      }
      return s;
    };
    const randomNumber = (): number =>
      random() < 0.3 ? pick(EDGE_NUMBERS) : random() < 0.5 ? int(2000) - 1000 : (random() - 0.5) * 10 ** (int(40) - 20);
    const value = (kind: string): unknown => (kind === 'number' ? randomNumber() : kind === 'string' ? randomString() : random() < 0.5);
    const KINDS = ['number', 'string', 'boolean'];

    for (let round = 0; round < 1000; round++) {
      const n = random() < 0.1 ? int(3) : random() < 0.9 ? int(64) : 500 + int(3000);
      let records: unknown[];
      let names: string[] = [];
      if (random() < 0.3) {
        const kind = pick(KINDS);
        records = Array.from({ length: n }, () => value(kind));
      } else {
        const fields = int(13);
        names = [...new Set(Array.from({ length: fields }, () => (random() < 0.2 ? String(int(20)) : randomString())))].filter((s) => s !== '__proto__');
        const kinds = names.map(() => pick(KINDS));
        records = Array.from({ length: n }, () => {
          const order = random() < 0.1 ? [...names.keys()].sort(() => random() - 0.5) : [...names.keys()];
          const r: Record<string, unknown> = {};
          for (const j of order) r[names[j]!] = value(kinds[j]!);
          return r;
        });
      }
      const extra: Partial<RecordBatch> = {};
      if (random() < 0.5) {
        const keyKind = pick(KINDS);
        (extra as { keys: unknown[] }).keys = Array.from({ length: n }, () => value(keyKind));
      }
      if (random() < 0.5) {
        const wide = random() < 0.3;
        (extra as { keyGroups: number[] }).keyGroups = Array.from({ length: n }, () => (wide ? int(2 ** 32) - 2 ** 31 : int(32768)));
      }
      const batch = batchOf(records, extra);
      const packed = encodeBatch(batch);
      assert.ok(packed !== undefined, `round ${round}: expected the batch to be encoded`);
      const decoded = decodeBatch(packed.buffer);
      assert.deepStrictEqual(decoded, batch, `round ${round}`);
      if (records.length > 0 && names.length > 0) {
        const firstOrder = Object.keys(records[0] as object);
        for (const r of decoded.records) assert.deepEqual(Object.keys(r as object), firstOrder, `round ${round}: key order`);
      }
    }
  });
});
