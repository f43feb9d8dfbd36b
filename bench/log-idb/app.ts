// The page of the IndexedDB part of bench/log.bench.ts (built with esbuild from the built package,
// driven by playwright-core). It runs nothing by itself: the driver calls `window.weirLog.append`
// one variant at a time, so rounds and tables stay in Node. Everything runs on the page's own
// thread, as an app's appends do (the playground's clicks).
//   weir: openLog(name, { storage: 'indexeddb' }) and `append` each batch in turn (one durable,
//         'strict' transaction per append, resolved before the next), interleaved with raw in
//         slices of 20 appends so that both see the same load;
//   raw:  the same batches, each `put` as it is (an array of objects, structured clone) into a
//         database of its own, one readwrite transaction per batch with the same durability
//         ('strict'), awaited before the next — what an app would write by hand.
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

/**
 * 'one-after-another' times weir and raw interleaved in slices of 20 appends (which goes first
 * alternates), so that both see the same load from others on the machine: `ms` is weir's sum,
 * `rawMs` raw's.
 */
async function append(variant: Variant, size: number, appends: number, round: number): Promise<{ ms: number; rawMs?: number }> {
  const batches = batchesOf(size, appends, round * size * appends);
  const value = (batch: Click[]) => (size === 1 ? batch[0]! : batch);
  const db = await rawDb();
  const key = (b: number) => `${variant}/${size}/${round}/${String(b).padStart(8, '0')}`;
  if (variant === 'one-after-another' || variant === 'weir-burst') {
    const log = await openLog<Click>(`bench-${variant}-${size}-${round}`, { storage: 'indexeddb' });
    await log.append(click(-1)); // opens the connection and creates the partition: outside the timing
    if (variant === 'weir-burst') {
      const t0 = performance.now();
      await Promise.all(batches.map((batch) => log.append(value(batch))));
      const ms = performance.now() - t0;
      await log.close();
      return { ms };
    }
    const SLICE = 20;
    let ms = 0;
    let rawMs = 0;
    for (let from = 0; from < batches.length; from += SLICE) {
      const slice = batches.slice(from, from + SLICE);
      const timeWeir = async () => {
        const t0 = performance.now();
        for (const batch of slice) await log.append(value(batch));
        ms += performance.now() - t0;
      };
      const timeRaw = async () => {
        const t0 = performance.now();
        for (const [i, batch] of slice.entries()) await write(from + i, [value(batch)]);
        rawMs += performance.now() - t0;
      };
      if ((from / SLICE) % 2 === 0) await timeWeir().then(timeRaw);
      else await timeRaw().then(timeWeir);
    }
    await log.close();
    return { ms, rawMs };
  }
  function write(from: number, values: unknown[]): Promise<void> {
    return new Promise<void>((ok, fail) => {
      const tx = db.transaction('batches', 'readwrite', { durability: 'strict' });
      const store = tx.objectStore('batches');
      values.forEach((v, i) => store.put(v, key(from + i)));
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
