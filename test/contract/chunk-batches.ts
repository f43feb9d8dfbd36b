// Chunk batches (CheckpointStorage.openChunkBatch), part of the storage contract (storage-contract.ts
// runs these on every backend): a batch stores what its puts lent it, exactly, though the lender
// reuses each view once the batch is done with it, whether the puts come in one task or spread over
// many (IndexedDB keeps one transaction open across them); a failure rejects the put that failed and
// stores nothing of it. A backend without batches is checked on the path the checkpoint writer
// then takes (putLentChunk, else putChunk), so every check runs everywhere.
import type { CheckpointStorage, ChunkBatch } from '../../src/state/checkpoint-storage.js';
import type { ContractHelpers } from './existence-conditions.js';

type Failure = { code?: unknown; details?: Record<string, unknown>; cause?: unknown };
type Check = (title: string, body: (storage: CheckpointStorage) => Promise<void>) => void;
type FailingCheck = (title: string, failWrites: (op: 'putChunk' | 'putMetadata', key: string) => Error | undefined, body: (storage: CheckpointStorage) => Promise<void>) => void;

export interface BatchHelpers extends ContractHelpers {
  assertEqual(actual: unknown, expected: unknown, what: string): void;
  patternBytes(length: number, seed: number): Uint8Array;
}

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The checkpoint writer's way to a storage: a batch where it has one, else a chunk at a time. */
function writerOf(s: CheckpointStorage): { batch: ChunkBatch | undefined; put(key: string, bytes: Uint8Array, done: () => void): Promise<void>; end(): void } {
  const batch = s.openChunkBatch?.();
  return {
    batch,
    put: (key, bytes, done) => (batch !== undefined ? batch.put(key, bytes, done) : s.putLentChunk !== undefined ? s.putLentChunk(key, bytes, done) : s.putChunk(key, bytes)),
    end: () => batch?.end(),
  };
}

export function defineChunkBatchChecks(check: Check, checkFailing: FailingCheck, { assertBytes, assertEqual, assertKeys, assertRejects, fail, patternBytes }: BatchHelpers): void {
  check('stores a batch\'s lent views exactly, though the lender reuses each once the batch is done with it, put in one task and across tasks', async (s) => {
    await s.listChunks(''); // an opened storage: IndexedDB makes batches once its connection is open
    const pool = patternBytes(6_000_000, 29);
    // Three views in one task (two wait for the batch), then one per task: 6 MB, more than one of IndexedDB's transactions takes.
    const views = [0, 1, 2, 3, 4, 5].map((i) => pool.subarray(i * 1_000_000 + i, (i + 1) * 1_000_000 - 7 * i));
    const expected = views.map((v) => v.slice());
    const w = writerOf(s);
    const givenBack = new Set<number>();
    const lend = (i: number) => {
      const reuse = () => {
        givenBack.add(i);
        views[i]!.fill(0xee);
      };
      return w.put(`b/${i}`, views[i]!, reuse).then(reuse);
    };
    const writes = [lend(0), lend(1), lend(2)];
    for (let i = 3; i < views.length; i++) {
      await nextTask();
      writes.push(lend(i));
    }
    await nextTask();
    w.end();
    await Promise.all(writes);
    assertEqual(givenBack.size, views.length, 'every lent view given back');
    assertKeys(await s.listChunks('b/'), views.map((_, i) => `b/${i}`), 'the batch\'s chunks');
    for (const [i, bytes] of expected.entries()) {
      const got = await s.getChunk(`b/${i}`);
      assertBytes(got, bytes, `chunk ${i}`);
      assertEqual(got!.buffer.byteLength, bytes.byteLength, `chunk ${i}: only its own bytes`);
    }
  });

  check('a batch that took nothing ends without writing; a put after the end or of an invalid key rejects (never throws) and stores nothing', async (s) => {
    await s.listChunks('');
    const empty = writerOf(s);
    empty.end();
    const w = writerOf(s);
    await assertRejects(() => w.put('', new Uint8Array(1), () => {}), (e: Failure) => e?.code === 'INVALID_ARGUMENT', 'an empty key');
    const stored = w.put('e/1', new Uint8Array([1, 2]), () => {});
    w.end();
    await stored;
    if (w.batch !== undefined) await assertRejects(() => w.batch!.put('e/2', new Uint8Array([3]), () => {}), (e: Failure) => e?.code === 'CHECKPOINT_STORAGE_FAILED', 'a put after end()');
    assertKeys(await s.listChunks('e/'), ['e/1'], 'chunks');
  });

  const injected = new Error('injected disk failure');
  checkFailing('fails a batch\'s put that cannot be stored: it rejects with the failure, and every chunk reads back if and only if its put resolved', (op, key) => (op === 'putChunk' && key === 'f/2' ? injected : undefined), async (s) => {
    await s.listChunks('');
    const w = writerOf(s);
    const outcomes: Promise<'stored' | unknown>[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(w.put(`f/${i}`, new Uint8Array([i, i, i]), () => {}).then(() => 'stored', (error: unknown) => error));
      await nextTask();
    }
    w.end();
    const settled = await Promise.all(outcomes);
    const failed = settled[2] as Failure;
    if (!(failed === injected || (failed?.code === 'CHECKPOINT_STORAGE_FAILED' && failed.cause === injected))) fail(`the failing put settled with ${String(failed)}`);
    for (const [i, outcome] of settled.entries()) {
      const got = await s.getChunk(`f/${i}`);
      if (outcome === 'stored') assertBytes(got, new Uint8Array([i, i, i]), `chunk ${i}, whose put resolved`);
      else assertBytes(got, undefined, `chunk ${i}, whose put rejected`);
    }
  });
}
