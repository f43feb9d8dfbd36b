import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeValue, encodeValue, MAX_VALUE_DEPTH } from '../../../src/state/value-codec.js';
import { T_ARRAY, T_ARRAY_BUFFER, T_BIGINT, T_BYTES, T_FIXARRAY, T_FIXINT, T_FIXOBJECT, T_FIXSTR, T_MAP, T_OBJECT, T_SET, T_STR16, T_STR32, T_STR8 } from '../../../src/state/value-tags.js';
import { assertNoPollution, concat, HUGE_U32, measure, mutateBytes, parsesOrRefuses, randomBytes, randomValue, int } from '../../support/fuzz.js';
import { seededRandom } from '../../support/seeded-random.js';

// The value codec decodes every stored record (state chunks, checkpoint metadata, log batches,
// table rows): bytes from storage are outside input (issue 17). Seeded: a failing case replays.

const CASES = 10_000;
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

describe('value codec fuzzing (seeded)', () => {
  it(`${CASES} random values round-trip, with __proto__, constructor and prototype keys kept as plain data`, () => {
    const random = seededRandom(17);
    for (let c = 0; c < CASES; c++) {
      const value = randomValue(random, 4);
      const decoded = decodeValue(encodeValue(value));
      assert.deepStrictEqual(decoded, value, `case ${c}`);
    }
    assertNoPollution('round trips');
  });

  it(`${CASES} damaged encodings decode to a bounded value or are refused with CORRUPT_DATA, never anything else`, () => {
    const random = seededRandom(1717);
    let refused = 0;
    for (let c = 0; c < CASES; c++) {
      const bytes = random() < 0.1 ? randomBytes(random, int(random, 64)) : mutateBytes(random, encodeValue(randomValue(random, 4)));
      const { value, error } = parsesOrRefuses(() => decodeValue(bytes), `case ${c}`, 'CORRUPT_DATA');
      if (error !== undefined) refused++;
      // Every value decoded takes at least a byte, every string unit at least one: the output is bounded by the input.
      else assert.ok(measure(value) <= 2 * bytes.length + 8, `case ${c}: ${bytes.length} bytes decoded to a value of size ${measure(value)}`);
    }
    assert.ok(refused > CASES / 3, `most damaged encodings are refused (${refused})`);
    assertNoPollution('damaged encodings');
  });

  it('a length field claiming 4 GB (or 2 GB) for a string, array, object, map, set, bytes or bigint is refused without allocating it', () => {
    for (const tag of [T_STR32, T_STR16, T_ARRAY, T_OBJECT, T_MAP, T_SET, T_BYTES, T_ARRAY_BUFFER]) {
      for (const n of HUGE_U32) {
        const { error } = parsesOrRefuses(() => decodeValue(concat(Uint8Array.of(tag), u32(n), randomBytes(seededRandom(tag), 32))), `tag 0x${tag.toString(16)}, length ${n}`, 'CORRUPT_DATA');
        assert.ok(error !== undefined, `tag 0x${tag.toString(16)} with length ${n} was refused`);
        assert.match(error.message, /exceeds the remaining bytes|truncated/);
      }
    }
    for (const n of HUGE_U32) {
      const { error } = parsesOrRefuses(() => decodeValue(concat(Uint8Array.of(T_BIGINT, 0), u32(n), Uint8Array.of(1, 2))), `bigint of ${n} bytes`, 'CORRUPT_DATA');
      assert.ok(error !== undefined);
    }
    assert.ok(parsesOrRefuses(() => decodeValue(Uint8Array.of(T_STR8, 200, 0x41)), 'short string8', 'CORRUPT_DATA').error);
  });

  it(`nesting bombs (arrays, objects and maps 100,000 deep) are refused beyond ${MAX_VALUE_DEPTH} levels, before the stack runs out`, () => {
    const deep = 100_000;
    const repeat = (unit: Uint8Array) => {
      const out = new Uint8Array(unit.length * deep + 1);
      for (let i = 0; i < deep; i++) out.set(unit, i * unit.length);
      out[out.length - 1] = T_FIXINT;
      return out;
    };
    const bombs = {
      fixarrays: repeat(Uint8Array.of(T_FIXARRAY + 1)),
      arrays: repeat(concat(Uint8Array.of(T_ARRAY), u32(1))),
      objects: repeat(Uint8Array.of(T_FIXOBJECT + 1, T_FIXSTR + 1, 0x61)),
      maps: repeat(concat(Uint8Array.of(T_MAP), u32(1), Uint8Array.of(T_FIXINT))),
    };
    for (const [name, bytes] of Object.entries(bombs)) {
      const { error } = parsesOrRefuses(() => decodeValue(bytes), name, 'CORRUPT_DATA');
      assert.ok(error !== undefined, `${name}: refused`);
      assert.match(error.message, /nesting too deep/, name);
    }
    // Exactly at the limit it still decodes: the limit is the encoder's, so whatever was stored reads back.
    let atLimit: unknown = 0;
    for (let i = 0; i < MAX_VALUE_DEPTH; i++) atLimit = [atLimit];
    assert.deepStrictEqual(decodeValue(encodeValue(atLimit)), atLimit);
  });

  it('an object decoded with __proto__, constructor and prototype keys has them as own data and Object.prototype as its prototype', () => {
    const key = (s: string) => concat(Uint8Array.of(T_FIXSTR + s.length), new TextEncoder().encode(s));
    const polluting = concat(Uint8Array.of(T_FIXOBJECT + 1), key('polluted'), Uint8Array.of(T_FIXINT + 1));
    const bytes = concat(Uint8Array.of(T_FIXOBJECT + 3), key('__proto__'), polluting, key('constructor'), concat(Uint8Array.of(T_FIXOBJECT + 1), key('prototype'), polluting), key('prototype'), polluting);
    const decoded = decodeValue(bytes) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepEqual(Object.keys(decoded), ['__proto__', 'constructor', 'prototype']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value, { polluted: 1 });
    assert.equal((decoded as { polluted?: unknown }).polluted, undefined, 'the decoded object did not inherit from its __proto__ key');
    assertNoPollution('hostile keys');
  });
});
