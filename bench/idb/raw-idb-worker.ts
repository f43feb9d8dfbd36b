// The raw IndexedDB baseline of the checkpoint benchmark (bench/checkpoint-idb.bench.ts): a bare
// dedicated module Worker, as Weir's chunk writes and reads also run in a worker. It puts values of
// the given byte sizes (random base-36 ASCII, like the state's strings) into its own database and
// gets them back, with the plain IDB API (no wrapper), and answers the milliseconds of each.
//   { op: 'write', round, sizes, txPerValue, blob? } → { ms }   (values made before the clock starts;
//       txPerValue false: one 'relaxed' readwrite transaction with every put, until it completes;
//       true: one transaction per value, all at once, as Weir's putChunk calls were; blob: each
//       value put as `new Blob([bytes])` (made inside the clock), as Weir stores chunks — on this
//       thread a Blob costs one copy where a Uint8Array's put() costs two, so both ways are timed
//       and the bench compares Weir with the faster)
//   { op: 'read', round, count, txPerValue, blob? } → { ms, bytes }   (blob: each value's arrayBuffer() read too)
//   { op: 'delete', round, count, blob? } → {}     (outside any timing)
const DB = 'weir-bench-raw';
const STORE = 'values';
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

type Command =
  | { op: 'write'; round: number; sizes: number[]; txPerValue: boolean; blob?: boolean }
  | { op: 'read'; round: number; count: number; txPerValue: boolean; blob?: boolean }
  | { op: 'delete'; round: number; count: number; blob?: boolean };

const scope = self as unknown as { onmessage: ((event: MessageEvent) => void) | null; postMessage(message: unknown): void };

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((ok, fail) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((ok, fail) => {
    tx.oncomplete = () => ok();
    tx.onerror = () => fail(tx.error);
    tx.onabort = () => fail(tx.error ?? new Error('transaction aborted'));
  });
}

let opened: Promise<IDBDatabase> | undefined;
function db(): Promise<IDBDatabase> {
  opened ??= new Promise((ok, fail) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  return opened;
}

function randomAscii(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let at = 0; at < bytes; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(bytes, at + 65536)));
  for (let i = 0; i < bytes; i++) out[i] = ALPHABET.charCodeAt(out[i]! % 36);
  return out;
}

const key = (round: number, i: number, blob = false) => `${blob ? 'b' : 'r'}${round}/v${i}`;

async function write(round: number, sizes: number[], txPerValue: boolean, blob: boolean): Promise<{ ms: number }> {
  const d = await db();
  const values = sizes.map(randomAscii);
  const value = (v: Uint8Array) => (blob ? new Blob([v as Uint8Array<ArrayBuffer>]) : v);
  const t0 = performance.now();
  if (txPerValue) {
    await Promise.all(values.map((v, i) => {
      const tx = d.transaction(STORE, 'readwrite', { durability: 'relaxed' });
      tx.objectStore(STORE).put(value(v), key(round, i, blob));
      return done(tx);
    }));
  } else {
    const tx = d.transaction(STORE, 'readwrite', { durability: 'relaxed' });
    const store = tx.objectStore(STORE);
    values.forEach((v, i) => store.put(value(v), key(round, i, blob)));
    await done(tx);
  }
  return { ms: performance.now() - t0 };
}

async function read(round: number, count: number, txPerValue: boolean, blob: boolean): Promise<{ ms: number; bytes: number }> {
  const d = await db();
  const t0 = performance.now();
  let got: unknown[];
  const bytesOf = (v: unknown) => (v instanceof Blob ? v.arrayBuffer().then((b) => new Uint8Array(b)) : v);
  if (txPerValue) {
    got = await Promise.all(Array.from({ length: count }, (_, i) => request(d.transaction(STORE, 'readonly').objectStore(STORE).get(key(round, i, blob))).then(bytesOf)));
  } else {
    const store = d.transaction(STORE, 'readonly').objectStore(STORE);
    got = await Promise.all(Array.from({ length: count }, (_, i) => request(store.get(key(round, i, blob))).then(bytesOf)));
  }
  const ms = performance.now() - t0;
  return { ms, bytes: got.reduce<number>((n, v) => n + ((v as Uint8Array | undefined)?.byteLength ?? 0), 0) };
}

async function remove(round: number, count: number, blob: boolean): Promise<Record<string, never>> {
  const d = await db();
  const tx = d.transaction(STORE, 'readwrite');
  for (let i = 0; i < count; i++) tx.objectStore(STORE).delete(key(round, i, blob));
  await done(tx);
  return {};
}

scope.onmessage = (event: MessageEvent) => {
  const c = event.data as Command;
  const blob = c.blob === true;
  const work = c.op === 'write' ? write(c.round, c.sizes, c.txPerValue, blob) : c.op === 'read' ? read(c.round, c.count, c.txPerValue, blob) : remove(c.round, c.count, blob);
  work.then((result) => scope.postMessage({ ok: result }), (error: unknown) => scope.postMessage({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
};
