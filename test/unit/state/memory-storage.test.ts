import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { MemoryCheckpointStorage, memoryStorageForRealm } from '../../../src/state/backends/memory-storage.js';
import { validateStorageKey } from '../../../src/state/checkpoint-storage.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';

const bytes = (...values: number[]) => new Uint8Array(values);

class QuotaExceededError extends Error {
  override name = 'QuotaExceededError';
}

describe('validateStorageKey', () => {
  it('accepts ordinary keys and refuses empty keys, NUL and non-strings, naming the argument', () => {
    validateStorageKey('job/1/chk-7/op-counts/kg-0-63', 'key');
    assert.throws(() => validateStorageKey('', 'key'), { name: 'InvalidArgumentError', message: 'key: must not be an empty key' });
    assert.throws(() => validateStorageKey('a\0b', 'records[2].key'), /^InvalidArgumentError: records\[2\]\.key: must not contain NUL/);
    assert.throws(() => validateStorageKey(7 as unknown as string, 'key'), InvalidArgumentError);
  });
});

describe('MemoryCheckpointStorage', () => {
  it('is named memory, stores chunks and answers undefined for missing keys', async () => {
    const storage = new MemoryCheckpointStorage();
    assert.equal(storage.kind, 'memory');
    await storage.putChunk('a', bytes(1, 2, 3));
    assert.deepStrictEqual(await storage.getChunk('a'), bytes(1, 2, 3));
    assert.equal(await storage.getChunk('missing'), undefined);
    assert.equal(await storage.getMetadata('a'), undefined, 'chunks and metadata are separate namespaces');
  });

  it('stores the bytes as they were at the call, whatever the caller does with its buffer afterwards', async () => {
    const storage = new MemoryCheckpointStorage();
    const chunk = bytes(1, 2, 3);
    const pending = storage.putChunk('c', chunk);
    chunk[0] = 99; // before the put resolved
    await pending;
    chunk[1] = 98;
    const meta = bytes(4);
    await storage.putMetadata([{ key: 'm', bytes: meta }]);
    meta[0] = 97;
    assert.deepStrictEqual(await storage.getChunk('c'), bytes(1, 2, 3));
    assert.deepStrictEqual(await storage.getMetadata('m'), bytes(4));
  });

  it('returns a fresh copy on every get', async () => {
    const storage = new MemoryCheckpointStorage();
    await storage.putChunk('c', bytes(1, 2));
    await storage.putMetadata([{ key: 'm', bytes: bytes(3) }]);
    (await storage.getChunk('c'))!.fill(0);
    (await storage.getMetadata('m'))!.fill(0);
    assert.deepStrictEqual(await storage.getChunk('c'), bytes(1, 2));
    assert.deepStrictEqual(await storage.getMetadata('m'), bytes(3));
  });

  it('stores only the viewed bytes of a Node Buffer and does not share its memory', async () => {
    const storage = new MemoryCheckpointStorage();
    const pool = Buffer.from([0, 1, 2, 3, 4]);
    await storage.putChunk('b', pool.subarray(1, 3));
    pool.fill(7);
    const stored = await storage.getChunk('b');
    assert.deepStrictEqual(stored, bytes(1, 2));
    assert.equal(stored!.buffer.byteLength, 2);
  });

  it('reports bad keys and bad bytes as rejected promises, never as synchronous throws', async () => {
    const storage = new MemoryCheckpointStorage();
    const pending = storage.putChunk('', bytes(1));
    assert.ok(pending instanceof Promise);
    await assert.rejects(pending, InvalidArgumentError);
    await assert.rejects(storage.putChunk('k', [1, 2] as unknown as Uint8Array), /bytes: expected a Uint8Array/);
    await assert.rejects(storage.getMetadata('x\0'), InvalidArgumentError);
    await assert.rejects(storage.deleteChunks(['ok', '']), /keys\[1\]/);
    assert.deepStrictEqual(await storage.listChunks(''), []);
  });

  it('lists keys with a prefix in ascending order, for chunks and metadata alike', async () => {
    const storage = new MemoryCheckpointStorage();
    const keys = ['job/2/b', 'job/10/a', 'other/x', 'job/1/a', 'job', 'job/1/B'];
    for (const key of keys) await storage.putChunk(key, bytes(1));
    await storage.putMetadata(keys.map((key) => ({ key, bytes: bytes(2) })));
    const expected = ['job/1/B', 'job/1/a', 'job/10/a', 'job/2/b'];
    assert.deepStrictEqual(await storage.listChunks('job/'), expected);
    assert.deepStrictEqual(await storage.listMetadata('job/'), expected);
    assert.deepStrictEqual(await storage.listChunks(''), [...keys].sort());
    assert.deepStrictEqual(await storage.listMetadata('nothing/'), []);
  });

  it('treats deleting missing keys as a no-op and deletes the rest', async () => {
    const storage = new MemoryCheckpointStorage();
    await storage.putChunk('a', bytes(1));
    await storage.putChunk('b', bytes(2));
    await storage.putMetadata([{ key: 'm1', bytes: bytes(1) }, { key: 'm2', bytes: bytes(2) }]);
    await storage.deleteChunks(['missing', 'a', 'also-missing']);
    await storage.deleteChunks([]);
    await storage.deleteMetadata(['m1', 'nope']);
    assert.deepStrictEqual(await storage.listChunks(''), ['b']);
    assert.deepStrictEqual(await storage.listMetadata(''), ['m2']);
  });

  it('writes several metadata records at once, or none of them when one write fails', async () => {
    const calls: string[] = [];
    const quota = new QuotaExceededError('quota exceeded');
    const storage = new MemoryCheckpointStorage({
      failWrites: (op, key) => { calls.push(`${op}:${key}`); return key === 'job/chk-2/b' ? quota : undefined; },
    });
    await storage.putMetadata([{ key: 'job/latest', bytes: bytes(1) }]);
    const attempt = storage.putMetadata([
      { key: 'job/chk-2/a', bytes: bytes(2) },
      { key: 'job/chk-2/b', bytes: bytes(2) },
      { key: 'job/latest', bytes: bytes(2) },
    ]);
    await assert.rejects(attempt, (error) => error === quota);
    assert.deepStrictEqual(calls, ['putMetadata:job/latest', 'putMetadata:job/chk-2/a', 'putMetadata:job/chk-2/b']);
    assert.deepStrictEqual(await storage.listMetadata(''), ['job/latest']);
    assert.deepStrictEqual(await storage.getMetadata('job/latest'), bytes(1), 'the earlier commit stays as it was');
    await assert.rejects(storage.putMetadata([{ key: 'fine', bytes: bytes(3) }, { key: '', bytes: bytes(3) }]), InvalidArgumentError);
    assert.equal(await storage.getMetadata('fine'), undefined, 'an invalid key in the batch stores nothing');
  });

  it('fails an injected chunk write with the hook error and stores nothing for that key', async () => {
    const storage = new MemoryCheckpointStorage({
      failWrites: (op, key) => (op === 'putChunk' && key.endsWith('/kg-1') ? new QuotaExceededError(key) : undefined),
    });
    await storage.putChunk('chk-1/kg-0', bytes(1));
    await assert.rejects(storage.putChunk('chk-1/kg-1', bytes(2)), { name: 'QuotaExceededError', message: 'chk-1/kg-1' });
    assert.deepStrictEqual(await storage.listChunks('chk-1/'), ['chk-1/kg-0']);
  });
});

describe('memoryStorageForRealm', () => {
  const slot = Symbol.for('weir.memory-storage');
  const holder = globalThis as unknown as Record<symbol, unknown>;

  it('returns one store per realm, kept on globalThis under the registered symbol', async () => {
    delete holder[slot];
    try {
      const first = memoryStorageForRealm();
      await first.putChunk('shared', bytes(5));
      const second = memoryStorageForRealm();
      assert.equal(second, first);
      assert.equal(holder[slot], first);
      assert.deepStrictEqual(await second.getChunk('shared'), bytes(5));
    } finally {
      delete holder[slot];
    }
  });

  it('hands out the store another copy of the bundle already registered', () => {
    delete holder[slot];
    try {
      // Another copy's class is not this one, so no instanceof check may reject its store.
      const fromOtherCopy = { kind: 'memory' };
      Object.defineProperty(globalThis, slot, { value: fromOtherCopy, configurable: true });
      assert.equal(memoryStorageForRealm(), fromOtherCopy);
    } finally {
      delete holder[slot];
    }
  });
});
