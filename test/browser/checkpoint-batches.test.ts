/// <reference types="mocha" />
// The checkpoint writer's chunk batches on Chromium's real IndexedDB: every way a snapshot can end
// — acknowledged, aborted, its task closed, superseded by the next, declined for a failed write,
// failed at the barrier, or left mid-encoding by a task that stops stepping — leaves the chunk
// store free: a restore's read, a retention delete and the next checkpoint (another attempt's
// writer on the same database) proceed. A batch's open transaction holds the store, so a batch
// that never ended would make each of them wait forever (mocha's timeout fails the test then).
import { keyGroupOf, keyGroupRangeOf } from '../../src/graph/key-groups.js';
import type { StateHandle, TaskReport } from '../../src/runtime/control-messages.js';
import type { StreamOperator } from '../../src/runtime/operators/stream-operator.js';
import { CheckpointWriter } from '../../src/runtime/task/checkpoint-writer.js';
import { KeyedChunkReuse } from '../../src/runtime/task/keyed-chunk-reuse.js';
import { openIndexedDbStorage, type IndexedDbCheckpointStorage } from '../../src/state/backends/indexeddb-storage.js';
import type { FailWrites } from '../../src/state/backends/backend-support.js';
import { decodeChunk } from '../../src/state/chunk-format.js';
import { HeapKeyedStateBackend, type KeyedStatePayload } from '../../src/state/heap-keyed-state-backend.js';
import { assertEqual } from '../contract/storage-contract.js';
import { deleteDatabase } from './delete-database.js';

function fail(message: string): never {
  throw new Error(message);
}

