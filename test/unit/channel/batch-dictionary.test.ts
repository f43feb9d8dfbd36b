import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBatch, encodeBatch } from '../../../src/channel/batch-codec.js';
import { extendTable, MAX_DICTIONARY_ENTRIES, MAX_ENTRY_CHARS, StringDictionary, type DictionaryHint } from '../../../src/channel/batch-dictionary.js';
import type { RecordBatch } from '../../../src/channel/channel-message.js';
import { CorruptDataError } from '../../../src/errors/index.js';
import { int, mutateBytes, parsesOrRefuses, pick } from '../../support/fuzz.js';
import { seededRandom } from '../../support/seeded-random.js';

// A channel's string dictionary (batch-dictionary.ts): strings travel once, then as ids.

const words = (n: number, prefix = 'w') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const batchOf = (records: unknown[], extra: Partial<RecordBatch> = {}): RecordBatch => ({ kind: 'records', records, ...extra });
const recordsOf = (keys: string[], from = 0) => keys.map((k, i) => ({ k, v: from + i }));

/** Both ends of one channel: encodes through the sender's dictionary, extends the receiver's table as the batch arrives. */
function channel() {
  const dictionary = new StringDictionary();
  const table: string[] = [];
  return {
    dictionary,
    table,
    send(batch: RecordBatch) {
      const packed = encodeBatch(batch, undefined, dictionary);
      assert.ok(packed !== undefined, 'expected the batch to be encoded');
      if (packed.strings !== undefined) extendTable(table, packed.strings);
      return packed;
    },
  };
}

function assertCorrupt(f: () => unknown, message: RegExp): void {
  assert.throws(f, (error: unknown) => error instanceof CorruptDataError && error.code === 'CORRUPT_DATA' && message.test(error.message));
}

