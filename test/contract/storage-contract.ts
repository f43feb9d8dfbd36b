// The contract every CheckpointStorage backend keeps (src/state/checkpoint-storage.ts), as one
// suite that both node:test (Node) and mocha (Chromium) run: the runner's describe/it are passed
// in, and assertions are plain functions (no node:assert in the browser).
import type { CheckpointStorage, MetadataCondition } from '../../src/state/checkpoint-storage.js';
import { defineChunkBatchChecks } from './chunk-batches.js';
import { defineExistenceConditionChecks } from './existence-conditions.js';

export interface ContractRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
}

export type FailWrites = (op: 'putChunk' | 'putMetadata', key: string) => Error | undefined;

export interface StorageContractTarget {
  /** A storage over new, empty data (a fresh database or directory) on every call. */
  open(options?: { failWrites?: FailWrites }): Promise<CheckpointStorage>;
  /**
   * Another handle on the data of `storage` (another connection or instance; `storage` may have
   * been closed). Absent for a backend whose data lives in its one instance: races then share it.
   */
  openAgain?(storage: CheckpointStorage): Promise<CheckpointStorage>;
  /** Releases a handle; called for every handle a check opened. */
  close?(storage: CheckpointStorage): Promise<void>;
}

type Failure = { code?: unknown; details?: Record<string, unknown>; cause?: unknown };

export class ContractAssertionError extends Error {
  override name = 'ContractAssertionError';
}

function fail(message: string): never {
  throw new ContractAssertionError(message);
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return value.byteLength > 16 ? `Uint8Array(${value.byteLength})` : `Uint8Array[${[...value].join(',')}]`;
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return String(value);
}

