import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChannelMessage, RecordBatch } from '../../../src/channel/channel-message.js';
import type { ChannelSender } from '../../../src/channel/channel.js';
import { WeirError } from '../../../src/errors/index.js';
import { keyGroupOf } from '../../../src/graph/key-groups.js';
import { OutputPressure } from '../../../src/runtime/operators/output-pressure.js';
import { RecordWriter } from '../../../src/runtime/task/record-writer.js';

const MAX = 128;

function sender(sent: ChannelMessage[], takesDictionaryHints = false): ChannelSender {
  return { send: (m) => sent.push(m), hasCredit: () => true, onCredit: (listener) => listener(), takesDictionaryHints };
}

/** A keyed edge to `targets` subtasks (those in `hinted` take dictionary hints); the batches each one got. */
function keyedWriter(targets: number, hinted: number[] = []) {
  const sent = Array.from({ length: targets }, () => [] as ChannelMessage[]);
  const writer = new RecordWriter({ kind: 'hash', keySelector: (r) => (r as { k: unknown }).k as string }, sent.map((s, t) => sender(s, hinted.includes(t))), 0, MAX, 4, new OutputPressure());
  const batches = (t: number) => sent[t]!.filter((m): m is RecordBatch => m.kind === 'records');
  return { writer, batches };
}

describe('RecordWriter on a keyed edge', () => {
  it('sends each record\'s key and key group to several subtasks, and only the key to one (whose receiver needs no group to pick a channel)', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const two = keyedWriter(2);
    for (const k of keys) two.writer.collect({ k });
    two.writer.flush();
    for (const t of [0, 1]) {
      for (const b of two.batches(t)) {
        assert.equal(b.keyGroups?.length, b.records.length);
        b.keys!.forEach((k, i) => assert.equal(b.keyGroups![i], keyGroupOf(k, MAX)));
        for (const g of b.keyGroups!) assert.equal(Math.floor((g * 2) / MAX), t, 'each record went to the subtask that owns its group');
      }
    }
    const one = keyedWriter(1);
    for (const k of keys) one.writer.collect({ k });
    one.writer.flush();
    const got = one.batches(0);
    assert.deepEqual(got.flatMap((b) => b.keys!), keys);
    for (const b of got) assert.equal(b.keyGroups, undefined);
  });

  it('hands a channel that takes them each string key\'s dictionary hint (one per distinct key), and no other channel any', () => {
    const { writer, batches } = keyedWriter(2, [1]);
    const keys = [...Array.from({ length: 30 }, (_, i) => `w${i % 10}`), 7, 8];
    for (const k of keys) writer.collect({ k });
    writer.flush();
    for (const b of batches(0)) assert.equal(b.dictionaryHints, undefined);
    const seen = new Map<string, unknown>();
    let hinted = 0;
    for (const b of batches(1)) {
      assert.equal(b.dictionaryHints?.length, b.records.length);
      b.keys!.forEach((k, i) => {
        const hint = b.dictionaryHints![i];
        if (typeof k !== 'string') return assert.equal(hint, undefined, 'a number key has no hint');
        assert.equal(hint?.value, k);
        if (seen.has(k)) assert.equal(hint, seen.get(k), 'the same entry for the same key');
        seen.set(k, hint);
        hinted++;
      });
    }
    assert.ok(hinted > 0 && seen.size < hinted, `${hinted} hinted records of ${seen.size} keys`);
  });

  it('refuses a key that is not a primitive where it is made, with one downstream subtask too', () => {
    for (const targets of [1, 2]) {
      const { writer } = keyedWriter(targets);
      assert.throws(() => writer.collect({ k: { nested: 1 } }), (e: unknown) => e instanceof WeirError && /keyBy\(keySelector\).*string, number, bigint or boolean/.test(e.message), `${targets} subtask(s)`);
    }
  });
});
