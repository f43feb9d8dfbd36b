// A program, not a job module: runs the counting job with file storage and reports on stdout,
// so a test can kill it with SIGKILL mid-stream and start it again.
import { run } from 'weir';

const [dir, name] = process.argv.slice(2) as [string, string];
const job = new URL('./counting.job.js', import.meta.url);
for (const [k, v] of Object.entries({ name, records: 100_000, keys: 97, rate: 40_000 })) job.searchParams.set(k, String(v));
const handle = await run(job, { storage: { dir }, parallelism: 2, checkpointing: { intervalMs: 50 } });
handle.on('restore', (r) => process.stdout.write(`restored ${r.checkpointId ?? 'none'}\n`));
handle.on('checkpoint', (c) => process.stdout.write(`checkpoint ${c.id} ${c.status}\n`));
const result = await handle.done;
process.stdout.write(`done ${result.status}\n`);
