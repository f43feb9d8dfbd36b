import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { appendWith, decodeValue, encodeValue, MAX_VALUE_DEPTH } from '../../../src/state/value-codec.js';
import { CorruptDataError, InvalidArgumentError } from '../../../src/errors/index.js';

function roundTrip<T>(value: T): T {
  return decodeValue(encodeValue(value)) as T;
}

function assertRoundTrips(value: unknown): void {
  assert.deepStrictEqual(roundTrip(value), value);
}

function assertRejected(value: unknown, message: string, path: string): void {
  assert.throws(
    () => encodeValue(value),
    (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(error)}`);
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.equal(error.argument, 'value');
      assert.equal(error.message, `value: ${message} cannot be stored in state (at ${path})`);
      assert.equal(error.details.path, path);
      return true;
    },
  );
}

describe('value codec', () => {
  it('round-trips undefined, null and booleans', () => {
    for (const v of [undefined, null, true, false]) assert.equal(roundTrip(v), v);
  });

  it('round-trips numbers at every width boundary, and keeps -0, NaN and the infinities', () => {
    const numbers = [0, 1, 127, 128, 255, 256, -1, -128, -129, 32767, 32768, -32768, -32769, 2 ** 31 - 1, -(2 ** 31), 2 ** 31,
      -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 0.1, -2.5, 1e300, Number.MIN_VALUE, Number.MAX_VALUE, Number.EPSILON,
      -0, NaN, Infinity, -Infinity, 1732700000000];
    for (const n of numbers) assert.ok(Object.is(roundTrip(n), n), `number ${n}`);
  });

  it('writes small integers compactly and other numbers as float64', () => {
    assert.equal(encodeValue(5).length, 1);
    assert.equal(encodeValue(-5).length, 2);
    assert.equal(encodeValue(1000).length, 3);
    assert.equal(encodeValue(100000).length, 5);
    assert.equal(encodeValue(0.5).length, 9);
    assert.equal(encodeValue(-0).length, 9);
  });

  it('round-trips bigints inside and beyond 64 bits, of both signs', () => {
    const values = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n, 0xfn << 100n,
      -(2n ** 200n) - 12345n, 10n ** 80n + 7n];
    for (const v of values) assert.equal(roundTrip(v), v);
  });

  it('round-trips the empty string, ASCII of every header size, multi-byte and astral characters', () => {
    const strings = ['', 'a', 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(300), 'y'.repeat(100_000), 'héllo', '日本語',
      '😀', 'a😀b', '𝄞 clef', 'é'.repeat(21), 'é'.repeat(22), '€'.repeat(85), '€'.repeat(86), 'mixed ascii then ü',
      '\0', 'nul\0inside', 'k'.repeat(15), 'k'.repeat(16), 'ünïcödé'.repeat(1000)];
    for (const s of strings) assert.equal(roundTrip(s), s, JSON.stringify(s.slice(0, 20)));
  });

  it('writes a long string as the format says, whichever way the encoder takes: ASCII and UTF-8 under T_STR32, ill-formed UTF-16 as T_STR16', () => {
    const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    const utf8 = (s: string) => [...new TextEncoder().encode(s)];
    const rope = `${12345}:${'x'.repeat(999)}`; // a concatenation V8 keeps as a rope until it is read
    for (const s of ['x'.repeat(255), 'x'.repeat(256), rope, '€'.repeat(86), 'a😀'.repeat(200)]) {
      const expected = s.length < 64 && utf8(s).length < 64 ? [0x40 | utf8(s).length, ...utf8(s)] : s.length < 256 && utf8(s).length < 256 && !/[^\x00-\x7f]/.test(s) ? [0x0a, s.length, ...utf8(s)] : [0x0b, ...u32(utf8(s).length), ...utf8(s)];
      assert.deepEqual([...encodeValue(s)], expected, `${s.length} chars of ${JSON.stringify(s.slice(0, 3))}`);
    }
    const lone = 'x\uD800y'.repeat(100);
    const units = Array.from({ length: lone.length }, (_, i) => [lone.charCodeAt(i) & 0xff, lone.charCodeAt(i) >>> 8]).flat();
    assert.deepEqual([...encodeValue(lone)], [0x0c, ...u32(lone.length), ...units]);
  });

  it('keeps a leading byte order mark', () => {
    assert.equal(roundTrip('\uFEFFabc'), '\uFEFFabc');
    assert.equal(roundTrip('\uFEFF'), '\uFEFF');
  });

  it('keeps lone surrogates exactly rather than replacing them with U+FFFD', () => {
    const strings = ['\uD800', '\uDC00', 'a\uD83D', '\uDE00\uD83D', 'x\uD800y'.repeat(5000), '😀\uD800😀'];
    for (const s of strings) assert.equal(roundTrip(s), s);
    const map = new Map([['\uD800', 1], ['\uD801', 2]]);
    assert.deepStrictEqual(roundTrip(map), map, 'two keys must not collapse into one');
  });

  it('round-trips dense arrays, including undefined items, nesting and 100k items', () => {
    assertRoundTrips([]);
    assertRoundTrips([1, 'two', [3, [4, [5]]], undefined, null]);
    assertRoundTrips(Array.from({ length: 16 }, (_, i) => i));
    assertRoundTrips(Array.from({ length: 100_000 }, (_, i) => (i % 3 === 0 ? i * 1.5 : `s${i}`)));
  });

  it('round-trips plain objects with any number of keys, in key order', () => {
    assertRoundTrips({});
    assertRoundTrips({ a: 1, nested: { b: [true, { c: 'd' }] } });
    for (const keys of [15, 16, 17, 1000]) assertRoundTrips(Object.fromEntries(Array.from({ length: keys }, (_, i) => [`key${i}`, i])));
    assertRoundTrips({ 'with space': 1, '': 2, 'ünï': 3, 10: 'numeric', 2: 'first' });
    assert.deepStrictEqual(Object.keys(roundTrip({ b: 1, a: 2, 1: 3 })), ['1', 'b', 'a']);
  });

  it('restores an own "__proto__" key as data, without changing the prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const decoded = roundTrip(value);
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepStrictEqual(Object.keys(decoded), ['__proto__', 'x']);
    assert.equal((decoded as { polluted?: unknown }).polluted, undefined);
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value, { polluted: true });
  });

  it('decodes a null-prototype object as an ordinary object with the same entries', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    const decoded = roundTrip(value);
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepStrictEqual({ ...decoded }, { a: 1 });
  });

  it('round-trips Maps with string, number and object keys, keeping structurally equal keys apart', () => {
    assertRoundTrips(new Map());
    assertRoundTrips(new Map<unknown, unknown>([['a', 1], [2, 'b'], [null, new Map([[true, [1]]])]]));
    const map = new Map([[{ id: 1 }, 'first'], [{ id: 1 }, 'second'], [[1, 2], 'array key']]);
    const decoded = roundTrip(map);
    assert.equal(decoded.size, 3);
    assert.deepStrictEqual([...decoded], [...map]);
  });

  it('round-trips Sets, Dates (invalid ones too), Uint8Arrays and ArrayBuffers', () => {
    assertRoundTrips(new Set([1, 'a', { b: 2 }, new Set([3])]));
    assertRoundTrips(new Date(1732700000123));
    assertRoundTrips(new Date(-86400000));
    assert.ok(Number.isNaN(roundTrip(new Date(NaN)).getTime()));
    assertRoundTrips(new Uint8Array(0));
    assertRoundTrips(new Uint8Array([0, 1, 255, 128]));
    assertRoundTrips(new Uint8Array([1, 2, 3, 4]).buffer);
    assertRoundTrips(new ArrayBuffer(0));
  });

  it('writes only the viewed bytes of a Uint8Array, and decodes a Node Buffer as a plain Uint8Array', () => {
    const view = new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 3);
    assert.deepStrictEqual(roundTrip(view), new Uint8Array([8, 7]));
    const decoded = roundTrip(Buffer.from('hi'));
    assert.equal(Object.getPrototypeOf(decoded), Uint8Array.prototype);
    assert.deepStrictEqual(decoded, new Uint8Array([104, 105]));
  });

  it('decodes binary values into memory of their own, not views of the input', () => {
    const bytes = encodeValue({ u: new Uint8Array([1, 2, 3]), b: new Uint8Array([4]).buffer });
    const decoded = decodeValue(bytes) as { u: Uint8Array; b: ArrayBuffer };
    bytes.fill(0);
    assert.deepStrictEqual(decoded.u, new Uint8Array([1, 2, 3]));
    assert.equal(decoded.u.buffer.byteLength, 3);
    assert.equal(decoded.b.byteLength, 1);
  });

  it('writes a shared reference twice and does not keep identity', () => {
    const shared = { x: 1 };
    const decoded = roundTrip({ a: shared, b: shared });
    assert.deepStrictEqual(decoded, { a: { x: 1 }, b: { x: 1 } });
    assert.notEqual(decoded.a, decoded.b);
  });

  it('round-trips nesting up to the depth limit and refuses one level more', () => {
    const nest = (levels: number): unknown => { let v: unknown = 0; for (let i = 0; i < levels; i++) v = [v]; return v; };
    assertRoundTrips(nest(MAX_VALUE_DEPTH));
    assert.throws(() => encodeValue(nest(MAX_VALUE_DEPTH + 1)), InvalidArgumentError);
  });

  it('writes long strings (read through a prefix below 64 KiB, directly above) with the same bytes either way, ropes and lone surrogates included', () => {
    const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
    const pad = 'x'.repeat(1000);
    const strings: string[] = [];
    for (const n of [256, 1000, 65535, 65536, 65537, 70000]) strings.push('a'.repeat(n), `${n}:${'b'.repeat(n - 1)}`);
    strings.push(`${7}:${pad}`, `${'é'.repeat(200)}${pad}`, `${pad}€`, `😀${pad}😀`, '\uDC00' + pad, pad + '\uD800', '\uDE00\uD83D'.repeat(200), 'ü'.repeat(65536), `${'\uD800'.repeat(40000)}x`);
    for (const s of strings) {
      const what = `${s.length} chars starting ${JSON.stringify(s.slice(0, 2))}`;
      const bytes = encodeValue(s);
      const wellFormed = !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
      if (wellFormed) assert.deepEqual([...bytes], [0x0b, ...u32(Buffer.byteLength(s)), ...Buffer.from(s)], what);
      else assert.deepEqual([...bytes.subarray(0, 5)], [0x0c, ...u32(s.length)], what);
      assert.equal(decodeValue(bytes), s, what);
    }
  });

  it('appends long strings after other bytes and across the growth of the target buffer', () => {
    const strings = [`${1}:${'x'.repeat(999)}`, 'é'.repeat(300), 'y'.repeat(70_000), 'x\uD800'.repeat(200), `${2}:${'z'.repeat(5000)}`];
    for (const start of [0, 1, 3, 14]) {
      const target = { bytes: new Uint8Array(start + 16).fill(0xee), length: start };
      for (const s of strings) appendWith(target, (w) => w.value(s));
      assert.ok(target.bytes.length > start + 16, 'the target grew');
      assert.deepEqual([...target.bytes.subarray(0, start)], new Array(start).fill(0xee), 'bytes before the appended ones are kept');
      const expected = strings.map((s) => [...encodeValue(s)]).flat();
      assert.deepEqual([...target.bytes.subarray(start, target.length)], expected, `appended at ${start}`);
    }
  });

  it('round-trips a large Map of records as the keyed-state snapshot would hold it', () => {
    const map = new Map(Array.from({ length: 20_000 }, (_, i) => [`key-${i}`, { sum: i * 0.5, count: i, last: new Date(i) }]));
    assertRoundTrips(map);
  });
});

describe('value codec rejects what it cannot restore', () => {
  it('names a function and the path to it', () => {
    assertRejected({ items: [1, 2, 3, { fn: () => 1 }] }, 'a function', 'value.items[3].fn');
  });

  it('names symbols, class instances, other typed arrays and unsupported built-ins', () => {
    assertRejected(Symbol('s'), 'a symbol', 'value');
    class Counter { n = 1; }
    assertRejected([new Counter()], 'an instance of Counter', 'value[0]');
    assertRejected({ 'odd key': new Int32Array(2) }, 'an instance of Int32Array', 'value["odd key"]');
    assertRejected({ w: new WeakMap() }, 'an instance of WeakMap', 'value.w');
    assertRejected(Promise.resolve(), 'an instance of Promise', 'value');
    assertRejected(new Set([1, /re/]), 'an instance of RegExp', 'value<set entry #1>');
    assertRejected(Object.create({ inherited: 1 }) as object, 'an object with a custom prototype', 'value');
  });

  it('names the Map entry that holds an unsupported key or value', () => {
    assertRejected(new Map([['a', { f: Math.max }]]), 'a function', 'value.get("a").f');
    assertRejected(new Map<unknown, number>([[1, 1], [Symbol.iterator, 2]]), 'a symbol', 'value<map key #1>');
  });

  it('refuses a cycle and a sparse array with their paths', () => {
    const cyclic: Record<string, unknown> = { a: { b: [] as unknown[] } };
    ((cyclic.a as { b: unknown[] }).b).push(cyclic);
    assertRejected(cyclic, 'a cycle (an object that contains itself)', 'value.a.b[0]');
    assertRejected({ list: [1, , 3] }, 'a hole in a sparse array', 'value.list[1]');
  });

  it('keeps working after a rejected value', () => {
    assert.throws(() => encodeValue({ big: 'x'.repeat(10_000), f: () => 0 }));
    assertRoundTrips({ after: 'failure', n: [1, 2] });
  });

  it('encodes correctly when a getter encodes another value while the outer value is being written', () => {
    let inner: Uint8Array | undefined;
    const value = { a: 1, get b() { inner = encodeValue({ nested: [1, 2] }); return 'b'; }, c: [3] };
    assert.deepStrictEqual(decodeValue(encodeValue(value)), { a: 1, b: 'b', c: [3] });
    assert.deepStrictEqual(decodeValue(inner!), { nested: [1, 2] });
  });
});

describe('value codec decoding of damaged bytes', () => {
  const sample = encodeValue({ s: 'text ü', n: [1, 1000, 1e6, 0.5], m: new Map([['k', 10n ** 30n]]), d: new Date(5), u: new Uint8Array(3) });

  it('throws CorruptDataError for every truncation of a valid encoding', () => {
    for (let length = 0; length < sample.length; length++) {
      assert.throws(() => decodeValue(sample.subarray(0, length)), CorruptDataError, `length ${length}`);
    }
  });

  it('throws CorruptDataError for trailing bytes, unknown tags, invalid UTF-8 and impossible counts', () => {
    assert.throws(() => decodeValue(new Uint8Array([0x81, 0x81])), /unexpected bytes after the value/);
    assert.throws(() => decodeValue(new Uint8Array([0x1f])), /unknown tag 0x1f/);
    assert.throws(() => decodeValue(new Uint8Array([0x42, 0xc3, 0x28])), CorruptDataError);
    assert.throws(() => decodeValue(new Uint8Array([0x0d, 0xff, 0xff, 0xff, 0xff, 0x81])), /exceeds the remaining bytes/);
  });

  it('never throws anything but CorruptDataError when bytes are flipped at random', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let round = 0; round < 3000; round++) {
      const damaged = sample.slice();
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) damaged[Math.floor(random() * damaged.length)] ^= 1 << Math.floor(random() * 8);
      try {
        decodeValue(damaged);
      } catch (error) {
        assert.ok(error instanceof CorruptDataError, `round ${round}: ${String(error)}`);
      }
    }
  });
});
