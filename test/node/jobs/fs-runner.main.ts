// A program, not a job module: runs the counting job with file storage and reports on stdout,
// so a test can kill it with SIGKILL mid-stream and start it again.
import { run } from 'weir';

// Args: dir, job name, and the source's rate (records/s; the rate is no part of the job's graph,
// so a run at another rate resumes the same job).
const [dir, name, rate = '40000'] = process.argv.slice(2) as [string, string, string?];
const job = new URL('./counting.job.js', import.meta.url);
for (const [k, v] of Object.entries({ name, records: 100_000, keys: 97, rate })) job.searchParams.set(k, String(v));
const handle = await run(job, { storage: { dir }, parallelism: 2, checkpointing: { intervalMs: 50 } });
handle.on('restore', (r) => process.stdout.write(`restored ${r.checkpointId ?? 'none'}\n`));
handle.on('checkpoint', (c) => process.stdout.write(`checkpoint ${c.id} ${c.status}${c.final ? ' final' : ''}\n`));
const result = await handle.done;
process.stdout.write(`done ${result.status}\n`);