export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (!Object.is(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function assertKeys(actual: readonly string[], expected: readonly string[], what: string): void {
  if (!Array.isArray(actual)) fail(`${what}: expected an array, got ${show(actual)}`);
  if (actual.length !== expected.length || actual.some((k, i) => k !== expected[i])) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array | undefined, what: string): void {
  if (expected === undefined) {
    if (actual !== undefined) fail(`${what}: expected undefined, got ${show(actual)}`);
    return;
  }
  if (!(actual instanceof Uint8Array)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  if (actual.byteLength !== expected.byteLength) fail(`${what}: expected ${expected.byteLength} bytes, got ${actual.byteLength}`);
  for (let i = 0; i < expected.byteLength; i++) {
    if (actual[i] !== expected[i]) fail(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** The call must return a promise (not throw) that rejects with an error `check` accepts; returns that error. */
export async function assertRejects(call: () => Promise<unknown>, check: (error: Failure) => boolean, what: string): Promise<Failure> {
  let pending: Promise<unknown>;
  try {
    pending = call();
  } catch (error) {
    fail(`${what}: threw synchronously instead of rejecting: ${String(error)}`);
  }
  if (!(pending instanceof Promise)) fail(`${what}: did not return a promise`);
  try {
    await pending;
  } catch (error) {
    if (!check(error as Failure)) fail(`${what}: rejected with an unexpected error: ${String(error)} (code ${String((error as Failure)?.code)})`);
    return error as Failure;
  }
  return fail(`${what}: resolved, expected a rejection`);
}

const bytes = (...values: number[]) => new Uint8Array(values);
const code = (expected: string) => (error: Failure) => error?.code === expected;
const isFenced = (key: string) => (error: Failure) => error?.code === 'STORAGE_FENCED' && error.details?.key === key;
/** The injected error itself (memory) or a storage failure caused by it (durable backends). */
const isOrWraps = (injected: Error) => (error: Failure) => error === injected || (error?.code === 'CHECKPOINT_STORAGE_FAILED' && error.cause === injected);

/** Deterministic non-trivial bytes (xorshift), so a shifted or truncated copy cannot pass. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// Keys whose order tells UTF-16 code unit order apart from code point and UTF-8 order ('😀' is
// the surrogate pair d83d de00: below '\ue000' in code units, above it in code points), and case
// apart from case-folding ('B' < 'a'), with one key a prefix of another.
const ORDERED_KEYS = [
  'job/1/B', 'job/1/a', 'job/1/a/b', 'job/10/a', 'job/2/b', 'job/é', 'job/😀', 'job/\ue000', 'job/\uffff', 'job/\uffff\uffff',
];
const OTHER_KEYS = ['job', 'jobs', 'job0', 'other/x', 'i\uffff'];

export function defineStorageContract(name: string, target: StorageContractTarget, { describe, it }: ContractRunner): void {
  /** Runs `body` with a fresh storage (and any handles it opens), closing every one afterwards. */
  const withStorage = (options: { failWrites?: FailWrites }, body: (storage: CheckpointStorage, again: () => Promise<CheckpointStorage>) => Promise<void>) => async () => {
    const handles: CheckpointStorage[] = [];
    const first = await target.open(options);
    handles.push(first);
    const again = async () => {
      if (target.openAgain === undefined) return first;
      const other = await target.openAgain(first);
      handles.push(other);
      return other;
    };
    try {
      await body(first, again);
    } finally {
      for (const handle of handles) await target.close?.(handle);
    }
  };
  const check = (title: string, body: (storage: CheckpointStorage, again: () => Promise<CheckpointStorage>) => Promise<void>) => it(title, withStorage({}, body));

  describe(`CheckpointStorage contract: ${name}`, () => {
    check('stores a chunk and a metadata record and reads them back; missing keys answer undefined; the namespaces are separate', async (s) => {
      await s.putChunk('a', bytes(1, 2, 3));
      await s.putMetadata([{ key: 'm', bytes: bytes(4, 5) }]);
      assertBytes(await s.getChunk('a'), bytes(1, 2, 3), 'chunk a');
      assertBytes(await s.getMetadata('m'), bytes(4, 5), 'metadata m');
      assertBytes(await s.getChunk('missing'), undefined, 'missing chunk');
      assertBytes(await s.getMetadata('missing'), undefined, 'missing metadata');
      assertBytes(await s.getMetadata('a'), undefined, 'chunk key in metadata');
      assertBytes(await s.getChunk('m'), undefined, 'metadata key in chunks');
      await s.putChunk('empty', new Uint8Array(0));
      assertBytes(await s.getChunk('empty'), new Uint8Array(0), 'an empty chunk is stored, not missing');
      await s.putChunk('a', bytes(9));
      assertBytes(await s.getChunk('a'), bytes(9), 'a second put replaces the chunk');
    });

    check('stores the bytes as they were at the call, whatever the caller does with its array afterwards', async (s) => {
      const chunk = bytes(1, 2, 3);
      const pendingChunk = s.putChunk('c', chunk);
      chunk[0] = 99; // before the put resolved
      await pendingChunk;
      chunk[1] = 98;
      const meta = bytes(4, 5);
      const pendingMeta = s.putMetadata([{ key: 'm', bytes: meta }, { key: 'n', bytes: meta }]);
      meta[0] = 97;
      await pendingMeta;
      meta[1] = 96;
      assertBytes(await s.getChunk('c'), bytes(1, 2, 3), 'chunk c');
      assertBytes(await s.getMetadata('m'), bytes(4, 5), 'metadata m');
      assertBytes(await s.getMetadata('n'), bytes(4, 5), 'metadata n');
    });

    check('returns a fresh copy on every get, and only the bytes of a view into a larger buffer', async (s) => {
      await s.putChunk('c', bytes(1, 2));
      await s.putMetadata([{ key: 'm', bytes: bytes(3) }]);
      (await s.getChunk('c'))!.fill(0);
      (await s.getMetadata('m'))!.fill(0);
      assertBytes(await s.getChunk('c'), bytes(1, 2), 'chunk c after mutating a read copy');
      assertBytes(await s.getMetadata('m'), bytes(3), 'metadata m after mutating a read copy');
      const pool = new Uint8Array([0, 1, 2, 3, 4, 5]);
      await s.putChunk('view', pool.subarray(1, 3));
      await s.putMetadata([{ key: 'view', bytes: new Uint8Array(pool.buffer, 3, 2) }]);
      pool.fill(7);
      const chunk = await s.getChunk('view');
      const meta = await s.getMetadata('view');
      assertBytes(chunk, bytes(1, 2), 'chunk of a view');
      assertBytes(meta, bytes(3, 4), 'metadata of a view');
      assertEqual(chunk!.buffer.byteLength, 2, "the read chunk's buffer (a view's neighbours are not stored or shared)");
      assertEqual(meta!.buffer.byteLength, 2, "the read record's buffer");
    });

    check('keeps each of several views written at once apart (a backend that stages a view reuses its buffer only once it was copied)', async (s) => {
      const pool = new Uint8Array(64).map((_, i) => i);
      const other = new Uint8Array(64).map((_, i) => 100 + i);
      const writes = [s.putChunk('v1', pool.subarray(0, 5)), s.putChunk('v2', other.subarray(3, 6)), s.putChunk('v3', pool.subarray(10, 40))];
      pool.fill(255);
      other.fill(255);
      await Promise.all(writes);
      assertBytes(await s.getChunk('v1'), bytes(0, 1, 2, 3, 4), 'the first view');
      assertBytes(await s.getChunk('v2'), bytes(103, 104, 105), 'the second, shorter view');
      assertBytes(await s.getChunk('v3'), new Uint8Array(30).map((_, i) => 10 + i), 'the third, longer view');
    });

    check('stores lent views (putLentChunk, where the storage has one) as they were, though the lender reuses each as soon as the storage is done with it', async (s) => {
      const pool = patternBytes(300_000, 13);
      const views = [pool.subarray(0, 70_000), pool.subarray(70_000, 71_000), pool.subarray(71_001, 300_000)];
      const expected = views.map((v) => v.slice());
      const givenBack = new Set<Uint8Array>();
      const lend = (key: string, view: Uint8Array) => {
        // The lender builds its next chunk in these bytes once the storage is done with them (or once the write settled).
        const reuse = () => {
          givenBack.add(view);
          view.fill(0xee);
        };
        const write = s.putLentChunk !== undefined ? s.putLentChunk(key, view, reuse) : s.putChunk(key, view);
        return write.then(reuse);
      };
      await Promise.all(views.map((v, i) => lend(`lent/${i}`, v)));
      assertEqual(givenBack.size, views.length, 'every lent view given back');
      for (const [i, bytes] of expected.entries()) {
        const got = await s.getChunk(`lent/${i}`);
        assertBytes(got, bytes, `lent view ${i}`);
        assertEqual(got!.buffer.byteLength, bytes.byteLength, `lent view ${i}: only its own bytes`);
      }
    });

    check('checks every condition of a list in the same atomic step: all hold, or nothing is written (an input log append)', async (s) => {
      await s.putMetadata([{ key: 'l/b/0', bytes: bytes(1) }]);
      const claim = (key: string, after: Uint8Array | undefined) => s.putMetadata([{ key, bytes: bytes(2) }], [{ key: 'l/b/0', equals: after }, { key, equals: undefined }]);
      await claim('l/b/1', bytes(1));
      assertBytes(await s.getMetadata('l/b/1'), bytes(2), 'written when both held');
      await assertRejects(() => claim('l/b/1', bytes(1)), isFenced('l/b/1'), 'the second condition fails: the key is taken');
      await assertRejects(() => claim('l/b/2', bytes(9)), isFenced('l/b/0'), 'the first condition fails: other bytes');
      await s.deleteMetadata(['l/b/0']);
      await assertRejects(() => claim('l/b/2', bytes(1)), isFenced('l/b/0'), 'the first condition fails: deleted');
      assertKeys(await s.listMetadata('l/'), ['l/b/1'], 'nothing written by a list with a failing condition');
      await s.putMetadata([{ key: 'l/b/3', bytes: bytes(3) }], []);
      assertBytes(await s.getMetadata('l/b/3'), bytes(3), 'an empty list is no condition');
    });

    for (const space of ['chunks', 'metadata'] as const) {
      check(`lists ${space} by prefix, sorted by UTF-16 code units`, async (s) => {
        const put = (key: string) => (space === 'chunks' ? s.putChunk(key, bytes(1)) : s.putMetadata([{ key, bytes: bytes(1) }]));
        const list = (prefix: string) => (space === 'chunks' ? s.listChunks(prefix) : s.listMetadata(prefix));
        const reversed = [...ORDERED_KEYS, ...OTHER_KEYS].reverse();
        for (const key of reversed) await put(key);
        assertKeys(await list('job/'), ORDERED_KEYS, "list('job/')");
        assertKeys(await list(''), [...ORDERED_KEYS, ...OTHER_KEYS].sort(), "list('')");
        assertKeys(await list('job/1/a'), ['job/1/a', 'job/1/a/b'], 'a key that is a prefix of another');
        assertKeys(await list('job/\uffff'), ['job/\uffff', 'job/\uffff\uffff'], 'a prefix ending in \\uffff');
        assertKeys(await list('i'), ['i\uffff'], "list('i')");
        assertKeys(await list('job/1/'), ['job/1/B', 'job/1/a', 'job/1/a/b'], "list('job/1/')");
        assertKeys(await list('jo'), ['job', ...ORDERED_KEYS, 'job0', 'jobs'], "list('jo')");
        assertKeys(await list('nothing/'), [], 'no match');
      });
    }

    check('accepts any key without NUL: case-only differences, dots, spaces, percent signs, lone surrogates, 1000 characters', async (s) => {
      const long = `jobs/${'x'.repeat(300)}/${'É'.repeat(300)}/${'/'.repeat(100)}${'z'.repeat(300)}`;
      const keys = ['Key', 'key', 'KEY', '.', '..', 'a.', '.a', 'a b', '%41', '%u0041', '^a', '+', '~', 'a~', 'con', 'CON.txt', '\ud800', 'x\udfff', '\\', ':*?"<>|', long, `${long}.`];
      for (const [i, key] of keys.entries()) {
        await s.putChunk(key, bytes(i));
        await s.putMetadata([{ key, bytes: bytes(i, i) }]);
      }
      for (const [i, key] of keys.entries()) {
        assertBytes(await s.getChunk(key), bytes(i), `chunk ${show(key)}`);
        assertBytes(await s.getMetadata(key), bytes(i, i), `metadata ${show(key)}`);
      }
      assertKeys(await s.listChunks(''), [...keys].sort(), 'listed chunks');
      assertKeys(await s.listMetadata(''), [...keys].sort(), 'listed metadata');
      await s.deleteChunks(keys);
      await s.deleteMetadata(keys);
      assertKeys(await s.listChunks(''), [], 'chunks after deleting them all');
      assertKeys(await s.listMetadata(''), [], 'metadata after deleting them all');
    });

    check('treats deleting missing keys as a no-op and deletes the rest', async (s) => {
      await s.putChunk('a', bytes(1));
      await s.putChunk('b', bytes(2));
      await s.putMetadata([{ key: 'm1', bytes: bytes(1) }, { key: 'm2', bytes: bytes(2) }]);
      await s.deleteChunks(['missing', 'a', 'also-missing']);
      await s.deleteChunks([]);
      await s.deleteMetadata(['m1', 'nope']);
      await s.deleteMetadata([]);
      assertKeys(await s.listChunks(''), ['b'], 'chunks left');
      assertKeys(await s.listMetadata(''), ['m2'], 'metadata left');
      assertBytes(await s.getChunk('a'), undefined, 'deleted chunk');
      assertBytes(await s.getMetadata('m1'), undefined, 'deleted record');
      assertBytes(await s.getMetadata('m2'), bytes(2), 'kept record');
      await s.deleteChunks(['a']);
      await s.putChunk('a', bytes(3));
      assertBytes(await s.getChunk('a'), bytes(3), 'a key written again after its delete');
    });

    check('writes several metadata records at once; of duplicate keys the last wins; an empty batch writes nothing', async (s) => {
      await s.putMetadata([{ key: 'j/latest', bytes: bytes(1) }]);
      await s.putMetadata([
        { key: 'j/chk-2/a', bytes: bytes(2) },
        { key: 'j/latest', bytes: bytes(7) },
        { key: 'j/chk-2/b', bytes: bytes(3) },
        { key: 'j/latest', bytes: bytes(2) },
      ]);
      assertKeys(await s.listMetadata('j/'), ['j/chk-2/a', 'j/chk-2/b', 'j/latest'], 'records');
      assertBytes(await s.getMetadata('j/latest'), bytes(2), 'the last of duplicate keys');
      assertBytes(await s.getMetadata('j/chk-2/b'), bytes(3), 'j/chk-2/b');
      await s.putMetadata([]);
      assertKeys(await s.listMetadata(''), ['j/chk-2/a', 'j/chk-2/b', 'j/latest'], 'after an empty batch');
    });

    it('fails a metadata batch with an injected write failure as a whole: none of its records is stored', async () => {
      const injected = Object.assign(new Error('injected quota failure'), { name: 'QuotaExceededError' });
      let armed = false;
      const calls: string[] = [];
      await withStorage({ failWrites: (op, key) => { calls.push(`${op}:${key}`); return armed && key === 'j/chk-2/b' ? injected : undefined; } }, async (s) => {
        await s.putMetadata([{ key: 'j/latest', bytes: bytes(1) }]);
        armed = true;
        await assertRejects(() => s.putMetadata([
          { key: 'j/chk-2/a', bytes: bytes(2) },
          { key: 'j/chk-2/b', bytes: bytes(2) },
          { key: 'j/latest', bytes: bytes(2) },
        ]), isOrWraps(injected), 'the failing batch');
        if (!calls.includes('putMetadata:j/chk-2/b')) fail(`the failure hook was never asked about j/chk-2/b: ${show(calls)}`);
        assertKeys(await s.listMetadata(''), ['j/latest'], 'records after the failed batch');
        assertBytes(await s.getMetadata('j/latest'), bytes(1), 'the earlier commit stays as it was');
        assertBytes(await s.getMetadata('j/chk-2/a'), undefined, 'a record before the failing one');
        armed = false;
        await s.putMetadata([{ key: 'j/chk-3/a', bytes: bytes(3) }, { key: 'j/latest', bytes: bytes(3) }]);
        assertBytes(await s.getMetadata('j/latest'), bytes(3), 'the next batch commits');
      })();
    });

    it('fails an injected chunk write with a rejection and stores nothing for that key', async () => {
      const injected = new Error('injected disk failure');
      await withStorage({ failWrites: (op, key) => (op === 'putChunk' && key.endsWith('/kg-1') ? injected : undefined) }, async (s) => {
        await s.putChunk('chk-1/kg-0', bytes(1));
        await assertRejects(() => s.putChunk('chk-1/kg-1', bytes(2)), isOrWraps(injected), 'the failing chunk');
        assertKeys(await s.listChunks('chk-1/'), ['chk-1/kg-0'], 'chunks');
        assertBytes(await s.getChunk('chk-1/kg-1'), undefined, 'the failed chunk');
      })();
    });

    check('rejects a batch with an invalid record and stores none of it', async (s) => {
      await assertRejects(() => s.putMetadata([{ key: 'fine', bytes: bytes(3) }, { key: '', bytes: bytes(3) }]), code('INVALID_ARGUMENT'), 'an empty key in a batch');
      await assertRejects(() => s.putMetadata([{ key: 'fine', bytes: bytes(3) }, { key: 'x', bytes: [3] as unknown as Uint8Array }]), code('INVALID_ARGUMENT'), 'non-bytes in a batch');
      assertBytes(await s.getMetadata('fine'), undefined, 'the valid record of the refused batch');
      assertKeys(await s.listMetadata(''), [], 'metadata');
    });

    check('writes a batch whose condition holds: equals the stored bytes, or undefined for an absent record', async (s) => {
      const absent: MetadataCondition = { key: 'j/epoch', equals: undefined };
      await s.putMetadata([{ key: 'j/epoch', bytes: bytes(1) }, { key: 'j/owner', bytes: bytes(65) }], absent);
      assertBytes(await s.getMetadata('j/epoch'), bytes(1), 'epoch after the first conditional write');
      await s.putMetadata([{ key: 'j/epoch', bytes: bytes(2) }, { key: 'j/owner', bytes: bytes(66) }], { key: 'j/epoch', equals: bytes(1) });
      await s.putMetadata([{ key: 'j/other', bytes: bytes(5) }], { key: 'j/epoch', equals: bytes(2) }); // condition on a key it does not write
      await s.putMetadata([], { key: 'j/epoch', equals: bytes(2) });
      assertBytes(await s.getMetadata('j/epoch'), bytes(2), 'epoch');
      assertBytes(await s.getMetadata('j/owner'), bytes(66), 'owner');
      assertBytes(await s.getMetadata('j/other'), bytes(5), 'other');
    });

    check("rejects a batch whose condition fails with 'STORAGE_FENCED' and writes none of it", async (s) => {
      await s.putMetadata([{ key: 'j/epoch', bytes: bytes(1, 2) }, { key: 'j/owner', bytes: bytes(65) }]);
      const attempts: [string, MetadataCondition][] = [
        ['absent expected, present', { key: 'j/epoch', equals: undefined }],
        ['other bytes', { key: 'j/epoch', equals: bytes(1, 3) }],
        ['a longer value', { key: 'j/epoch', equals: bytes(1, 2, 0) }],
        ['a shorter value', { key: 'j/epoch', equals: bytes(1) }],
        ['empty bytes', { key: 'j/epoch', equals: new Uint8Array(0) }],
        ['present expected, absent', { key: 'j/missing', equals: bytes(1, 2) }],
      ];
      for (const [what, condition] of attempts) {
        const error = await assertRejects(() => s.putMetadata([{ key: 'j/epoch', bytes: bytes(9) }, { key: 'j/owner', bytes: bytes(90) }, { key: 'j/new', bytes: bytes(9) }], condition),
          isFenced(condition.key), `condition: ${what}`);
        assertEqual(error.code, 'STORAGE_FENCED', `${what}: code`);
      }
      await assertRejects(() => s.putMetadata([], { key: 'j/epoch', equals: bytes(7) }), isFenced('j/epoch'), 'an empty batch still checks its condition');
      assertBytes(await s.getMetadata('j/epoch'), bytes(1, 2), 'epoch is unchanged');
      assertBytes(await s.getMetadata('j/owner'), bytes(65), 'owner is unchanged');
      assertKeys(await s.listMetadata('j/'), ['j/epoch', 'j/owner'], 'no record of a fenced batch');
    });

    for (const space of ['chunks', 'metadata'] as const) {
      check(`deletes ${space} on a condition: all of them when it holds, none (rejecting with 'STORAGE_FENCED') when it does not`, async (s) => {
        const put = (key: string) => (space === 'chunks' ? s.putChunk(key, bytes(1)) : s.putMetadata([{ key, bytes: bytes(1) }]));
        const del = (keys: string[], condition: MetadataCondition) => (space === 'chunks' ? s.deleteChunks(keys, condition) : s.deleteMetadata(keys, condition));
        const list = () => (space === 'chunks' ? s.listChunks('d/') : s.listMetadata('d/'));
        await s.putMetadata([{ key: 'j/epoch', bytes: bytes(3, 1) }]);
        for (const key of ['d/1', 'd/2', 'd/3', 'd/4']) await put(key);
        await del(['d/1', 'd/missing'], { key: 'j/epoch', equals: bytes(3, 1) });
        await del(['d/2'], { key: 'j/none', equals: undefined });
        assertKeys(await list(), ['d/3', 'd/4'], 'after deletes whose condition held');
        for (const [what, condition] of [
          ['other bytes', { key: 'j/epoch', equals: bytes(3, 2) }],
          ['absent expected, present', { key: 'j/epoch', equals: undefined }],
          ['present expected, absent', { key: 'j/none', equals: bytes(3, 1) }],
        ] as [string, MetadataCondition][]) {
          await assertRejects(() => del(['d/3', 'd/4'], condition), isFenced(condition.key), `condition: ${what}`);
        }
        await assertRejects(() => del([], { key: 'j/epoch', equals: bytes(9) }), isFenced('j/epoch'), 'an empty delete still checks its condition');
        assertKeys(await list(), ['d/3', 'd/4'], 'nothing deleted by a delete whose condition failed');
        assertBytes(await s.getMetadata('j/epoch'), bytes(3, 1), 'the condition record');
      });
    }

    check('fences a delete against a condition record another handle changed: a superseded writer deletes nothing', async (s, again) => {
      const newer = await again();
      await s.putMetadata([{ key: 'j/epoch', bytes: bytes(1) }, { key: 'j/checkpoints/1', bytes: bytes(7) }]);
      await s.putChunk('j/chunks/1', bytes(7));
      await newer.putMetadata([{ key: 'j/epoch', bytes: bytes(2) }], { key: 'j/epoch', equals: bytes(1) });
      const stale = { key: 'j/epoch', equals: bytes(1) };
      await assertRejects(() => s.deleteMetadata(['j/checkpoints/1'], stale), isFenced('j/epoch'), 'the stale metadata delete');
      await assertRejects(() => s.deleteChunks(['j/chunks/1'], stale), isFenced('j/epoch'), 'the stale chunk delete');
      assertBytes(await newer.getMetadata('j/checkpoints/1'), bytes(7), 'the record the stale writer tried to delete');
      assertBytes(await newer.getChunk('j/chunks/1'), bytes(7), 'the chunk the stale writer tried to delete');
      await newer.deleteChunks(['j/chunks/1'], { key: 'j/epoch', equals: bytes(2) });
      assertBytes(await s.getChunk('j/chunks/1'), undefined, 'deleted by the current writer');
    });

    check('lets exactly one of two racing conditional writes on the same expected value win, round after round', async (s, again) => {
      const other = await again();
      await s.putMetadata([{ key: 'j/epoch', bytes: bytes(0) }]);
      const wins = [0, 0];
      for (let round = 0; round < 8; round++) {
        const expected = { key: 'j/epoch', equals: bytes(round) };
        const write = (handle: CheckpointStorage, who: number) =>
          handle.putMetadata([{ key: 'j/epoch', bytes: bytes(round + 1) }, { key: 'j/owner', bytes: bytes(who, round) }], expected);
        // Alternate who starts first, so that neither handle wins merely by going first.
        const pending: Promise<void>[] = [];
        if (round % 2 === 0) {
          pending[0] = write(s, 0);
          pending[1] = write(other, 1);
        } else {
          pending[1] = write(other, 1);
          pending[0] = write(s, 0);
        }
        const results = await Promise.allSettled(pending);
        const won = results.flatMap((r, who) => (r.status === 'fulfilled' ? [who] : []));
        if (won.length !== 1) fail(`round ${round}: ${won.length} writers won, expected exactly one`);
        const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
        if (!isFenced('j/epoch')(lost.reason as Failure)) fail(`round ${round}: the loser rejected with ${String(lost.reason)}, expected STORAGE_FENCED`);
        wins[won[0]]++;
        assertBytes(await s.getMetadata('j/epoch'), bytes(round + 1), `round ${round}: epoch`);
        assertBytes(await other.getMetadata('j/owner'), bytes(won[0], round), `round ${round}: the winner's owner record`);
      }
      if (wins[0] + wins[1] !== 8) fail(`wins ${show(wins)}`);
    });

    check('shows a metadata batch to readers on another handle all at once, never half of it', async (s, again) => {
      const reader = await again();
      const rounds = 12;
      const writer = (async () => {
        for (let n = 1; n <= rounds; n++) {
          await s.putMetadata([
            { key: 'set/a', bytes: bytes(n) },
            { key: `set/n/${String(n).padStart(3, '0')}/x`, bytes: bytes(n) },
            { key: `set/n/${String(n).padStart(3, '0')}/y`, bytes: bytes(n) },
            { key: 'set/z', bytes: bytes(n) },
          ]);
        }
      })();
      let done = false;
      void writer.finally(() => { done = true; });
      // Two readers, so that the listing (which may wait for a lock) does not pace the point reads.
      const pointReads = (async () => {
        for (let reads = 0; (!done || reads < 3) && reads < 20_000; reads++) {
          // z is written after a in every batch and read after it here: z older than a means a torn batch.
          const a = (await reader.getMetadata('set/a'))?.[0] ?? 0;
          const z = (await reader.getMetadata('set/z'))?.[0] ?? 0;
          if (z < a) fail(`read set/a = ${a} and then set/z = ${z}: a batch was visible in part`);
        }
      })();
      const listings = (async () => {
        for (let reads = 0; (!done || reads < 3) && reads < 20_000; reads++) {
          const listed = await reader.listMetadata('set/n/');
          for (let i = 0; i < listed.length; i += 2) {
            const x = listed[i];
            if (!x.endsWith('/x') || listed[i + 1] !== x.replace(/x$/, 'y')) fail(`a listing holds half a batch: ${show(listed)}`);
          }
        }
      })();
      await Promise.all([pointReads, listings]);
      await writer;
      assertEqual((await reader.listMetadata('set/n/')).length, rounds * 2, 'records listed at the end');
    });

    check('keeps chunks and metadata when every handle is closed and the storage is opened again', async (s, again) => {
      if (target.openAgain === undefined) return; // data that lives in its one instance has nothing to reopen
      await s.putChunk('j/chunks/1', bytes(1, 2, 3));
      await s.putMetadata([{ key: 'j/meta/1', bytes: bytes(4) }, { key: 'j/latest', bytes: bytes(1) }], { key: 'j/latest', equals: undefined });
      await s.deleteChunks(['nothing']);
      await target.close?.(s);
      const reopened = await again();
      assertBytes(await reopened.getChunk('j/chunks/1'), bytes(1, 2, 3), 'chunk after reopening');
      assertBytes(await reopened.getMetadata('j/latest'), bytes(1), 'metadata after reopening');
      assertKeys(await reopened.listMetadata('j/'), ['j/latest', 'j/meta/1'], 'listed metadata after reopening');
      await reopened.putMetadata([{ key: 'j/latest', bytes: bytes(2) }], { key: 'j/latest', equals: bytes(1) });
      assertBytes(await reopened.getMetadata('j/latest'), bytes(2), 'a conditional write on the reopened storage');
    });

    check('round-trips a 5 MB chunk and a 5 MB metadata record byte for byte', async (s) => {
      const chunk = patternBytes(5_000_000, 7);
      const record = patternBytes(5_000_001, 11);
      await s.putChunk('big/chunk', chunk);
      await s.putMetadata([{ key: 'big/record', bytes: record }, { key: 'big/small', bytes: bytes(1) }]);
      assertBytes(await s.getChunk('big/chunk'), chunk, '5 MB chunk');
      assertBytes(await s.getMetadata('big/record'), record, '5 MB record');
      await s.deleteChunks(['big/chunk']);
      assertBytes(await s.getChunk('big/chunk'), undefined, 'deleted 5 MB chunk');
    });

    check('rejects bad arguments, never throwing synchronously', async (s) => {
      const invalid = code('INVALID_ARGUMENT');
      await assertRejects(() => s.putChunk('', bytes(1)), invalid, 'putChunk with an empty key');
      await assertRejects(() => s.putChunk('a\0b', bytes(1)), invalid, 'putChunk with NUL in the key');
      await assertRejects(() => s.putChunk(7 as unknown as string, bytes(1)), invalid, 'putChunk with a number key');
      await assertRejects(() => s.putChunk('k', [1, 2] as unknown as Uint8Array), invalid, 'putChunk with an array');
      await assertRejects(() => s.getChunk('x\0'), invalid, 'getChunk with NUL');
      await assertRejects(() => s.getMetadata(''), invalid, 'getMetadata with an empty key');
      await assertRejects(() => s.deleteChunks(['ok', '']), invalid, 'deleteChunks with an empty key');
      await assertRejects(() => s.deleteMetadata(['\0']), invalid, 'deleteMetadata with NUL');
      await assertRejects(() => s.deleteChunks(['ok'], { key: '', equals: undefined }), invalid, 'deleteChunks with an empty condition key');
      await assertRejects(() => s.deleteMetadata(['ok'], { key: 'k', equals: [1] as unknown as Uint8Array }), invalid, 'deleteMetadata with a condition that is not bytes');
      await assertRejects(() => s.listChunks(7 as unknown as string), invalid, 'listChunks with a number');
      await assertRejects(() => s.listMetadata(undefined as unknown as string), invalid, 'listMetadata without a prefix');
      await assertRejects(() => s.putMetadata([{ key: 'a\0', bytes: bytes(1) }]), invalid, 'putMetadata with NUL in a key');
      assertKeys(await s.listChunks(''), [], 'chunks after the refused calls');
      assertKeys(await s.listMetadata(''), [], 'metadata after the refused calls');
      assertBytes(await s.getChunk('ok'), undefined, 'nothing was written');
    });

    defineExistenceConditionChecks(check, { assertBytes, assertKeys, assertRejects, fail });
    defineChunkBatchChecks(check, (title, failWrites, body) => it(title, withStorage({ failWrites }, body)), { assertBytes, assertEqual, assertKeys, assertRejects, fail, patternBytes });
  });
}
