// A program, not a job module: runs the counting job with file storage and reports on stdout,
// so a test can kill it with SIGKILL mid-stream and start it again. It reads only records below
// <allowed>: with fewer than 100,000 it cannot finish, so a kill lands mid-stream however loaded the machine.
// Usage: node fs-runner.main.js <dir> <job name> <allowed>
import { run } from 'weir';

const [dir, name, allowed] = process.argv.slice(2) as [string, string, string];
const job = new URL('./counting.job.js', import.meta.url);
for (const [k, v] of Object.entries({ name, records: 100_000, keys: 97, allowed })) job.searchParams.set(k, String(v));
const handle = await run(job, { storage: { dir }, parallelism: 2, checkpointing: { intervalMs: 50 } });
handle.on('restore', (r) => process.stdout.write(`restored ${r.checkpointId ?? 'none'}\n`));
handle.on('checkpoint', (c) => process.stdout.write(`checkpoint ${c.id} ${c.status}\n`));
const result = await handle.done;
process.stdout.write(`done ${result.status}\n`);
