// Process CPU per event of the windows bench's in-process job alone (bench/windows-shared.ts: 10,000
// keys, 1 s tumbling or 1 s / 250 ms sliding event-time windows, sum('value'), checkpoints every 1 s),
// checked against the hand-written loop's tally. No loop run is timed: on a machine shared with
// other work, process CPU of one side, alternated with another build's, is what resolves a change.
// Run through tumbling-cpu.mjs, which builds it from a src/ tree.
// Env: WEIR_BENCH_EVENTS (default 24 000 000), WEIR_BENCH_KIND (tumbling | sliding),
// WEIR_BENCH_ROUNDS (default 1 measured run after a warm-up of 200 000 events).
import { run } from 'weir';
import { buildWindowJob, compareTallies, readTally, windowLoop, type WindowKind } from '../windows-shared.js';

const EVENTS = Number(process.env.WEIR_BENCH_EVENTS ?? 24_000_000);
const KIND = (process.env.WEIR_BENCH_KIND ?? 'tumbling') as WindowKind;
const ROUNDS = Number(process.env.WEIR_BENCH_ROUNDS ?? 1);
const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

let runs = 0;
async function once(records: number): Promise<{ nsPerEvent: number; wallMs: number; checkpoints: number; error?: string }> {
  const expected = windowLoop(records, KIND).tally; // first: a --trace-gc log after 'measured:' is the job's alone
  if (records === EVENTS) console.log('measured:');
  const name = `tumbling-cpu-${process.pid}-${++runs}`;
  const handle = await run(buildWindowJob({ name, records, kind: KIND, fn: 'sum' }), { parallelism: 1, checkpointing: { intervalMs: 1000 }, resume: 'none' });
  const c0 = cpuNs();
  const w0 = performance.now();
  await handle.done;
  const cpu = cpuNs() - c0;
  const wallMs = performance.now() - w0;
  const checkpoints = handle.checkpoints().filter((c) => c.status === 'completed' && !c.final).length;
  const error = compareTallies(await readTally(name), expected);
  return { nsPerEvent: cpu / records, wallMs, checkpoints, ...(error !== undefined ? { error } : {}) };
}

await once(200_000);
for (let r = 0; r < ROUNDS; r++) {
  const s = await once(EVENTS);
  console.log(`${KIND} ${EVENTS} events: ${s.nsPerEvent.toFixed(1)} ns CPU/event, ${(s.wallMs / 1000).toFixed(2)} s wall, ${s.checkpoints} periodic checkpoints${s.error !== undefined ? `, WRONG: ${s.error}` : ', output matches the loop'}`);
}
