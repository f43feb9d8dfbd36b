// Deno KV storage in the real Deno binary (--unstable-kv), each handle on a temporary KV file in
// .test-build/deno: the shared CheckpointStorage contract, then what only this backend has (values
// split into parts, their clean-up, limits, tampered records). Flat test() calls: the Deno phase
// counts Deno's top-level tests.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { defineStorageContract, patternBytes, type FailWrites } from '../contract/storage-contract.js';
import { readTable, run } from 'weir';
import { DenoKvCheckpointStorage } from '../../src/state/backends/deno-kv-storage.js';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import type { DenoKvLike, KvKey } from '../../src/state/backends/deno-kv-values.js';
import type { CheckpointStorage } from '../../src/state/checkpoint-storage.js';

interface Kv extends DenoKvLike {
  set(key: KvKey, value: unknown): Promise<unknown>;
  close(): void;
}
const { openKv } = (globalThis as unknown as { Deno: { openKv(path: string): Promise<Kv> } }).Deno;

const scratch = await mkdtemp(fileURLToPath(new URL('./kv-contract-', import.meta.url)));
let files = 0;
const handles = new Map<CheckpointStorage, { kv: Kv; path: string }>();
const paths = new Map<CheckpointStorage, string>(); // kept after close, for openAgain
async function openOn(path: string, options: { failWrites?: FailWrites } = {}): Promise<DenoKvCheckpointStorage> {
  const kv = await openKv(path);
  const storage = new DenoKvCheckpointStorage(kv, options);
  handles.set(storage, { kv, path });
  paths.set(storage, path);
  return storage;
}
function close(storage: CheckpointStorage): void {
  const handle = handles.get(storage);
  handles.delete(storage);
  handle?.kv.close();
}
after(async () => {
  for (const s of [...handles.keys()]) close(s);
  await rm(scratch, { recursive: true, force: true });
});

/** describe/it flattened into top-level tests named "<describe> › <it>". */
const flat = (() => {
  const names: string[] = [];
  return {
    describe(name: string, body: () => void) {
      names.push(name);
      body();
      names.pop();
    },
    it(name: string, body: () => Promise<void>) {
      test([...names, name].join(' › '), body);
    },
  };
})();

defineStorageContract('deno-kv (a temporary KV file)', {
  open: (options = {}) => openOn(`${scratch}/kv-${++files}.sqlite`, options),
  openAgain: (storage) => openOn(paths.get(storage)!),
  close: async (storage) => close(storage),
}, flat);

async function withKv(body: (storage: DenoKvCheckpointStorage, kv: Kv) => Promise<void>): Promise<void> {
  const storage = await openOn(`${scratch}/kv-${++files}.sqlite`);
  try {
    await body(storage, handles.get(storage)!.kv);
  } finally {
    close(storage);
  }
}

async function keysUnder(kv: Kv, prefix: KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix })) n++;
  return n;
}

test('deno-kv: a value over 60 KiB is stored as parts of ≤ 60 KiB, replaced and deleted without leaving parts behind', async () => {
  await withKv(async (s, kv) => {
    const first = patternBytes(1_000_000, 3);
    await s.putChunk('big', first);
    assert.equal(await keysUnder(kv, ['weir', 'p']), Math.ceil(1_000_000 / 61_440), 'parts of the first value');
    for await (const e of kv.list({ prefix: ['weir', 'p'] })) assert.ok((e.value as Uint8Array).byteLength <= 61_440);
    await s.putChunk('big', patternBytes(200_000, 4));
    assert.equal(await keysUnder(kv, ['weir', 'p']), 4, 'only the parts of the value that replaced it');
    await s.putMetadata([{ key: 'm', bytes: patternBytes(70_000, 5) }]);
    await s.deleteChunks(['big']);
    await s.deleteMetadata(['m']);
    assert.equal(await keysUnder(kv, ['weir', 'p']), 0, 'no part left');
    assert.equal(await keysUnder(kv, ['weir', 'w']), 0, 'no marker left');
  });
});

test('deno-kv: a new chunk is one atomic operation checking that its head is absent, with no read before it; a replaced one is read first', async () => {
  await withKv(async (_, kv) => {
    const calls: string[] = [];
    const counted: DenoKvLike = {
      get: (key) => (calls.push('get'), kv.get(key)),
      getMany: (keys) => (calls.push('getMany'), kv.getMany(keys)),
      list: (selector, options) => (calls.push('list'), kv.list(selector, options)),
      atomic: () => (calls.push('atomic'), kv.atomic()),
    };
    const s = new DenoKvCheckpointStorage(counted);
    await s.listChunks(''); // the sweep, once per instance
    calls.length = 0;
    const value = patternBytes(500_000, 6); // 9 parts: they go into the commit itself
    await s.putChunk('new', value);
    assert.deepEqual(calls, ['atomic'], 'a new chunk: one atomic operation, nothing read');
    assert.deepEqual(await s.getChunk('new'), value);
    calls.length = 0;
    await s.putChunk('new', patternBytes(100_000, 7));
    assert.deepEqual(calls, ['atomic', 'getMany', 'atomic', 'atomic'], 'a replaced chunk: the absent check fails, then read, commit, and its old parts deleted');
    assert.deepEqual(await s.getChunk('new'), patternBytes(100_000, 7));
    assert.equal(await keysUnder(kv, ['weir', 'p']), 2, 'only the parts of the value that replaced it');
  });
});

