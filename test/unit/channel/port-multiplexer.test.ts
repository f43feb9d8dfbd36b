import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortMultiplexer, type BatchPacking, type ChannelMessage, type ChannelReceiver, type PortLike, type PortMessage, type RecordBatch } from '../../../src/channel/index.js';
import { decodeBatch, encodeBatch } from '../../../src/channel/batch-codec.js';

// The MessagePort channel between two workers: what one postMessage carries, in what order,
// and which buffers travel back to be written into again.

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await nextTurn();
}
const records = (from: number, n: number, extra: Partial<RecordBatch> = {}): RecordBatch => ({ kind: 'records', records: Array.from({ length: n }, (_, i) => ({ k: `key${from + i}`, v: from + i })), ...extra });

/** A real MessageChannel whose ends count (and keep) the messages posted on them. */
function countingPorts(): { a: PortLike; b: PortLike; posted: { a: PortMessage[]; b: PortMessage[] }; close(): void } {
  const { port1, port2 } = new MessageChannel();
  const posted = { a: [] as PortMessage[], b: [] as PortMessage[] };
  const wrap = (port: MessagePort, log: PortMessage[]): PortLike => ({
    postMessage: (message, transfer) => {
      log.push(message as PortMessage);
      port.postMessage(message, transfer ?? []);
    },
    get onmessage() {
      return port.onmessage as PortLike['onmessage'];
    },
    set onmessage(listener) {
      port.onmessage = listener as typeof port.onmessage;
    },
    close: () => port.close(),
  });
  return { a: wrap(port1, posted.a), b: wrap(port2, posted.b), posted, close: () => (port1.close(), port2.close()) };
}

/** The codec, recording the spare buffer each encode was offered. */
function recordingPacking(): BatchPacking & { spares: (ArrayBuffer | undefined)[] } {
  const spares: (ArrayBuffer | undefined)[] = [];
  return { spares, encode: (batch, spare) => (spares.push(spare), encodeBatch(batch, spare)), decode: decodeBatch };
}

function drain(receiver: ChannelReceiver): ChannelMessage[] {
  const out: ChannelMessage[] = [];
  for (let m = receiver.poll(); m !== undefined; m = receiver.poll()) out.push(m);
  return out;
}

const framesOf = (m: PortMessage) => (m.kind === 'frames' ? m.frames : [m]);

