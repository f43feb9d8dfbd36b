// A Deno program the SIGKILL test starts (twice) on one Deno KV file: runs the counting pipeline
// in-process with { kv } storage, resuming whatever checkpoint the file holds, and prints one line
// per completed checkpoint (`checkpoint <id>`), then `finished` — the test kills it on a line.
// It reads only records below <allowed>: with fewer than <records> it cannot finish, so the
// kill lands mid-stream whatever the machine's load.
// Usage: deno run --unstable-kv --allow-read --allow-write=<dir> kv-counting.main.js <kv file> <records> <allowed>
import { job, run } from 'weir';
import { buildGatedPipeline } from '../../support/gated-source.js';

interface DenoLike {
  args: string[];
  openKv(path: string): Promise<unknown>;
  exit(code: number): never;
}
const { args, openKv, exit } = (globalThis as unknown as { Deno: DenoLike }).Deno;
const [path, records, allowed] = [args[0]!, Number(args[1]), Number(args[2])];
const kv = await openKv(path);
const definition = job('counting-kv-sigkill', (env) => buildGatedPipeline(env, records, 7, { allowed }));
const handle = await run(definition, { storage: { kv: kv as never }, checkpointing: { intervalMs: 20 } });
handle.on('restore', (e) => console.log(`restored ${e.checkpointId ?? 'none'}`));
handle.on('checkpoint', (c) => void (c.status === 'completed' && console.log(`checkpoint ${c.id}${c.final ? ' final' : ''}`)));
const result = await handle.done;
console.log(`finished ${result.status}`);
exit(0);
