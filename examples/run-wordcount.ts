// The demo behind `npm start`: runs the word count with checkpoints every 500 ms, kills its
// tasks once midway (as a crash would), and shows that it resumes from the last checkpoint and
// still counts every word exactly once.
import { readTable, run } from 'weir';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`.padStart(7);

const handle = await run(new URL('./wordcount.job.js', import.meta.url), {
  parallelism: 2,
  checkpointing: { intervalMs: 500 },
  restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 200 },
  resume: 'none',
});
console.log(`${elapsed()}  job '${handle.jobName}' is ${handle.status()}: 2,000,000 numbers → words → keyBy → sum → table 'counts'`);

handle.on('metrics', (m) => console.log(`${elapsed()}  ${Math.round(m.recordsPerSecond).toLocaleString('en')} records/s`));
handle.on('checkpoint', (c) => {
  const what = c.status === 'completed' ? `completed in ${c.durationMs} ms, ${c.stateSize} bytes of state` : `failed: ${c.failureReason}`;
  console.log(`${elapsed()}  checkpoint ${c.id}${c.final ? ' (final)' : ''} ${what}`);
});
handle.on('restart', (r) => {
  const from = r.restoredCheckpointId === undefined ? 'the beginning' : `checkpoint ${r.restoredCheckpointId}`;
  console.log(`${elapsed()}  failure (${(r.cause as Error).message}); restart ${r.restart} from ${from} in ${r.delayMs} ms`);
});

setTimeout(() => {
  console.log(`${elapsed()}  injecting a failure: the task set is killed`);
  handle.injectFailure();
}, 2000);

const result = await handle.done;
const counts = await readTable<{ word: string; count: number }>('wordcount', 'counts');
const total = counts.reduce((n, r) => n + r.count, 0);
console.log(`${elapsed()}  ${result.status} after ${result.restarts} restart(s); committed counts:`);
for (const { word, count } of counts.sort((a, b) => a.word.localeCompare(b.word))) console.log(`           ${word.padEnd(8)} ${count.toLocaleString('en')}`);
console.log(`           total    ${total.toLocaleString('en')} ${total === 2_000_000 ? '(every number counted exactly once)' : '(WRONG: expected 2,000,000)'}`);
if (total !== 2_000_000) process.exitCode = 1;