test('deno-kv: a conditional metadata commit reads its heads and its condition at once, and an epoch bumped after those reads still fences it', async () => {
  await withKv(async (s, kv) => {
    await s.putMetadata([{ key: 'epoch', bytes: new Uint8Array([1]) }]);
    const calls: string[] = [];
    let inFlight = 0;
    let most = 0;
    let bumps = 0;
    const rival = new DenoKvCheckpointStorage(kv); // a newer runner on the same database
    const read = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
      calls.push(name);
      most = Math.max(most, ++inFlight);
      try {
        return await body();
      } finally {
        inFlight--;
      }
    };
    const counted: DenoKvLike = {
      get: (key) => read('get', () => kv.get(key)),
      getMany: (keys) => read('getMany', () => kv.getMany(keys)),
      list: (selector, options) => kv.list(selector, options),
      atomic: () => {
        calls.push('atomic');
        return kv.atomic();
      },
    };
    const s1 = new DenoKvCheckpointStorage(counted);
    await s1.listMetadata(''); // the sweep, once per instance
    calls.length = 0;
    await s1.putMetadata([{ key: 'ck-1', bytes: patternBytes(100, 1) }], { key: 'epoch', equals: new Uint8Array([1]) });
    assert.deepEqual(calls, ['getMany', 'get', 'atomic'], 'the heads and the condition read, then one atomic operation');
    assert.equal(most, 2, 'both reads in flight at once');
    // The fenced case: a newer epoch lands after both reads answered, before the commit.
    const bumping: DenoKvLike = {
      ...counted,
      getMany: async (keys) => {
        const heads = await kv.getMany(keys);
        if (bumps > 0) return heads;
        await new Promise((resolve) => setTimeout(resolve, 0)); // the condition's read answers meanwhile
        await rival.putMetadata([{ key: 'epoch', bytes: new Uint8Array([2]) }], { key: 'epoch', equals: new Uint8Array([1]) });
        bumps++;
        return heads;
      },
    };
    const stale = new DenoKvCheckpointStorage(bumping);
    await assert.rejects(stale.putMetadata([{ key: 'ck-2', bytes: patternBytes(100, 2) }], { key: 'epoch', equals: new Uint8Array([1]) }), { code: 'STORAGE_FENCED' });
    assert.equal(bumps, 1, 'the epoch was bumped once, between the reads and the commit');
    assert.equal(await s.getMetadata('ck-2'), undefined, 'the stale commit did not land');
    assert.deepEqual(await s.getMetadata('ck-1'), patternBytes(100, 1));
    assert.deepEqual(await s.getMetadata('epoch'), new Uint8Array([2]));
  });
});

test('deno-kv: putLentChunk stores views of a lent buffer as they were, in the commit or staged, several at once, and keeps no hold on them', async () => {
  await withKv(async (s, kv) => {
    // One pool as a checkpoint's chunk buffers are: views of it, lent until each write settles.
    const pool = patternBytes(3_000_000, 9);
    const views = { small: pool.subarray(5, 1005), inCommit: pool.subarray(1_001, 501_001), staged: pool.subarray(700_003, 2_900_003) };
    const expected = Object.fromEntries(Object.entries(views).map(([k, v]) => [k, v.slice()]));
    await Promise.all(Object.entries(views).map(([k, v]) => s.putLentChunk(k, v)));
    pool.fill(0); // the lender builds later chunks in it once the writes settled
    for (const [k, bytes] of Object.entries(expected)) {
      const got = await s.getChunk(k);
      assert.deepEqual(got, bytes, k);
      assert.equal(got!.buffer.byteLength, bytes.byteLength, `${k}: only its own bytes`);
    }
    assert.equal(await keysUnder(kv, ['weir', 'w']), 0, 'no marker left by the staged one');
  });
});

test('deno-kv: a fenced batch with a big record leaves no parts; the sweep removes replaced parts a crash left', async () => {
  await withKv(async (s, kv) => {
    await s.putMetadata([{ key: 'epoch', bytes: new Uint8Array([1]) }]);
    await assert.rejects(s.putMetadata([{ key: 'x', bytes: patternBytes(300_000, 1) }], { key: 'epoch', equals: new Uint8Array([2]) }), { code: 'STORAGE_FENCED' });
    assert.equal(await keysUnder(kv, ['weir', 'p']), 0, 'parts of the fenced batch');
    // A crash between a commit and the deletion of the parts it replaced leaves parts and a marker.
    await kv.set(['weir', 'p', 'dead-version', 0], new Uint8Array(10));
    await kv.set(['weir', 'w', 'dead-version'], { n: 1, at: Date.now(), replaced: true });
    // A write staged by a writer that died an hour ago, never committed.
    await kv.set(['weir', 'p', 'old-version', 0], new Uint8Array(10));
    await kv.set(['weir', 'w', 'old-version'], { n: 1, at: Date.now() - 2 * 3_600_000 });
    // A write staged just now by a live writer: kept.
    await kv.set(['weir', 'p', 'live-version', 0], new Uint8Array(10));
    await kv.set(['weir', 'w', 'live-version'], { n: 1, at: Date.now() });
    const again = await openOn(paths.get(s)!);
    assert.deepEqual(await again.listChunks(''), []);
    const left: string[] = [];
    for await (const e of kv.list({ prefix: ['weir', 'p'] })) left.push(e.key[2] as string);
    assert.deepEqual(left, ['live-version']);
  });
});

