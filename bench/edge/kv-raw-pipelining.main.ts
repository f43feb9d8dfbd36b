// Which raw write of ~10 MB into Deno KV is fastest, the baseline of the KV checkpoint row of
// `npm run bench -- edge`: 60 KiB parts, 12 per atomic operation, each commit awaited in turn, or
// all in flight at once and then awaited; both end with one commit checked by versionstamp.
// Rounds alternate; prints the times and medians (never asserts).
// Usage: DENO_DIR=.deno-dir npx deno run --unstable-kv --allow-read --allow-write bench/edge/kv-raw-pipelining.main.ts <kv file> [rounds]
export {};

interface Kv {
  atomic(): { check(c: { key: unknown[]; versionstamp: string | null }): unknown; set(key: unknown[], value: unknown): unknown; commit(): Promise<{ ok: boolean }> };
  get(key: unknown[]): Promise<{ versionstamp: string | null }>;
  close(): void;
}
const Deno = (globalThis as unknown as { Deno: { args: string[]; openKv(path: string): Promise<Kv> } }).Deno;
const kv = await Deno.openKv(Deno.args[0]!);
const rounds = Number(Deno.args[1] ?? 10);
const SIZE = 10_253_032; // the bench state's checkpoint
const PART = 60 * 1024;
const data = new Uint8Array(SIZE).map((_, i) => (i * 2654435761) >>> 24);

async function rawWrite(tag: string, inFlight: boolean): Promise<number> {
  const started = performance.now();
  const commits: Promise<unknown>[] = [];
  for (let offset = 0, part = 0; offset < SIZE; ) {
    const atomic = kv.atomic();
    for (let n = 0; n < 12 && offset < SIZE; n++, offset += PART, part++) atomic.set(['raw', tag, part], data.subarray(offset, offset + PART));
    if (inFlight) commits.push(atomic.commit());
    else await atomic.commit();
  }
  await Promise.all(commits);
  const head = await kv.get(['raw', 'epoch']);
  const atomic = kv.atomic();
  atomic.check({ key: ['raw', 'epoch'], versionstamp: head.versionstamp });
  atomic.set(['raw', 'manifest'], { size: SIZE });
  await atomic.commit();
  return performance.now() - started;
}

await rawWrite('warm-a', false);
await rawWrite('warm-b', true);
const inTurn: number[] = [];
const atOnce: number[] = [];
for (let r = 0; r < rounds; r++) {
  inTurn.push(await rawWrite(`t${r}`, false));
  atOnce.push(await rawWrite(`o${r}`, true));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`awaited in turn: ${inTurn.map((x) => x.toFixed(0)).join(' ')} ms, median ${median(inTurn).toFixed(0)}`);
console.log(`all in flight:   ${atOnce.map((x) => x.toFixed(0)).join(' ')} ms, median ${median(atOnce).toFixed(0)}`);
console.log(`per round, in flight / in turn: ${atOnce.map((x, i) => (x / inTurn[i]!).toFixed(2)).join(' ')}`);
kv.close();
