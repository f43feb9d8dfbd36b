import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurableObjectChunkBatch, MAX_HELD_BYTES, type HeldChunk } from '../../../src/state/backends/durable-object-chunk-batch.js';

const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A batch over a recorder of its transactions (each call of writeAll is one), copying what each stores. */
function recorded(fail?: (chunks: readonly HeldChunk[]) => Error | undefined) {
  const transactions: { key: string; bytes: number[] }[][] = [];
  const batch = new DurableObjectChunkBatch((chunks) => {
    const failure = fail?.(chunks);
    if (failure !== undefined) throw failure;
    transactions.push(chunks.map((c) => ({ key: c.key, bytes: [...c.bytes] })));
  });
  return { batch, transactions };
}

describe('Durable Object chunk batch', () => {
  it('holds the chunks put across tasks and writes them in one transaction at end(), in order; each put settles and gives its bytes back only then', async () => {
    const { batch, transactions } = recorded();
    const given: string[] = [];
    const settled: string[] = [];
    const puts: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      const bytes = new Uint8Array([i, i + 1, i + 2]);
      puts.push(batch.put(`c/${i}`, bytes, () => given.push(`c/${i}`)).then(() => void settled.push(`c/${i}`)));
      await nextTask();
    }
    assert.equal(transactions.length, 0, 'nothing written before end()');
    assert.deepEqual(given, [], 'no bytes given back before they are written');
    batch.end();
    assert.equal(transactions.length, 1, 'one transaction');
    assert.deepEqual(transactions[0], [0, 1, 2, 3, 4].map((i) => ({ key: `c/${i}`, bytes: [i, i + 1, i + 2] })));
    assert.deepEqual(given, ['c/0', 'c/1', 'c/2', 'c/3', 'c/4']);
    await Promise.all(puts);
    assert.equal(settled.length, 5);
    batch.end();
    assert.equal(transactions.length, 1, 'a second end() writes nothing');
  });

  it('writes what it holds once it holds MAX_HELD_BYTES, so a large snapshot holds at most that much', async () => {
    const { batch, transactions } = recorded();
    const part = new Uint8Array(MAX_HELD_BYTES / 4);
    const puts = [0, 1, 2, 3, 4, 5].map((i) => batch.put(`big/${i}`, part));
    assert.deepEqual(transactions.map((t) => t.map((c) => c.key)), [['big/0', 'big/1', 'big/2', 'big/3']]);
    batch.end();
    assert.deepEqual(transactions.map((t) => t.length), [4, 2]);
    await Promise.all(puts);
  });

  it('rejects every put of a transaction that failed (nothing of it was stored), and only those', async () => {
    const injected = new Error('injected SQLITE_FULL');
    const { batch, transactions } = recorded((chunks) => (chunks.some((c) => c.key === 'f/1') ? injected : undefined));
    let given = 0;
    const first = [0, 1, 2].map((i) => batch.put(`f/${i}`, new Uint8Array(MAX_HELD_BYTES / 3 + 1), () => given++).then(() => 'stored', (e: unknown) => e));
    const second = batch.put('f/3', new Uint8Array([3]), () => given++).then(() => 'stored', (e: unknown) => e);
    batch.end();
    assert.deepEqual(await Promise.all(first), [injected, injected, injected]);
    assert.equal(await second, 'stored');
    assert.deepEqual(transactions.map((t) => t.map((c) => c.key)), [['f/3']]);
    assert.equal(given, 4, 'every lent view given back, stored or not');
  });

  it('rejects (never throws) an invalid key or bytes, and a put after end(), and holds nothing of them', async () => {
    const { batch, transactions } = recorded();
    await assert.rejects(batch.put('', new Uint8Array(1)), (e: { code?: string }) => e.code === 'INVALID_ARGUMENT');
    await assert.rejects(batch.put('k', [1, 2] as unknown as Uint8Array), (e: { code?: string }) => e.code === 'INVALID_ARGUMENT');
    batch.end();
    await assert.rejects(batch.put('late', new Uint8Array(1)), (e: { code?: string }) => e.code === 'CHECKPOINT_STORAGE_FAILED');
    assert.equal(transactions.length, 0);
  });
});