test('deno-kv: a tampered record is CORRUPT_DATA naming its key; a key too long for KV is refused naming the argument', async () => {
  await withKv(async (s, kv) => {
    await s.putMetadata([{ key: 'jobs/a/epoch', bytes: new Uint8Array([1]) }]);
    let head: { key: KvKey } | undefined;
    for await (const e of kv.list({ prefix: ['weir', 'm'] })) head = e;
    await kv.set(head!.key, 'not a head');
    await assert.rejects(s.getMetadata('jobs/a/epoch'), (e: { code?: string; details?: { key?: string } }) => e.code === 'CORRUPT_DATA' && e.details?.key === 'jobs/a/epoch');
    await kv.set(head!.key, { v: 'gone', n: 2, s: 10 });
    await assert.rejects(s.getMetadata('jobs/a/epoch'), { code: 'CORRUPT_DATA', message: /lacks parts/ });
    await assert.rejects(s.putChunk('é'.repeat(1000), new Uint8Array(1)), { code: 'INVALID_ARGUMENT', message: /^key: is 2000 bytes encoded; a Deno KV key holds at most 1900/ });
  });
});

test('deno-kv: a metadata batch too big for one atomic operation is refused whole', async () => {
  await withKv(async (s) => {
    const records = Array.from({ length: 301 }, (_, i) => ({ key: `r/${i}`, bytes: new Uint8Array([i & 0xff]) }));
    await assert.rejects(s.putMetadata(records), { code: 'INVALID_ARGUMENT', message: /at most 300 records/ });
    assert.deepEqual(await s.listMetadata(''), []);
    // 300 records of 10 KB each: they do not all fit inline, so some go to parts, and all land at once.
    const big = Array.from({ length: 300 }, (_, i) => ({ key: `r/${String(i).padStart(3, '0')}`, bytes: patternBytes(10_000, i + 1) }));
    await s.putMetadata(big);
    assert.equal((await s.listMetadata('r/')).length, 300);
    assert.deepEqual(await s.getMetadata('r/299'), big[299]!.bytes);
  });
});

test('{ kv } storage: 2 Deno Web Workers checkpoint into Deno KV through the runner, killed after a checkpoint, every record once', async () => {
  const kv = await openKv(`${scratch}/job.sqlite`);
  try {
    const name = 'counting-deno-kv';
    const records = 20_000;
    const handle = await run(new URL(`./jobs/counting.job.js?name=${name}&records=${records}`, import.meta.url), {
      parallelism: 2, storage: { kv }, checkpointing: { intervalMs: 20 }, restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 10 },
    });
    let kills = 0;
    let restoredFrom: number | undefined;
    handle.on('restore', (e) => void (e.checkpointId !== undefined && (restoredFrom = e.checkpointId)));
    handle.on('checkpoint', (c) => {
      if (c.status === 'completed' && !c.final && kills === 0 && handle.status() === 'running') {
        kills++;
        handle.injectFailure({ worker: 0 });
      }
    });
    assert.equal((await handle.done).status, 'finished');
    assert.equal(kills, 1);
    assert.ok(restoredFrom !== undefined, 'restored from a checkpoint in Deno KV');
    await checkExactlyOnce((job, table) => readTable(job, table, { storage: { kv } }), name, records, 7);
    // The data is in the KV file: a second connection reads the same table.
    const other = await openKv(`${scratch}/job.sqlite`);
    try {
      assert.equal((await readTable(name, 'seen', { storage: { kv: other } })).length, records);
    } finally {
      other.close();
    }
  } finally {
    kv.close();
  }
});

test('{ kv } storage without a Deno.Kv is refused, naming the option and what to pass', async () => {
  await assert.rejects(readTable('x', 't', { storage: { kv: undefined as never } }), {
    code: 'INVALID_ARGUMENT', message: 'readTable(jobName, table, options).storage.kv: expected a Deno.Kv from `await Deno.openKv(path)` (run Deno with --unstable-kv), got undefined',
  });
  await assert.rejects(run(new URL('./jobs/counting.job.js', import.meta.url), { storage: { kv: { get() {} } as never } }), {
    code: 'INVALID_ARGUMENT', message: /^run\(job, options\)\.storage\.kv: expected a Deno\.Kv .* got an object without getMany, list, atomic$/,
  });
});
