// `npm run example`: the seed example (checkpoint-example.job.ts) in two worker_threads, with a
// checkpoint every 200 ms. A worker is killed while windows are open; the job resumes from its
// last checkpoint and still commits every 5-second window sum exactly once, and every line that
// does not parse as a dead letter — checked here against sums computed directly from the input.
import { readTable, run, type DeadLetter } from 'weir';
import { expectedWindowSums, type WindowSum } from './checkpoint-example.lines.js';

const LINES = 400_000;
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`.padStart(7);

const handle = await run(new URL(`./checkpoint-example.job.js?lines=${LINES}`, import.meta.url), {
  parallelism: 2,
  checkpointing: { intervalMs: 200 },
  restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 200 },
  resume: 'none',
});
console.log(`${elapsed()}  job '${handle.jobName}': ${LINES.toLocaleString('en')} lines "<time> <n>" → parse → keyBy(n % 4) → 5 s tumbling window → sum → table 'window-sums'`);
handle.on('checkpoint', (c) => {
  if (c.status === 'completed') console.log(`${elapsed()}  checkpoint ${c.id}${c.final ? ' (final)' : ''} completed in ${c.durationMs} ms, ${c.stateSize} bytes of state`);
  else console.log(`${elapsed()}  checkpoint ${c.id} failed: ${c.failureReason}`);
});
handle.on('restart', (r) => {
  const from = r.restoredCheckpointId === undefined ? 'the beginning' : `checkpoint ${r.restoredCheckpointId}`;
  console.log(`${elapsed()}  failure (${(r.cause as Error).message}); restart ${r.restart} from ${from}`);
});
handle.on('checkpoint', function killOnce(c) {
  if (c.status !== 'completed' || c.id !== 1 || c.final) return;
  console.log(`${elapsed()}  killing worker 1 while windows are open`);
  handle.injectFailure({ worker: 1 });
});

const result = await handle.done;
const rows = await readTable<WindowSum>('checkpoint-example', 'window-sums');
const dead = await readTable<DeadLetter<string>>('checkpoint-example', 'dead-letters');
const { sums, badLines } = expectedWindowSums({ lines: LINES });
const committed = new Map(rows.map((r) => [`${r.key}@${r.windowStart}`, r.sum]));
const wrong = sums.filter((e) => committed.get(`${e.key}@${e.windowStart}`) !== e.sum);
console.log(`${elapsed()}  ${result.status} after ${result.restarts} restart(s)`);
console.log(`           window sums committed: ${rows.length} (expected ${sums.length}), wrong or missing: ${wrong.length}`);
console.log(`           dead letters: ${dead.length} (expected ${badLines}), e.g. ${JSON.stringify(dead[0])}`);
for (const r of rows.slice(0, 4)) console.log(`           key ${r.key}, window from ${new Date(r.windowStart).toISOString()}: sum ${r.sum}`);
const exact = rows.length === sums.length && wrong.length === 0 && dead.length === badLines;
console.log(`           ${exact ? 'every window sum exact, each committed once' : 'WRONG: the output differs from the input'}`);
if (!exact) process.exitCode = 1;
