import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBatch, encodeBatch } from '../../../src/channel/batch-codec.js';
import type { RecordBatch } from '../../../src/channel/channel-message.js';
import { assertNoPollution, HUGE_U32, int, measure, mutateBytes, parsesOrRefuses, pick, plainObject, randomBytes, type Random } from '../../support/fuzz.js';
import { seededRandom } from '../../support/seeded-random.js';

// The binary batch codec packs record batches between workers. Its input comes from the job's own
// workers (trusted code), but a decoder must hold however its bytes were made (issue 17): a parse
// or CORRUPT_DATA, and an output bounded by the buffer whatever its header claims.

const CASES = 10_000;
const NAMES = ['a', 'id', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'é', ''];
const STRINGS = ['', 'x', '__proto__', 'constructor', 'héllo', '😀', '\uFEFF', 'z'.repeat(40)];

function randomBatch(random: Random): RecordBatch {
  const n = int(random, 12);
  const kind = int(random, 4);
  let records: unknown[];
  if (kind === 0) records = Array.from({ length: n }, () => pick(random, [0, -0, 1.5, NaN, -Infinity, 2 ** 60]));
  else if (kind === 1) records = Array.from({ length: n }, () => pick(random, STRINGS));
  else if (kind === 2) records = Array.from({ length: n }, () => random() < 0.5);
  else {
    const fields = [...new Set(Array.from({ length: int(random, 5) }, () => pick(random, NAMES)))].map((name) => [name, int(random, 3)] as const);
    const valueOf = (type: number) => (type === 0 ? int(random, 1000) / 8 : type === 1 ? pick(random, STRINGS) : random() < 0.5);
    records = Array.from({ length: n }, () => plainObject(fields.map(([name, type]) => [name, valueOf(type)] as const)));
  }
  const batch: { kind: 'records'; records: unknown[]; keys?: (string | number | boolean)[]; keyGroups?: number[] } = { kind: 'records', records };
  if (random() < 0.5) {
    const keyKind = int(random, 3);
    batch.keys = records.map((_, i) => (keyKind === 0 ? i : keyKind === 1 ? pick(random, STRINGS) : i % 2 === 0));
    batch.keyGroups = records.map(() => (random() < 0.8 ? int(random, 128) : int(random, 2 ** 31) - 2 ** 30));
  }
  return batch;
}

function bufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The largest output a buffer may decode to: proportional to its bytes, plus the cap on records that take none. */
const bound = (byteLength: number) => 2 * byteLength + 2 * 4096 + 16;

describe('batch codec fuzzing (seeded)', () => {
  it(`${CASES} random batches round-trip; damaged copies decode to a bounded batch or are refused with CORRUPT_DATA`, () => {
    const random = seededRandom(4242);
    let refused = 0;
    for (let c = 0; c < CASES; c++) {
      const batch = randomBatch(random);
      const packed = encodeBatch(batch);
      assert.ok(packed !== undefined, `case ${c}: the batch is packable`);
      assert.deepStrictEqual(decodeBatch(packed.buffer.slice(0)), batch, `case ${c}: round trip`);
      const damaged = random() < 0.05 ? randomBytes(random, int(random, 256)) : mutateBytes(random, new Uint8Array(packed.buffer));
      const { value, error } = parsesOrRefuses(() => decodeBatch(bufferOf(damaged)), `case ${c}`, 'CORRUPT_DATA');
      if (error !== undefined) refused++;
      else assert.ok(measure(value) <= bound(damaged.length), `case ${c}: ${damaged.length} bytes decoded to a batch of size ${measure(value)}`);
    }
    assert.ok(refused > CASES / 4, `many damaged batches are refused (${refused})`);
    assertNoPollution('batches');
  });

  it('a header claiming 4 GB of records, columns, names or string segments is refused at once, allocating nothing of it', () => {
    const shapes: RecordBatch[] = [
      { kind: 'records', records: [{}, {}] },
      { kind: 'records', records: [1, 2] },
      { kind: 'records', records: [true, false] },
      { kind: 'records', records: ['a', 'b'], keys: ['a', 'b'], keyGroups: [1, 2] },
      { kind: 'records', records: [{ id: 1, s: 'x' }, { id: 2, s: 'y' }] },
    ];
    let cases = 0;
    for (const batch of shapes) {
      const packed = encodeBatch(batch)!.buffer;
      for (let word = 1; word < Math.min(packed.byteLength >> 2, 20); word++) {
        for (const huge of HUGE_U32) {
          const copy = packed.slice(0);
          new Uint32Array(copy, 0, word + 1)[word] = huge;
          const { value } = parsesOrRefuses(() => decodeBatch(copy), `word ${word} = ${huge}`, 'CORRUPT_DATA');
          if (value !== undefined) assert.ok(measure(value) <= bound(copy.byteLength), `word ${word} = ${huge}: bounded`);
          cases++;
        }
      }
    }
    assert.ok(cases > 200);
  });

  it('a batch of 4 billion empty records in a 64-byte buffer is refused (it used to be built until the heap ran out)', () => {
    const packed = encodeBatch({ kind: 'records', records: [{}] })!.buffer;
    assert.ok(packed.byteLength <= 64);
    new Uint32Array(packed, 0, 2)[1] = 0xffffffff;
    const { error } = parsesOrRefuses(() => decodeBatch(packed), 'empty records', 'CORRUPT_DATA');
    assert.ok(error !== undefined);
    assert.match(error.message, /records that take no bytes/);
    // Honest batches of empty records still travel: packed up to the cap, by structured clone beyond it.
    assert.equal(decodeBatch(encodeBatch({ kind: 'records', records: Array.from({ length: 4096 }, () => ({})) })!.buffer).records.length, 4096);
    assert.equal(encodeBatch({ kind: 'records', records: Array.from({ length: 4097 }, () => ({})) }), undefined);
  });

  it('records with __proto__ or constructor keys are left to structured clone, which keeps them as own data; other shadowing keys are packed as data', () => {
    const hostile = JSON.parse('[{"__proto__":{"polluted":1},"id":1},{"constructor":{"prototype":{"polluted":1}},"id":2}]') as unknown[];
    for (const record of hostile) {
      assert.equal(encodeBatch({ kind: 'records', records: [record] }), undefined, 'not packed');
      const cloned = structuredClone(record) as Record<string, unknown>;
      assert.deepStrictEqual(cloned, record, 'structured clone keeps the keys as own data');
      assert.equal(Object.getPrototypeOf(cloned), Object.prototype);
    }
    const shadowing = [plainObject([['prototype', 'p'], ['toString', 't'], ['hasOwnProperty', 1], ['valueOf', true]])];
    const decoded = decodeBatch(encodeBatch({ kind: 'records', records: shadowing })!.buffer).records[0] as Record<string, unknown>;
    assert.deepStrictEqual(decoded, shadowing[0]);
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assertNoPollution('hostile records');
  });
});
