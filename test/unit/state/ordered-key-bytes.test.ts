// The key encoding of the Durable Object and Deno KV backends: byte order must be UTF-16 code
// unit order (the contract's listing order), every key must come back exactly, and a prefix's
// byte range must hold exactly the keys that start with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keyFromBytes, keyToBytes, prefixRange } from '../../../src/state/backends/ordered-key-bytes.js';
import { seededRandom } from '../../support/seeded-random.js';

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
const compareUtf16 = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Random keys from an alphabet with every width of encoding: ASCII, 2-byte, 3-byte, surrogates (paired and lone), U+E000 and U+FFFF. */
function randomKeys(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  const alphabet = ['a', 'b', '/', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '\ud7ff', '\ud800', '\udbff', '\udc00', '\udfff', '\ue000', '\uffff', '😀'];
  return Array.from({ length: count }, () => Array.from({ length: Math.floor(random() * 6) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
}

describe('ordered key bytes', () => {
  it('sorts 20,000 random key pairs as their UTF-16 code units sort, and decodes every key back exactly', () => {
    const keys = randomKeys(7, 200);
    for (const a of keys) {
      assert.equal(keyFromBytes(keyToBytes(a)), a);
      for (const b of keys.slice(0, 100)) assert.equal(Math.sign(compareBytes(keyToBytes(a), keyToBytes(b))), compareUtf16(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });

  it('bounds a prefix range to exactly the keys that start with the prefix', () => {
    const keys = randomKeys(11, 400);
    for (const prefix of ['', 'a', 'é', '\uffff', '\ud800', '😀', 'a/']) {
      const { start, end } = prefixRange(prefix);
      for (const key of keys) {
        const bytes = keyToBytes(key);
        const inRange = compareBytes(bytes, start) >= 0 && (end === undefined || compareBytes(bytes, end) < 0);
        assert.equal(inRange, key.startsWith(prefix), `${JSON.stringify(key)} in the range of ${JSON.stringify(prefix)}`);
      }
    }
  });

  it('writes no 0x00 and no 0xFF byte, and refuses bytes that are not this encoding as CORRUPT_DATA', () => {
    for (const key of randomKeys(13, 300)) assert.ok(keyToBytes(key).every((b) => b !== 0 && b !== 0xff));
    assert.throws(() => keyFromBytes(new Uint8Array([0x61, 0xff])), { code: 'CORRUPT_DATA' });
    assert.throws(() => keyFromBytes(new Uint8Array([0xe0, 0x80])), { code: 'CORRUPT_DATA' }, 'a truncated unit');
  });
});

describe('edge storage options outside their runtime', () => {
  it("refuses { durableObject } and { kv } in Node, naming the option and the runtime it needs", async () => {
    const { job, run, sources, sinks } = await import('weir');
    const j = job('edge-options-in-node', (env) => env.fromSource(sources.fromElements([1])).sinkTo(sinks.table('t')));
    await assert.rejects(run(j, { storage: { durableObject: {} as never } }), {
      code: 'INVALID_ARGUMENT', message: "run(job, options).storage: { durableObject } storage needs Cloudflare Workers (the 'workerd' build of weir); this runtime (node) has none",
    });
    await assert.rejects(run(j, { storage: { kv: {} as never } }), {
      code: 'INVALID_ARGUMENT', message: "run(job, options).storage: { kv } storage needs Deno (the 'deno' build of weir); this runtime (node) has none",
    });
  });
});
