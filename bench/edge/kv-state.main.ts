// The Deno KV half of `npm run bench -- edge`, run by the Deno binary: the state job's final
// checkpoint (about 10 MB of keyed state) into Deno KV, against a raw write of the same bytes
// as Weir's backend lays them out (60 KiB parts, 12 per atomic operation, all in flight at once,
// then one commit checked by versionstamp). Prints one JSON line: { checkpointMs, encodeMs, writeMs, stateBytes, rawMs, chunkCommits,
// settledDuringEncoding, tailMs }
// (encode: the slowest subtask's synchronous snapshot; write: from then to its ack, the keyed state's
// encoding, a slice at a time, and the chunk writes overlapping it).
// With `memory` as a third argument, the same job checkpoints into memory storage instead (no raw
// write): the encoding's share, run in a fresh process of its own so that it starts as cold as the KV run.
// With `raw=<bytes>`, only the raw write of that many bytes, in a fresh process into a fresh file: the
// first write of a process costs more than the next (measured: about 1.6× here), and Weir's checkpoint
// is the first write of its process, so this is the baseline under the same conditions (the raw write
// after the checkpoint, in the same process, is printed too as `rawMs`).
// With `warm` as the last argument, the job (and, into KV, the raw write) runs once first, unmeasured,
// in the same process: the code warm, as in a process that has checkpointed a while (the Durable
// Object half is measured so too); `rawMs` is then the raw write after the measured checkpoint.
// Usage: deno run --unstable-kv --allow-read --allow-write=<dir> kv-state.main.js <kv file> <keys> [memory | raw=<bytes>] [warm]
import { run } from 'weir';
import { stateJob } from './state.job.js';

interface Kv {
  atomic(): { check(c: { key: unknown[]; versionstamp: string | null }): unknown; set(key: unknown[], value: unknown): unknown; commit(): Promise<{ ok: boolean }> };
  get(key: unknown[]): Promise<{ versionstamp: string | null }>;
  close(): void;
}
const Deno = (globalThis as unknown as { Deno: { args: string[]; openKv(path: string): Promise<Kv> } }).Deno;
const [path, keys, memory] = [Deno.args[0]!, Number(Deno.args[1]), Deno.args[2] === 'memory'];
const rawOnly = /^raw=(\d+)$/.exec(Deno.args[2] ?? '')?.[1];
const warm = Deno.args.at(-1) === 'warm';
const kv = await Deno.openKv(path);
/**
 * The measured checkpoint's chunk commits (those that carry parts): when each was handed to KV and
 * when it settled, to show whether the writes ran while the state was encoded or after it.
 */
const chunkCommits: { issued: number; settled: number }[] = [];
let tracing = false;
const traced = new Proxy(kv, {
  get(target, property) {
    if (property !== 'atomic') {
      const value = (target as unknown as Record<PropertyKey, unknown>)[property];
      return typeof value === 'function' ? value.bind(target) : value;
    }
    return () => {
      const atomic = target.atomic() as unknown as Record<'check' | 'set' | 'delete', (...args: unknown[]) => unknown> & { commit(): Promise<{ ok: boolean }> };
      let parts = 0;
      const op = {
        check: (...checks: unknown[]) => (atomic.check(...checks), op),
        set: (key: unknown, value: unknown) => ((parts += value instanceof Uint8Array ? 1 : 0), atomic.set(key, value), op),
        delete: (key: unknown) => (atomic.delete(key), op),
        commit: () => {
          const issued = performance.now();
          return atomic.commit().then((result) => {
            if (tracing && parts > 0) chunkCommits.push({ issued, settled: performance.now() });
            return result;
          });
        },
      };
      return op;
    };
  },
});
if (rawOnly !== undefined) {
  console.log(JSON.stringify({ rawMs: await rawWrite(Number(rawOnly)) }));
  kv.close();
  (Deno as unknown as { exit(code: number): never }).exit(0);
}

if (warm) {
  const first = await run(stateJob(`bench-kv-warm-${Date.now()}`, keys), { storage: memory ? 'memory' : { kv: traced as never }, checkpointing: false });
  await first.done;
  if (!memory) await rawWrite(first.checkpoints().filter((c) => c.status === 'completed').at(-1)!.stateSize, 'warm');
}
tracing = true;
const handle = await run(stateJob(`bench-kv-${Date.now()}`, keys), { storage: memory ? 'memory' : { kv: traced as never }, checkpointing: false });
await handle.done;
tracing = false;
// Settled while chunks were still being encoded: before the last chunk commit was handed to KV.
const lastIssued = Math.max(...chunkCommits.map((c) => c.issued));
const overlap = { chunkCommits: chunkCommits.length, settledDuringEncoding: chunkCommits.filter((c) => c.settled < lastIssued).length, tailMs: Math.max(...chunkCommits.map((c) => c.settled)) - lastIssued };
const final = handle.checkpoints().filter((c) => c.status === 'completed').at(-1)!;
const encodeMs = Math.max(...final.subtasks.map((s) => s.syncDurationMs));
const writeMs = Math.max(...final.subtasks.map((s) => s.asyncDurationMs));
/** The baseline: `size` bytes written as Weir's backend lays them out, without Weir (ms). */
async function rawWrite(size: number, tag = 'p'): Promise<number> {
  const PART = 60 * 1024;
  const data = new Uint8Array(size).map((_, i) => (i * 2654435761) >>> 24);
  const started = performance.now();
  // All in flight at once, then awaited (as the checkpoint's chunk commits are): faster than awaiting
  // each in turn, since KV takes the next commit as soon as its SQLite thread is free (bench/edge/kv-raw-pipelining.main.ts).
  const commits: Promise<unknown>[] = [];
  for (let offset = 0, part = 0; offset < data.byteLength; ) {
    const atomic = kv.atomic();
    for (let n = 0; n < 12 && offset < data.byteLength; n++, offset += PART, part++) atomic.set(['raw', tag, part], data.subarray(offset, offset + PART));
    commits.push(atomic.commit());
  }
  await Promise.all(commits);
  const head = await kv.get(['raw', 'epoch']);
  const atomic = kv.atomic();
  atomic.check({ key: ['raw', 'epoch'], versionstamp: head.versionstamp });
  atomic.set(['raw', 'manifest'], { size: data.byteLength });
  await atomic.commit();
  return performance.now() - started;
}

const rawMs = memory ? NaN : await rawWrite(final.stateSize);
console.log(JSON.stringify({ checkpointMs: final.durationMs, encodeMs, writeMs, stateBytes: final.stateSize, rawMs, ...(memory ? {} : overlap) }));
kv.close();