const MAX = 128;
const range = keyGroupRangeOf(0, 1, MAX);
const KEYS = 6_000;
/** 6 000 keys of ~200 bytes: ~1.3 MB in 16 chunks, several 256 kB slices of the writer. */
const value = (i: number, round: number) => `${round}:${i}:`.padEnd(200, 'x');
const opened: IndexedDbCheckpointStorage[] = [];
const unique = (label: string) => `weir-batches-${label}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

async function open(label: string, failWrites?: FailWrites): Promise<IndexedDbCheckpointStorage> {
  const storage = await openIndexedDbStorage({ database: unique(label), ...(failWrites !== undefined ? { failWrites } : {}) });
  opened.push(storage);
  if (storage.openChunkBatch() === undefined) fail('an open IndexedDB storage makes chunk batches'); // (an empty batch: nothing to end)
  return storage;
}

function keyedOperator(round: number, uid = 'op'): StreamOperator {
  const backend = new HeapKeyedStateBackend(range);
  for (let i = 0; i < KEYS; i++) {
    const key = `key-${i}`;
    backend.setCurrentKey(key, keyGroupOf(key, MAX));
    backend.valueState<string>('v').update(value(i, round));
  }
  return { uid, keyedBackend: backend, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: backend }) };
}

/** An attempt's checkpoint writer (its attempt id names its chunks) and the reports it made, with a wait for one. */
function writerOn(storage: IndexedDbCheckpointStorage, attempt: number, uids = ['op']) {
  const reports: TaskReport[] = [];
  const waiting: { id: number; resolve: (r: TaskReport) => void }[] = [];
  const writer = new CheckpointWriter({
    subtask: { vertexId: 0, subtaskIndex: 0 }, attempt, storage, clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} },
    report: (r) => {
      reports.push(r);
      for (const w of waiting) if ('checkpointId' in r && r.checkpointId === w.id) w.resolve(r);
    },
    reuse: new Map(uids.map((uid) => [uid, new KeyedChunkReuse()])), taskName: () => 'batches', alive: () => true,
  });
  const who = { jobName: 'batches', attemptId: `1.${attempt}`, subtaskIndex: 0, keyGroupRange: range };
  const outcome = (checkpointId: number) => new Promise<TaskReport>((resolve) => {
    const seen = reports.find((r) => 'checkpointId' in r && r.checkpointId === checkpointId);
    if (seen !== undefined) resolve(seen);
    else waiting.push({ id: checkpointId, resolve });
  });
  const acked = async (checkpointId: number): Promise<readonly StateHandle[]> => {
    const r = await outcome(checkpointId);
    if (r.kind !== 'ack') fail(`checkpoint ${checkpointId}: ${JSON.stringify(r)}`);
    return (r as Extract<TaskReport, { kind: 'ack' }>).handles;
  };
  return { writer, who, reports, outcome, acked };
}

/** What a restore does: reads every chunk of a checkpoint and decodes its keys; checks a sample of them. */
async function restoreAndCheck(storage: IndexedDbCheckpointStorage, handles: readonly StateHandle[], round: number): Promise<void> {
  const backend = new HeapKeyedStateBackend(range);
  const payloads: KeyedStatePayload[] = [];
  for (const h of handles) {
    const bytes = await storage.getChunk(h.key);
    if (bytes === undefined) fail(`chunk ${h.key} missing`);
    payloads.push(decodeChunk(bytes!, 'keyed-state').payload as KeyedStatePayload);
  }
  backend.restore(payloads);
  for (let i = 0; i < KEYS; i += 97) {
    const key = `key-${i}`;
    backend.setCurrentKey(key, keyGroupOf(key, MAX));
    assertEqual(backend.valueState<string>('v').value(), value(i, round), `restored ${key}`);
  }
}

/** A snapshot in the middle of its encoding: some chunks handed to the batch (its transaction open), more to come. */
function midEncoding(writer: CheckpointWriter): void {
  if (!writer.step()) fail('the snapshot was encoded in one slice: nothing left in flight');
}

describe('checkpoint writer: IndexedDB chunk batches end on every way out of a snapshot (Chromium)', () => {
  after(async () => {
    for (const s of opened.splice(0)) {
      await s.close();
      await deleteDatabase(s.database);
    }
  });

  it('aborted mid-encoding, or its task closed: a restore reads the last checkpoint, a retention delete and the next attempt\'s checkpoint proceed', async () => {
    const storage = await open('abort');
    const a = writerOn(storage, 1);
    a.writer.take(1, [keyedOperator(1)], a.who, 0);
    a.writer.finish();
    const first = await a.acked(1);
    assertEqual(first.length, 16, 'checkpoint 1: a chunk per span of 8 key groups');
    a.writer.take(2, [keyedOperator(2)], a.who, 0);
    midEncoding(a.writer);
    a.writer.abandon(2); // the coordinator aborted it
    await restoreAndCheck(storage, first, 1);
    a.writer.take(3, [keyedOperator(3)], a.who, 0);
    midEncoding(a.writer);
    a.writer.abandon(); // the task stops (cancel, kill, failure)
    await restoreAndCheck(storage, first, 1);
    await storage.deleteChunks(first.slice(0, 4).map((h) => h.key));
    const b = writerOn(storage, 2);
    b.writer.take(4, [keyedOperator(4)], b.who, 0);
    b.writer.finish();
    await restoreAndCheck(storage, await b.acked(4), 4);
    assertEqual(a.reports.length, 1, 'the abandoned checkpoints neither acked nor declined');
  });

  it('superseded by the next barrier: the first is finished and acked, then the second, and both restore', async () => {
    const storage = await open('supersede');
    const a = writerOn(storage, 1);
    a.writer.take(1, [keyedOperator(1)], a.who, 0);
    midEncoding(a.writer);
    const op2 = keyedOperator(2);
    a.writer.take(2, [op2], a.who, 0); // finishes checkpoint 1 first
    while (a.writer.step());
    await restoreAndCheck(storage, await a.acked(1), 1);
    await restoreAndCheck(storage, await a.acked(2), 2);
  });

  it('declined for a chunk that could not be stored: the failure is reported, and the next checkpoint and a restore proceed', async () => {
    const injected = new Error('injected disk failure');
    let failures = 0;
    const storage = await open('decline', (op, key) => {
      if (op !== 'putChunk' || !key.includes('/chunks/000000000001/') || !key.includes('/keyed-64-')) return undefined;
      failures++;
      return injected;
    });
    const a = writerOn(storage, 1);
    a.writer.take(1, [keyedOperator(1)], a.who, 0);
    while (a.writer.step());
    const declined = await a.outcome(1);
    assertEqual(declined.kind === 'decline' && declined.storageFailure, true, `checkpoint 1 declined for its storage (${JSON.stringify(declined)})`);
    assertEqual(failures, 1, 'failures injected');
    a.writer.take(2, [keyedOperator(2)], a.who, 0);
    while (a.writer.step());
    await restoreAndCheck(storage, await a.acked(2), 2);
  });

  it('failed at the barrier after a chunk was put (an operator state that cannot be snapshot): the task fails, and the next attempt checkpoints and restores', async () => {
    const storage = await open('throw');
    const a = writerOn(storage, 1, ['op', 'bad']);
    a.writer.take(1, [keyedOperator(1)], a.who, 0);
    a.writer.finish();
    const first = await a.acked(1);
    const broken = new Error('state that cannot be snapshot');
    const listed: StreamOperator = { ...keyedOperator(2, 'listed'), keyedBackend: undefined, snapshotState: () => ({ operatorState: ['x'.repeat(100_000)] }) };
    const bad: StreamOperator = { ...listed, uid: 'bad', snapshotState: () => { throw broken; } };
    let thrown: unknown;
    try {
      a.writer.take(2, [listed, bad], a.who, 0); // the first operator's chunk goes into the batch, then the second throws
    } catch (error) {
      thrown = error;
    }
    assertEqual(thrown, broken, 'the snapshot\'s failure reaches the task');
    await restoreAndCheck(storage, first, 1);
    const b = writerOn(storage, 2);
    b.writer.take(3, [keyedOperator(3)], b.who, 0);
    b.writer.finish();
    await restoreAndCheck(storage, await b.acked(3), 3);
  });

  it('left mid-encoding by a task that stops stepping (held for credit, or dropped): another attempt\'s checkpoint and a restore proceed', async () => {
    const storage = await open('held');
    const a = writerOn(storage, 1);
    a.writer.take(1, [keyedOperator(1)], a.who, 0);
    a.writer.finish();
    const first = await a.acked(1);
    a.writer.take(2, [keyedOperator(2)], a.who, 0);
    midEncoding(a.writer); // and no more steps: its batch is neither full nor ended
    const b = writerOn(storage, 2);
    b.writer.take(3, [keyedOperator(3)], b.who, 0);
    b.writer.finish();
    await restoreAndCheck(storage, await b.acked(3), 3);
    await restoreAndCheck(storage, first, 1);
    while (a.writer.step()); // the held task goes on: its checkpoint completes too, in a transaction of its own
    await restoreAndCheck(storage, await a.acked(2), 2);
  });
});
