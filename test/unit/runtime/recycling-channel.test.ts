// A record writer on a memory channel fills the arrays of batches its receiver consumed again,
// instead of three new arrays per batch. A reused array must never be seen by anyone still holding
// the batch: the receiving task until it released the batch, and an unaligned checkpoint's channel
// state (which keeps batches in flight across the cut).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChannelMessage, RecordBatch } from '../../../src/channel/channel-message.js';
import { ElementTimestamp } from '../../../src/runtime/operators/element-timestamp.js';
import { OutputPressure } from '../../../src/runtime/operators/output-pressure.js';
import { ChannelStateCapture, readChannelState } from '../../../src/runtime/task/channel-state.js';
import { createRecyclingMemoryChannel } from '../../../src/runtime/task/recycling-channel.js';
import { RecordWriter } from '../../../src/runtime/task/record-writer.js';

const BATCH = 4;
const MAX = 128;

/** A keyed edge to one subtask (records, keys and timestamps travel) over a recycling channel; `write(from)` writes one batch of records from..from+3. */
function edge(credits = 2) {
  const { sender, receiver } = createRecyclingMemoryChannel({ credits });
  const ts = new ElementTimestamp();
  const writer = new RecordWriter({ kind: 'hash', keySelector: (r) => (r as { k: number }).k }, [sender], 0, MAX, BATCH, new OutputPressure(), ts);
  const write = (from: number) => {
    for (let i = from; i < from + BATCH; i++) {
      ts.value = 1000 + i;
      writer.collect({ k: i % 3, v: i });
    }
  };
  const poll = (): RecordBatch => {
    const m = receiver.poll() as ChannelMessage;
    assert.equal(m.kind, 'records');
    return m as RecordBatch;
  };
  return { sender, receiver, writer, write, poll };
}

/** What a batch holds, as plain copies. */
const contents = (b: RecordBatch) => ({ records: b.records.map((r) => ({ ...(r as object) })), keys: [...b.keys!], timestamps: [...b.timestamps!] });
const expected = (from: number) => ({
  records: Array.from({ length: BATCH }, (_, i) => ({ k: (from + i) % 3, v: from + i })),
  keys: Array.from({ length: BATCH }, (_, i) => (from + i) % 3),
  timestamps: Array.from({ length: BATCH }, (_, i) => 1000 + from + i),
});

describe('a recycling memory channel', () => {
  it('gives a batch\'s arrays back to its writer only once the receiver released the batch, and the writer fills them again', () => {
    const { receiver, write, poll } = edge();
    write(0);
    write(4);
    const first = poll(); // taken by the task, not yet released: it is still reading it
    write(8); // overdraft: sent without credit
    write(12);
    assert.deepEqual(contents(first), expected(0), 'a batch the task holds is never written into');
    const second = poll();
    const third = poll();
    for (const b of [second, third]) assert.notEqual(b.records, first.records);
    receiver.release(); // the first batch is done
    const fourth = poll();
    assert.deepEqual(contents(second), expected(4));
    assert.deepEqual(contents(third), expected(8));
    assert.deepEqual(contents(fourth), expected(12));
    // The writer took the arrays it fills now when it sent the fourth batch: the first's come back for the one after.
    write(16);
    const fifth = poll();
    assert.notEqual(fifth.records, first.records);
    write(20);
    const sixth = poll();
    assert.equal(sixth.records, first.records, 'the released batch\'s arrays were filled again');
    assert.equal(sixth.keys, first.keys);
    assert.equal(sixth.timestamps, first.timestamps);
    assert.deepEqual(contents(sixth), expected(20));
    assert.deepEqual(contents(fifth), expected(16));
    assert.deepEqual(contents(second), expected(4), 'batches not released stay as they were');
    assert.deepEqual(contents(third), expected(8));
  });

  it('returns arrays in the order the batches were sent (a queue: the receiver releases its oldest batch)', () => {
    const { receiver, write, poll } = edge(4);
    const sent: RecordBatch[] = [];
    for (let i = 0; i < 3; i++) {
      write(i * BATCH);
      sent.push(poll());
    }
    receiver.release();
    receiver.release();
    for (const from of [100, 104, 108]) write(from);
    const [fresh, ...reused] = [poll(), poll(), poll()].map((b) => b.records);
    assert.ok(!sent.some((b) => b.records === fresh), 'the writer had taken its next arrays before the releases');
    assert.deepEqual(new Set(reused), new Set([sent[0]!.records, sent[1]!.records]), 'the two released batches, not the one still held');
    assert.deepEqual(contents(sent[2]!), expected(8));
  });

  it('keeps an unaligned checkpoint\'s channel state as the batches were when they crossed the cut, though their arrays are filled again after', () => {
    const { sender, receiver, write, poll } = edge();
    write(0);
    const capture = new ChannelStateCapture(1, () => 0);
    capture.spill(0, (sink) => receiver.spill!(1, sink)); // the queued batch, then those arriving before barrier 1
    write(4);
    capture.seal();
    // The task processes both batches after the snapshot and releases them; the writer fills their arrays again.
    const held = [poll(), poll()];
    receiver.release();
    receiver.release();
    for (const from of [8, 12, 16]) write(from);
    const next = [poll(), poll(), poll()];
    assert.deepEqual(new Set(next.slice(1).map((b) => b.records)), new Set(held.map((b) => b.records)), 'both arrays were filled again');
    sender.send({ kind: 'barrier', checkpointId: 1, timestamp: 0 });
    assert.equal(capture.done, true, 'the barrier ended the spill');
    const stored = readChannelState(capture.payload(), 'channel-state');
    assert.deepEqual(
      stored[0]!.batches.map((b) => ({ records: b.records, timestamps: b.timestamps })),
      [0, 4, 8, 12, 16].map((from) => ({ records: expected(from).records, timestamps: expected(from).timestamps })),
      'every batch as it was sent, those whose arrays were filled again too',
    );
  });
});
