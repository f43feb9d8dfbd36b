// Deno KV storage's chunk writes against an in-memory stand-in for a Deno.Kv that records when
// each atomic operation is committed (the real binary runs the storage contract: test/deno).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DenoKvCheckpointStorage } from '../../../src/state/backends/deno-kv-storage.js';
import type { DenoKvLike, KvEntryMaybe, KvKey } from '../../../src/state/backends/deno-kv-values.js';

const id = (key: KvKey) => JSON.stringify(key.map((p) => (p instanceof Uint8Array ? [...p] : p)));

/** Atomic operations with checks and sets, applied when committed; `commits` counts the commit() calls. */
function fakeKv() {
  const data = new Map<string, { key: KvKey; value: unknown; versionstamp: string }>();
  let version = 0;
  const log = { commits: 0, parts: [] as number[] };
  const get = (key: KvKey): KvEntryMaybe => {
    const e = data.get(id(key));
    return e === undefined ? { key, value: null, versionstamp: null } : { key, value: e.value, versionstamp: e.versionstamp };
  };
  const kv: DenoKvLike = {
    get: async (key) => get(key),
    getMany: async (keys) => keys.map(get),
    list: async function* (selector) {
      const prefix = 'prefix' in selector ? id(selector.prefix).slice(0, -1) : '\u0000';
      for (const [k, e] of [...data].sort()) if (k.startsWith(prefix)) yield { key: e.key, value: e.value };
    },
    atomic() {
      const checks: { key: KvKey; versionstamp: string | null }[] = [];
      const writes: { key: KvKey; value: unknown }[] = [];
      const op = {
        check: (...c: { key: KvKey; versionstamp: string | null }[]) => (checks.push(...c), op),
        set: (key: KvKey, value: unknown) => (writes.push({ key, value: value instanceof Uint8Array ? value.slice() : structuredClone(value) }), op),
        delete: (key: KvKey) => (writes.push({ key, value: undefined }), op),
        commit: async () => {
          log.commits++;
          log.parts.push(writes.filter((w) => w.value instanceof Uint8Array).length);
          if (checks.some((c) => get(c.key).versionstamp !== c.versionstamp)) return { ok: false };
          const versionstamp = String(++version).padStart(20, '0');
          for (const w of writes) {
            if (w.value === undefined) data.delete(id(w.key));
            else data.set(id(w.key), { key: w.key, value: w.value, versionstamp });
          }
          return { ok: true };
        },
      };
      return op;
    },
  };
  return { kv, log };
}

const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('Deno KV storage: a chunk\'s first commit', () => {
  it('is handed to KV within the putLentChunk call, before its first await (so KV writes it while the caller encodes on)', async () => {
    const { kv, log } = fakeKv();
    const storage = new DenoKvCheckpointStorage(kv);
    await storage.putChunk('warm-up', pattern(10, 0)); // the sweep of a fresh instance, done once
    const before = log.commits;
    const big = pattern(11 * 60 * 1024 - 5, 1); // 11 parts: into one atomic operation with its head
    const small = pattern(1000, 2); // inline in its head
    const writes = [storage.putLentChunk('ck/1/big', big), storage.putLentChunk('ck/1/small', small)];
    assert.equal(log.commits - before, 2, 'both commits were issued synchronously');
    assert.deepEqual(log.parts.slice(before), [11, 0]);
    await Promise.all(writes);
    assert.equal(log.commits - before, 2, 'one atomic operation each, no read or staging before it');
    assert.deepEqual(await storage.getChunk('ck/1/big'), big);
    assert.deepEqual(await storage.getChunk('ck/1/small'), small);
  });

  it('replaces an existing chunk: the first commit finds the head there, writes nothing, and the read-then-commit rounds follow', async () => {
    const { kv } = fakeKv();
    const storage = new DenoKvCheckpointStorage(kv);
    await storage.putChunk('ck/2/a', pattern(3 * 60 * 1024, 3));
    await storage.putLentChunk('ck/2/a', pattern(2 * 60 * 1024 + 7, 4));
    assert.deepEqual(await storage.getChunk('ck/2/a'), pattern(2 * 60 * 1024 + 7, 4));
    await storage.putLentChunk('ck/2/a', pattern(100, 5));
    assert.deepEqual(await storage.getChunk('ck/2/a'), pattern(100, 5));
  });

  it('a chunk of more than 12 parts is staged first, as before (nothing issued in the call)', async () => {
    const { kv, log } = fakeKv();
    const storage = new DenoKvCheckpointStorage(kv);
    await storage.putChunk('warm-up', pattern(10, 0));
    const before = log.commits;
    const huge = pattern(13 * 60 * 1024, 6);
    const write = storage.putLentChunk('ck/3/huge', huge);
    assert.equal(log.commits - before, 0);
    await write;
    assert.deepEqual(await storage.getChunk('ck/3/huge'), huge);
  });

  it('a KV that throws when the operation is built or committed: the put rejects with a storage failure, never throws', async () => {
    const { kv } = fakeKv();
    const storage = new DenoKvCheckpointStorage({ ...kv, atomic: () => { throw new TypeError('Database closed'); } });
    const write = storage.putLentChunk('ck/4/a', pattern(10, 7));
    await assert.rejects(write, (e: Error & { code?: string }) => e.code === 'CHECKPOINT_STORAGE_FAILED' && /Database closed/.test(String((e as { cause?: unknown }).cause)));
  });
});