describe('PortMultiplexer', () => {
  it('what a thread sends in one turn, on any channels, batches and events, goes as one message and arrives in order', async () => {
    const ports = countingPorts();
    const a = new PortMultiplexer(ports.a, 8, { encode: encodeBatch, decode: decodeBatch });
    const b = new PortMultiplexer(ports.b, 8, { encode: encodeBatch, decode: decodeBatch });
    try {
      const s0 = a.sender(0);
      const s1 = a.sender(1);
      s0.send(records(0, 3));
      s1.send(records(100, 2));
      s0.send({ kind: 'watermark', timestamp: 7 });
      s0.send(records(3, 1));
      s1.send({ kind: 'barrier', checkpointId: 1, timestamp: 0 });
      assert.equal(ports.posted.a.length, 0, 'nothing is posted before the turn ends');
      await nextTurn();
      assert.equal(ports.posted.a.length, 1);
      assert.equal(framesOf(ports.posted.a[0]!).length, 5);
      s0.send({ kind: 'watermark', timestamp: 8 });
      const unpackable = { nested: { not: 'packable' } };
      s1.send({ kind: 'records', records: [unpackable] }); // structured clone: posted at once, with what waited
      unpackable.nested.not = 'changed after it was sent';
      assert.equal(ports.posted.a.length, 2);
      assert.deepEqual(framesOf(ports.posted.a[1]!).map((f) => f.kind), ['message', 'message']);
      const r0 = b.receiver(0);
      const r1 = b.receiver(1);
      await until(() => r1.queued === 3);
      assert.deepEqual(drain(r0).map((m) => (m.kind === 'records' ? m.records.map((r) => (r as { v: number }).v) : m.kind)), [[0, 1, 2], 'watermark', [3], 'watermark']);
      assert.deepEqual(drain(r1).map((m) => (m.kind === 'records' ? m.records : m.kind)), [[{ k: 'key100', v: 100 }, { k: 'key101', v: 101 }], 'barrier', [{ nested: { not: 'packable' } }]]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a sender that spends its last credit posts at once: the receiver can start on what it cannot send more of', async () => {
    const ports = countingPorts();
    const a = new PortMultiplexer(ports.a, 2, { encode: encodeBatch, decode: decodeBatch });
    const b = new PortMultiplexer(ports.b, 2, { encode: encodeBatch, decode: decodeBatch });
    try {
      const sender = a.sender(0);
      sender.send(records(0, 4));
      assert.equal(ports.posted.a.length, 0);
      sender.send(records(4, 4));
      assert.equal(sender.hasCredit(), false);
      assert.equal(ports.posted.a.length, 1, 'posted when the last credit went');
      assert.equal(framesOf(ports.posted.a[0]!).length, 2);
      await nextTurn();
      assert.equal(ports.posted.a.length, 1, 'nothing left for the end of the turn');
      const r = b.receiver(0);
      await until(() => r.queued === 2);
      assert.equal(drain(r).length, 2);
    } finally {
      a.close();
      b.close();
    }
  });

  it('credits go back in the message that carries the receiver\'s own batches, with the buffers (and timestamp buffers) to write into again', async () => {
    const ports = countingPorts();
    const packA = recordingPacking();
    const a = new PortMultiplexer(ports.a, 4, packA);
    const b = new PortMultiplexer(ports.b, 4, { encode: encodeBatch, decode: decodeBatch });
    try {
      const aToB = a.sender(0);
      const bToA = b.sender(1);
      const atB = b.receiver(0);
      // Large timestamps first: the buffer that comes back is longer than the next batch needs.
      aToB.send(records(0, 6, { timestamps: [1, 2, 3, 4, 5, 6] }));
      await until(() => atB.hasMessage);
      const sent = ports.posted.a.flatMap(framesOf).find((f) => f.kind === 'packed')!;
      assert.ok(sent.kind === 'packed' && sent.timestamps !== undefined);
      const [first] = drain(atB) as RecordBatch[];
      assert.deepEqual(first!.timestamps, [1, 2, 3, 4, 5, 6]);
      atB.release();
      bToA.send(records(50, 2)); // b's own batch, in the same turn as the credit
      await until(() => ports.posted.b.length > 0);
      const fromB = ports.posted.b.at(-1)!;
      assert.deepEqual(framesOf(fromB).map((f) => f.kind).sort(), ['credit', 'packed'], 'one message: the credit rode along');
      const credit = framesOf(fromB).find((f) => f.kind === 'credit')!;
      assert.ok(credit.kind === 'credit' && credit.buffers?.length === 1 && credit.timestampBuffers?.length === 1);
      await until(() => aToB.hasCredit() && a.receiver(1).hasMessage);
      aToB.send(records(6, 2, { timestamps: [7, 8] }));
      assert.ok(packA.spares[1] !== undefined && packA.spares[1].byteLength > 0, 'the second encode was offered the buffer that came back');
      await until(() => atB.hasMessage);
      const second = drain(atB) as RecordBatch[];
      assert.deepEqual(second.map((m) => [m.records.map((r) => (r as { v: number }).v), m.timestamps]), [[[6, 7], [7, 8]]], 'a longer timestamp buffer is read for as many records as the batch has');
      assert.equal(drain(a.receiver(1)).length, 1);
    } finally {
      a.close();
      b.close();
    }
  });
  it('a keyed batch\'s dictionary hints reach the encoder but never the wire, packed or cloned', async () => {
    const ports = countingPorts();
    const offered: unknown[] = [];
    const a = new PortMultiplexer(ports.a, 8, { encode: (batch, spare, dictionary) => (offered.push(batch.dictionaryHints), encodeBatch(batch, spare, dictionary)), decode: decodeBatch });
    const b = new PortMultiplexer(ports.b, 8, { encode: encodeBatch, decode: decodeBatch });
    try {
      const hints = [{ value: 'key0', dictionary: undefined, id: -1, epoch: 0 }, { value: 'key1', dictionary: undefined, id: -1, epoch: 0 }];
      a.sender(0).send(records(0, 2, { keys: ['key0', 'key1'], keyGroups: [3, 4], dictionaryHints: hints }));
      // A record the codec refuses (a nested object): the batch goes by structured clone.
      a.sender(0).send({ kind: 'records', records: [{ k: 'key0', v: { nested: 1 } }], keys: ['key0'], keyGroups: [3], dictionaryHints: [hints[0]] });
      await until(() => b.receiver(0).queued === 2);
      assert.equal(offered[0], hints, 'the encoder had the hints');
      assert.equal(hints[0]!.id, 0, 'and filled them in');
      const frames = ports.posted.a.flatMap(framesOf);
      assert.deepEqual(frames.map((f) => f.kind), ['packed', 'message']);
      const cloned = frames[1]!.kind === 'message' ? frames[1]!.message : undefined;
      assert.deepEqual(cloned, { kind: 'records', records: [{ k: 'key0', v: { nested: 1 } }], keyGroups: [3] });
      const received = drain(b.receiver(0)) as RecordBatch[];
      assert.deepEqual(received.map((m) => Object.keys(m).sort()), [['keyGroups', 'kind', 'records'], ['keyGroups', 'kind', 'records']]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a channel\'s strings travel once, as new dictionary entries beside the first batch that uses them; spills and polls decode queued batches in any order', async () => {
    const ports = countingPorts();
    const a = new PortMultiplexer(ports.a, 8, { encode: encodeBatch, decode: decodeBatch });
    const b = new PortMultiplexer(ports.b, 8, { encode: encodeBatch, decode: decodeBatch });
    try {
      const s0 = a.sender(0);
      const s1 = a.sender(1);
      const r0 = b.receiver(0);
      const spilled: unknown[] = [];
      let ended = false;
      r0.spill!(1, { batch: (m) => spilled.push(...m.records.map((r) => structuredClone(r))), end: () => (ended = true) });
      s0.send(records(0, 3));
      s0.send(records(1, 3)); // key1, key2 again, key3 new
      s1.send(records(0, 2)); // another channel: its own dictionary
      s0.send({ kind: 'barrier', checkpointId: 1, timestamp: 0 });
      await until(() => ended && b.receiver(1).queued === 1);
      const packed = ports.posted.a.flatMap(framesOf).filter((f) => f.kind === 'packed');
      assert.deepEqual(packed.map((f) => [f.channel, f.kind === 'packed' ? f.strings : undefined]), [
        [0, ['key0', 'key1', 'key2']],
        [0, ['key3']],
        [1, ['key0', 'key1']],
      ]);
      assert.deepEqual(spilled, [...records(0, 3).records, ...records(1, 3).records], 'the spill decoded both batches as they arrived');
      assert.deepEqual(drain(r0).map((m) => (m.kind === 'records' ? m.records : m.kind)), [records(0, 3).records, records(1, 3).records, 'barrier']);
      assert.deepEqual(drain(b.receiver(1)).map((m) => (m.kind === 'records' ? m.records : m.kind)), [records(0, 2).records]);
    } finally {
      a.close();
      b.close();
    }
  });
});
