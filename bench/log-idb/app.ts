// The page of the IndexedDB part of bench/log.bench.ts (built with esbuild from the built package,
// driven by playwright-core). It runs nothing by itself: the driver calls `window.weirLog.append`
// one variant at a time, so rounds and tables stay in Node. Everything runs on the page's own
// thread, as an app's appends do (the playground's clicks).
//   weir: openLog(name, { storage: 'indexeddb' }) and `append` each batch in turn (one durable,
//         'strict' transaction per append, resolved before the next), interleaved with raw in
//         slices of 20 appends so that both see the same load;
//   raw:  the same batches, each `put` as it is (an array of objects, structured clone) into a
//         database of its own, one readwrite transaction per batch with the same durability
//         ('strict'), awaited before the next — what an app would write by hand; the transaction
//         commits by itself once the put's result reached the page.
//   raw + commit(): the same with `tx.commit()` right after the put (no wait for its result
//         first): the fastest durable put by hand, and so the stricter baseline.
//   raw, the log's requests: what one append of the log asks of IndexedDB, by hand: `add` of the
//         batch, `get` of the partition's floor, `commit()` at once (the claim at once, judged by
//         the floor afterwards: log-tail.ts). Its gap to the log is the log's own cost (encoding,
//         checksum, promises); its gap to raw is what the claim's check costs in IndexedDB.
//   raw, the waiting claim: `getKey` of the previous batch, `add`, `commit()` once the getKey
//         answered (the claim before the floor, and still every 32nd, which moves the head's hint):
//         one round trip more.
//   The log's requests are also counted while it appends (IDB calls made on the page per append:
//   transaction(), get/getKey/add/put/delete, commit()).
//   …-burst: every append issued at once, as a burst of clicks or socket messages arrives, and
//         awaited together: weir groups the appends made while a write is in flight (group
//         commit); raw issues one 'strict' transaction per append (each acknowledged on its own,
//         as the appends are); raw-one-tx puts them all in ONE 'strict' transaction, the
//         ceiling: no per-append acknowledgement, what grouping by hand would reach at best.
import { openLog } from 'weir';

type Click = { id: number; area: string; at: number };
const click = (i: number): Click => ({ id: i, area: `area-${i % 9}`, at: 1_700_000_000_000 + i });
const batchesOf = (size: number, appends: number, from: number) =>
  Array.from({ length: appends }, (_, b) => Array.from({ length: size }, (_, i) => click(from + b * size + i)));

let raw: Promise<IDBDatabase> | undefined;
function rawDb(): Promise<IDBDatabase> {
  raw ??= new Promise((ok, fail) => {
    const r = indexedDB.open('weir-bench-log-raw', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('batches');
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  return raw;
}

type Variant = 'one-after-another' | 'weir-burst' | 'raw-burst' | 'raw-one-tx';

/** IndexedDB calls made on the page while `counted` runs (the log's appends), by wrapping the prototypes once. */
const requests = { on: false, count: 0 };
for (const [proto, names] of [
  [IDBDatabase.prototype, ['transaction']],
  [IDBObjectStore.prototype, ['get', 'getKey', 'add', 'put', 'delete']],
  [IDBTransaction.prototype, ['commit']],
] as const) {
  for (const name of names) {
    const original = (proto as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!;
    (proto as unknown as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
      if (requests.on) requests.count++;
      return original.apply(this, args);
    };
  }
}
async function counted<T>(action: () => Promise<T>): Promise<T> {
  requests.on = true;
  try {
    return await action();
  } finally {
    requests.on = false;
  }
}

/**
 * 'one-after-another' times weir and raw interleaved in slices of 20 appends (which goes first
 * alternates), so that both see the same load from others on the machine: `ms` is weir's sum,
 * `rawMs` raw's.
 */
async function append(variant: Variant, size: number, appends: number, round: number): Promise<{ ms: number; rawMs?: number; rawCommitMs?: number; rawCheckedMs?: number; rawWaitingMs?: number; requestsPerAppend?: number }> {
  const batches = batchesOf(size, appends, round * size * appends);
  const value = (batch: Click[]) => (size === 1 ? batch[0]! : batch);
  const db = await rawDb();
  const key = (b: number) => `${variant}/${size}/${round}/${String(b).padStart(8, '0')}`;
  if (variant === 'one-after-another' || variant === 'weir-burst') {
    const log = await openLog<Click>(`bench-${variant}-${size}-${round}`, { storage: 'indexeddb' });
    await log.append(click(-1)); // opens the connection and creates the partition: outside the timing
    requests.count = 0;
    if (variant === 'weir-burst') {
      const t0 = performance.now();
      await Promise.all(batches.map((batch) => log.append(value(batch))));
      const ms = performance.now() - t0;
      await log.close();
      return { ms };
    }
    const SLICE = 20;
    const sums = { ms: 0, rawMs: 0, rawCommitMs: 0, rawCheckedMs: 0, rawWaitingMs: 0 };
    const timed = (sum: keyof typeof sums, one: (batch: Click[], at: number) => Promise<unknown>) => async (slice: Click[][], from: number) => {
      const t0 = performance.now();
      for (const [i, batch] of slice.entries()) await one(batch, from + i);
      sums[sum] += performance.now() - t0;
    };
    const sides = [
      timed('ms', (batch) => counted(() => log.append(value(batch)))),
      timed('rawMs', (batch, at) => write(at, [value(batch)])),
      timed('rawCommitMs', (batch, at) => write(at, [value(batch)], 'commit')),
      timed('rawCheckedMs', (batch, at) => write(at, [value(batch)], 'checked')),
      timed('rawWaitingMs', (batch, at) => write(at, [value(batch)], 'waiting')),
    ];
    for (let from = 0; from < batches.length; from += SLICE) {
      const slice = batches.slice(from, from + SLICE);
      // Which side goes first turns with every slice.
      for (let s = 0; s < sides.length; s++) await sides[(s + from / SLICE) % sides.length]!(slice, from);
    }
    await log.close();
    return { ...sums, requestsPerAppend: requests.count / appends };
  }
  function write(from: number, values: unknown[], how: 'auto' | 'commit' | 'checked' | 'waiting' = 'auto'): Promise<void> {
    return new Promise<void>((ok, fail) => {
      const tx = db.transaction('batches', 'readwrite', { durability: 'strict' });
      const store = tx.objectStore('batches');
      const k = (i: number) => `${how}/${key(from + i)}`;
      if (how === 'checked') {
        values.forEach((v, i) => store.add(v, k(i)));
        store.get('floor');
        tx.commit();
      } else if (how === 'waiting') {
        const previous = store.getKey(k(-1));
        values.forEach((v, i) => store.add(v, k(i)));
        previous.onsuccess = () => tx.commit();
      } else {
        values.forEach((v, i) => store.put(v, k(i)));
        if (how === 'commit') tx.commit();
      }
      tx.oncomplete = () => ok();
      tx.onerror = () => fail(tx.error);
      tx.onabort = () => fail(tx.error ?? new Error('aborted'));
    });
  }
  const t0 = performance.now();
  if (variant === 'raw-burst') await Promise.all(batches.map((batch, b) => write(b, [value(batch)])));
  else await write(0, batches.map(value));
  return { ms: performance.now() - t0 };
}

(globalThis as unknown as { weirLog: unknown }).weirLog = { append };
document.title = 'ready';