describe('the batch codec with a channel dictionary', () => {
  it('a string travels once: later batches carry ids, no new strings, and decode to the same records', () => {
    const c = channel();
    const keys = words(100);
    const first = c.send(batchOf(recordsOf(keys)));
    assert.deepEqual(first.strings, keys, 'the first batch brings every key, in id order');
    const again = batchOf(recordsOf([...keys].reverse(), 7));
    const second = c.send(again);
    assert.equal(second.strings, undefined);
    assert.deepStrictEqual(decodeBatch(first.buffer, c.table), batchOf(recordsOf(keys)));
    assert.deepStrictEqual(decodeBatch(second.buffer, c.table), again);
    const inline = encodeBatch(again)!;
    assert.ok(second.buffer.byteLength < inline.buffer.byteLength, 'the ids take fewer bytes than the UTF-8');
  });

  it('scalar strings, string keys and strings with lone surrogates (which UTF-8 cannot carry) round-trip through it', () => {
    const c = channel();
    const odd = ['\uD800', 'a\uDC00b', '', '😀', '\uFEFF'];
    const batch = batchOf(odd, { keys: odd, keyGroups: [1, 2, 3, 4, 5] });
    assert.equal(encodeBatch(batch), undefined, 'without a dictionary: structured clone');
    const packed = c.send(batch);
    assert.deepStrictEqual(decodeBatch(packed.buffer, c.table), batch);
    assert.deepStrictEqual(decodeBatch(c.send(batch).buffer, c.table), batch);
  });

  it('a batch the encoder refuses gives its ids back: the next batch sends those strings again', () => {
    const c = channel();
    c.send(batchOf(recordsOf(['a', 'b'])));
    const refused = encodeBatch(batchOf([{ k: 'c', v: 1 }, { k: 'd', v: 'not a number' }]), undefined, c.dictionary);
    assert.equal(refused, undefined);
    assert.equal(c.dictionary.size, 2, 'c and d are not in the dictionary');
    const next = batchOf(recordsOf(['d', 'a', 'c']));
    const packed = c.send(next);
    assert.deepEqual(packed.strings, ['d', 'c']);
    assert.deepStrictEqual(decodeBatch(packed.buffer, c.table), next);
  });

  it('strings past the dictionary\'s bound go inline beside ids, and a column that mostly misses stops using it', () => {
    const c = channel();
    const keys = words(1000, 'key');
    for (let from = 0; from < MAX_DICTIONARY_ENTRIES + 8192; from += 4096) {
      const records = Array.from({ length: 4096 }, (_, i) => ({ k: keys[(from + i) % 1000]!, id: `u${from + i}`, long: 'x'.repeat(MAX_ENTRY_CHARS + 1 + (i % 3)) }));
      const packed = c.send(batchOf(records));
      assert.deepStrictEqual(decodeBatch(packed.buffer, c.table), batchOf(records), `batch from ${from}`);
    }
    assert.ok(c.dictionary.size < 8192, `ever-new ids stopped using the dictionary early (${c.dictionary.size} entries)`);
    assert.equal(c.dictionary.uses('k'), true);
    assert.equal(c.dictionary.uses('id'), false);
    // Filled to its bound by other columns, the dictionary still serves the strings it has; new ones go inline.
    const full = channel();
    for (let from = 0; full.dictionary.size < MAX_DICTIONARY_ENTRIES; from += 1024) {
      full.send(batchOf(Array.from({ length: 1024 }, (_, i) => ({ [`f${from / 1024}`]: `s${from + i}` }))));
    }
    const mixed = batchOf([{ f0: 's0' }, { f0: 'never seen' }, { f0: 's1' }]);
    const packed = full.send(mixed);
    assert.equal(packed.strings, undefined);
    assert.equal(full.table.length, MAX_DICTIONARY_ENTRIES);
    assert.deepStrictEqual(decodeBatch(packed.buffer, full.table), mixed);
  });

  it('a corrupted or missing dictionary reference is a CORRUPT_DATA error, never a wrong record', () => {
    const c = channel();
    c.send(batchOf(recordsOf(words(10))));
    const packed = c.send(batchOf(recordsOf(['w3', 'w1', 'w2'])));
    assertCorrupt(() => decodeBatch(packed.buffer), /decoded without one/);
    assertCorrupt(() => decodeBatch(packed.buffer, c.table.slice(0, 5)), /refers to 10 dictionary strings; 5 came/);
    // Every word of the buffer changed in turn, to every other id the table has and beyond it.
    const words32 = packed.buffer.byteLength >> 2;
    let refused = 0;
    let decoded = 0;
    for (let w = 0; w < words32; w++) {
      for (const value of [0, 1, 2, 9, 10, 11, 0x7fffffff, 0x80000000, 0xffffffff]) {
        const copy = packed.buffer.slice(0);
        const view = new Uint32Array(copy, 0, words32);
        if (view[w] === value) continue;
        view[w] = value;
        const { value: batch, error } = parsesOrRefuses(() => decodeBatch(copy, c.table), `word ${w} = ${value}`, 'CORRUPT_DATA');
        if (error !== undefined) refused++;
        else {
          decoded++;
          // A change that decodes fell elsewhere (padding, another column, the field names' offsets):
          // no record reads another string of the table for its key.
          const expected = ['w3', 'w1', 'w2'];
          for (const [i, r] of (batch!.records as Record<string, unknown>[]).entries()) {
            for (const v of Object.values(r)) if (typeof v === 'string' && c.table.includes(v)) assert.equal(v, expected[i], `word ${w} = ${value}: record ${i}`);
          }
        }
      }
    }
    assert.ok(refused > 0 && decoded > 0, `${refused} refused, ${decoded} decoded`);
  });

  it('seeded: damaged batches of a dictionary channel decode to their keys or are refused with CORRUPT_DATA', () => {
    const random = seededRandom(1313);
    const c = channel();
    const pool = words(300, 'k');
    let refused = 0;
    for (let n = 0; n < 400; n++) {
      const keys = Array.from({ length: 1 + int(random, 20) }, () => pick(random, pool));
      const batch = batchOf(keys.map((k, i) => ({ k, v: i, s: pick(random, ['', 'é', '😀', 'a\uD800']) })));
      const packed = c.send(batch);
      assert.deepStrictEqual(decodeBatch(packed.buffer, c.table), batch);
      const damaged = mutateBytes(random, new Uint8Array(packed.buffer));
      const copy = damaged.buffer.slice(damaged.byteOffset, damaged.byteOffset + damaged.byteLength) as ArrayBuffer;
      const { value, error } = parsesOrRefuses(() => decodeBatch(copy, c.table), `case ${n}`, 'CORRUPT_DATA');
      if (error !== undefined) refused++;
      else if (value!.records.length === batch.records.length) {
        for (const [i, r] of (value!.records as { k: unknown }[]).entries()) {
          if (typeof r === 'object' && r !== null && typeof r.k === 'string' && r.k !== keys[i]) assert.ok(!pool.includes(r.k), `case ${n}: record ${i} decoded another key of the table`);
        }
      }
    }
    assert.ok(refused > 100, `${refused} refused`);
  });

  it('dictionary hints (the writer\'s key-group cache entries) give a key field its id without a lookup, and only while they hold', () => {
    const hintsOf = (keys: string[], pool: Map<string, DictionaryHint>) => keys.map((k) => {
      let h = pool.get(k);
      if (h === undefined) pool.set(k, (h = { value: k, dictionary: undefined, id: -1, epoch: 0 }));
      return h;
    });
    const countLookups = (dictionary: StringDictionary) => {
      const calls = { n: 0 };
      const idOf = dictionary.idOf.bind(dictionary);
      dictionary.idOf = (s) => (calls.n++, idOf(s));
      return calls;
    };
    const pool = new Map<string, DictionaryHint>();
    const a = channel();
    const lookups = countLookups(a.dictionary);
    const keys = words(50);
    const first = batchOf(recordsOf(keys), { keyGroups: keys.map((_, i) => i), dictionaryHints: hintsOf(keys, pool) });
    assert.deepStrictEqual(decodeBatch(a.send(first).buffer, a.table).records, first.records);
    assert.equal(lookups.n, 50, 'the first batch looks each key up once, and leaves its id in the hint');
    const again = [...keys].reverse();
    const second = batchOf(recordsOf(again, 3), { keyGroups: again.map(() => 0), dictionaryHints: hintsOf(again, pool) });
    assert.deepStrictEqual(decodeBatch(a.send(second).buffer, a.table).records, second.records);
    assert.equal(lookups.n, 50, 'a hinted key is not looked up again');

    // A hint of another channel's dictionary: that id means nothing here.
    const b = channel();
    const viaB = batchOf(recordsOf(again), { keyGroups: again.map(() => 0), dictionaryHints: hintsOf(again, pool) });
    assert.deepStrictEqual(decodeBatch(b.send(viaB).buffer, b.table).records, viaB.records);

    // A batch the encoder refuses takes its ids back: the hints it filled in are stale after it.
    const fresh = ['x', 'y'];
    const refused = batchOf([{ k: 'x', v: 1 }, { k: 'y', v: 'no number' }], { keyGroups: [0, 0], dictionaryHints: hintsOf(fresh, pool) });
    assert.equal(encodeBatch(refused, undefined, a.dictionary), undefined);
    const retried = batchOf(recordsOf(['y', 'x', 'w1']), { keyGroups: [0, 0, 0], dictionaryHints: hintsOf(['y', 'x', 'w1'], pool) });
    const packed = a.send(retried);
    assert.deepEqual(packed.strings, ['y', 'x'], 'the refused batch\'s strings travel with the next one');
    assert.deepStrictEqual(decodeBatch(packed.buffer, a.table).records, retried.records);

    // A hint of another string (a key selector that computes the key): the field is looked up as it is.
    const upper = batchOf(recordsOf(['w2', 'w3']), { keyGroups: [0, 0], dictionaryHints: hintsOf(['W2', 'W3'], pool) });
    assert.deepStrictEqual(decodeBatch(a.send(upper).buffer, a.table).records, upper.records);
    const own = batchOf(recordsOf(['W2', 'w2']), { keyGroups: [0, 0], dictionaryHints: hintsOf(['W2', 'w2'], pool) });
    assert.deepStrictEqual(decodeBatch(a.send(own).buffer, a.table).records, own.records, 'W2\'s hint holds no id of w2');
    // Hints that do not line up with the records are ignored.
    const short = batchOf(recordsOf(['w4', 'w5']), { keyGroups: [0, 0], dictionaryHints: hintsOf(['w4'], pool) });
    assert.deepStrictEqual(decodeBatch(a.send(short).buffer, a.table).records, short.records);
  });

  it('the receiver\'s table takes only arrays of strings, within the dictionary\'s bound', () => {
    assertCorrupt(() => extendTable([], 'abc'), /array of at most/);
    assertCorrupt(() => extendTable([], ['a', 1]), /must be strings, got number/);
    assertCorrupt(() => extendTable(words(MAX_DICTIONARY_ENTRIES), ['one more']), /array of at most 0/);
    const table = ['a'];
    extendTable(table, ['b', 'c']);
    assert.deepEqual(table, ['a', 'b', 'c']);
  });
});
