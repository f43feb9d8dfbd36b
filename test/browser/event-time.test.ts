/// <reference types="mocha" />
// The seed example (examples/checkpoint-example.job.ts) in real Web Workers with real IndexedDB:
// 5-second event-time windows whose sums must be exact, with workers killed while windows are
// open. Watermarks cross MessagePorts between the workers; window contents, timers and
// watermarks go through IndexedDB checkpoints and come back on restore.
import { readTable, run, type DeadLetter, type RestartEvent } from 'weir';
import { expectedWindowSums, type WindowSum } from '../../examples/checkpoint-example.lines.js';
import { seededRandom } from '../support/seeded-random.js';

const runId = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function exampleJob(name: string, lines: number): URL {
  const url = new URL('../../examples/checkpoint-example.job.ts', import.meta.url);
  url.searchParams.set('name', name);
  url.searchParams.set('lines', String(lines));
  return url;
}

/** The same job, its source readers each holding after a quarter of the lines until 2 checkpoints of their attempt completed (held-source.ts). */
function heldExampleJob(name: string, lines: number): URL {
  const url = new URL('../support/held-seed-example.job.ts', import.meta.url);
  for (const [k, v] of Object.entries({ name, lines, after: lines / 4, checkpoints: 2 })) url.searchParams.set(k, String(v));
  return url;
}

async function assertExact(name: string, lines: number): Promise<void> {
  const rows = await readTable<WindowSum>(name, 'window-sums');
  const dead = await readTable<DeadLetter<string>>(name, 'dead-letters');
  const { sums, badLines } = expectedWindowSums({ lines });
  const committed = new Map<string, number>();
  for (const r of rows) {
    const id = `${r.key}@${r.windowStart}`;
    assert(!committed.has(id), `window ${id} committed twice`);
    committed.set(id, r.sum);
  }
  assert(rows.length === sums.length, `${rows.length} window sums committed, expected ${sums.length}`);
  for (const e of sums) assert(committed.get(`${e.key}@${e.windowStart}`) === e.sum, `window ${e.key}@${e.windowStart}: ${committed.get(`${e.key}@${e.windowStart}`)} instead of ${e.sum}`);
  assert(dead.length === badLines && new Set(dead.map((d) => d.value)).size === badLines, `${dead.length} dead letters, expected ${badLines} distinct`);
}

describe('event-time windows in Web Workers with IndexedDB checkpoints', function () {
  this.timeout(120_000);

  it('the seed example commits exact window sums', async () => {
    const name = `seed-${runId}`;
    const lines = 30_000;
    const handle = await run(exampleJob(name, lines), { parallelism: 2, checkpointing: { intervalMs: 100 }, resume: 'none' });
    await handle.done;
    await assertExact(name, lines);
  });

  it('stays exact when workers are killed at random moments while windows are open', async () => {
    const name = `seed-kills-${runId}`;
    const lines = 80_000;
    const random = seededRandom(5);
    const handle = await run(heldExampleJob(name, lines), {
      parallelism: 2, checkpointing: { intervalMs: 80 }, resume: 'none', restart: { strategy: 'fixed-delay', attempts: 20, delayMs: 10 },
      // A worker whose deploy outlasts the heartbeat timeout (counted from its spawn) is taken for lost,
      // which a loaded machine does: a WORKER_LOST restart no kill caused. A long timeout keeps the count to the kills.
      heartbeat: { intervalMs: 1000, timeoutMs: 60_000 },
    });
    // Each kill lands synchronously in the 'checkpoint' event of a completed periodic checkpoint, on a
    // running job: so it is a real fault (never a no-op on a job that ended meanwhile, as a kill after a
    // delay could be), and the restore starts from that checkpoint's open windows, not from scratch.
    // The source holds part of its input until 2 checkpoints completed: the first kill always comes.
    const killedAfter: number[] = [];
    const restarts: RestartEvent[] = [];
    const restoredFrom: (number | undefined)[] = [];
    handle.on('restart', (e) => restarts.push(e));
    handle.on('restore', (e) => restoredFrom.push(e.checkpointId));
    const unsubscribe = handle.on('checkpoint', (c) => {
      if (c.status !== 'completed' || c.final || killedAfter.length >= 3 || handle.status() !== 'running') return;
      if (killedAfter.length > 0 && random() < 0.5) return;
      killedAfter.push(c.id);
      handle.injectFailure({ worker: Math.floor(random() * 2) });
    });
    const result = await handle.done;
    unsubscribe();
    assert(killedAfter.length >= 1, 'a worker was killed mid-stream');
    // Every injected kill, and nothing else, restarted the job, each from the checkpoint it followed.
    assert(result.restarts === killedAfter.length, `${killedAfter.length} kill(s) injected, ${result.restarts} restart(s)`);
    const seen = restarts.map((r) => ({ code: (r.cause as { code?: string }).code, from: r.restoredCheckpointId }));
    const injected = killedAfter.map((id) => ({ code: 'INJECTED_FAILURE', from: id }));
    assert(JSON.stringify(seen) === JSON.stringify(injected), `'restart' events ${JSON.stringify(seen)}, expected ${JSON.stringify(injected)}`);
    assert(JSON.stringify(restoredFrom) === JSON.stringify([undefined, ...killedAfter]),
      `'restore' events from ${JSON.stringify(restoredFrom)}: the start, then each killed-after checkpoint ${JSON.stringify(killedAfter)}`);
    await assertExact(name, lines);
  });
});
