import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryChannel, PortMultiplexer, type ChannelReceiver, type ChannelSender, type PortLike, type RecordBatch } from '../../../src/channel/index.js';
import { decodeBatch, encodeBatch } from '../../../src/channel/batch-codec.js';
import { ChannelStateCapture } from '../../../src/runtime/task/channel-state.js';

// What a channel hands an unaligned checkpoint: the batches queued ahead of the barrier and those
// arriving before it — across workers, the batches still in flight in the MessagePort too.

const batch = (...records: number[]): RecordBatch => ({ kind: 'records', records });
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function spillOf(receiver: ChannelReceiver, checkpointId: number): { records: unknown[]; ended: boolean } {
  const seen = { records: [] as unknown[], ended: false };
  receiver.spill!(checkpointId, {
    batch: (b) => seen.records.push(...b.records.map((r) => (typeof r === 'object' ? structuredClone(r) : r))),
    end: () => (seen.ended = true),
  });
  return seen;
}

async function portPair(): Promise<{ sender: ChannelSender; receiver: ChannelReceiver; close(): void }> {
  const { port1, port2 } = new MessageChannel();
  const packing = { encode: encodeBatch, decode: decodeBatch };
  const a = new PortMultiplexer(port1 as unknown as PortLike, 8, packing);
  const b = new PortMultiplexer(port2 as unknown as PortLike, 8, packing);
  return { sender: a.sender(0), receiver: b.receiver(0), close: () => (a.close(), b.close()) };
}

describe('channel spills (unaligned checkpoints)', () => {
  it('a memory channel hands over the batches ahead of the barrier, then those that arrive before it, and keeps them queued', () => {
    const { sender, receiver } = createMemoryChannel({ credits: 8 });
    sender.send(batch(1, 2));
    sender.send({ kind: 'watermark', timestamp: 5 });
    sender.send(batch(3));
    assert.equal(receiver.queuedBarrier!(0), undefined);
    const spill = spillOf(receiver, 1);
    assert.deepEqual(spill, { records: [1, 2, 3], ended: false });
    sender.send(batch(4));
    sender.send({ kind: 'barrier', checkpointId: 1, timestamp: 0 });
    sender.send(batch(5));
    assert.deepEqual(spill, { records: [1, 2, 3, 4], ended: true });
    assert.equal(receiver.queuedBarrier!(0)?.checkpointId, 1);
    const polled: unknown[] = [];
    for (let m = receiver.poll(); m !== undefined; m = receiver.poll()) polled.push(m.kind === 'records' ? m.records : m.kind);
    assert.deepEqual(polled, [[1, 2], 'watermark', [3], [4], 'barrier', [5]], 'the task still reads everything, in order');
    assert.equal(receiver.queuedBarrier!(0), undefined);
  });

  it('a spill started behind its barrier hands over only what precedes it, and a newer barrier or the end also ends it', () => {
    const { sender, receiver } = createMemoryChannel({ credits: 8 });
    sender.send(batch(1));
    sender.send({ kind: 'barrier', checkpointId: 2, timestamp: 0 });
    sender.send(batch(2));
    assert.deepEqual(spillOf(receiver, 2), { records: [1], ended: true });
    assert.deepEqual(spillOf(receiver, 1), { records: [1], ended: true }, 'barrier 2 ends checkpoint 1 too');
    const other = createMemoryChannel({ credits: 8 });
    const spill = spillOf(other.receiver, 3);
    other.sender.send(batch(7));
    other.sender.send({ kind: 'end-of-input' });
    assert.deepEqual(spill, { records: [7], ended: true });
  });

  it('across a MessagePort: packed batches in flight when the checkpoint starts are channel state too, copied, and still delivered', async () => {
    const { sender, receiver, close } = await portPair();
    try {
      sender.send(batch(1, 2, 3));
      sender.send(batch(4));
      const spill = spillOf(receiver, 1); // nothing has arrived yet: both batches are in the port
      assert.deepEqual(spill, { records: [], ended: false });
      sender.send({ kind: 'barrier', checkpointId: 1, timestamp: 0 });
      sender.send(batch(5));
      while (!spill.ended) await nextTurn();
      assert.deepEqual(spill.records, [1, 2, 3, 4]);
      const polled: unknown[] = [];
      for (let m = receiver.poll(); m !== undefined; m = receiver.poll()) polled.push(m.kind === 'records' ? m.records : m.kind);
      assert.deepEqual(polled, [[1, 2, 3], [4], 'barrier', [5]]);
    } finally {
      close();
    }
  });

  it('a checkpoint\'s channel state is complete only once every spilling channel delivered its barrier, whichever ends first', async () => {
    const ready = createMemoryChannel({ credits: 8 });
    ready.sender.send(batch(1));
    ready.sender.send({ kind: 'barrier', checkpointId: 1, timestamp: 0 });
    const late = createMemoryChannel({ credits: 8 });
    late.sender.send(batch(2));
    const capture = new ChannelStateCapture(1, () => 0);
    capture.spill(0, (sink) => ready.receiver.spill!(1, sink)); // ends at once: its barrier is queued
    capture.spill(1, (sink) => late.receiver.spill!(1, sink));
    capture.seal();
    let complete = false;
    void capture.complete.then(() => (complete = true));
    await nextTurn();
    assert.equal(complete, false, 'channel 1 has not delivered its barrier');
    late.sender.send(batch(3));
    late.sender.send({ kind: 'barrier', checkpointId: 1, timestamp: 0 });
    await nextTurn();
    assert.equal(complete, true);
    assert.deepEqual(capture.payload().channels.map((c) => [c.channel, c.batches.length]), [[0, 1], [1, 2]]);
  });
});
