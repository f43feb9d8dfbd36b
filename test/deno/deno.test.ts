// The `deno` export condition in the real Deno binary: jobs in Deno Web Workers (dist/weir-worker.js)
// and in-process, each killed mid-stream and checked exactly once. scripts/run-deno-tests.mjs
// compiles this file (and the job modules) to .test-build/deno/ and runs `deno test` on it; Deno
// runs node:test tests, so flat test() calls only (the phase counts Deno's top-level tests).
//
// 'weir' is a bare import of this package itself: Deno reads the package.json at the root and
// resolves it through the exports map with its own conditions, which pick "deno" (dist/deno.js)
// before "node"; the first test checks that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readTable, run, type JobDefinition, type JobHandle } from 'weir';
import type { WindowSum } from '../../examples/checkpoint-example.lines.js';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { assertExactWindowSums } from '../support/seed-example-check.js';

const countingUrl = (name: string, records: number, hold?: { after: number; checkpoints: number }) =>
  new URL(`./jobs/counting.job.js?name=${name}&records=${records}${hold ? `&holdAfter=${hold.after}&holdCheckpoints=${hold.checkpoints}` : ''}`, import.meta.url);
// The seed example whose source readers each hold after a quarter of the lines until 2 checkpoints
// completed (test/support/held-source.ts): the kill in the first checkpoint's event is mid-stream at any speed.
const heldSeedUrl = (name: string, lines: number) => new URL(`./jobs/held-seed-example.job.js?name=${name}&lines=${lines}&after=${lines / 4}&checkpoints=2`, import.meta.url);

/**
 * Kills `worker` (or the in-process task set) once, in the event of the first completed checkpoint that
 * is not the final one. The jobs' sources hold part of their input until 2 checkpoints completed, so
 * that kill always comes, mid-stream.
 */
async function killOnceAfterCheckpoint(handle: JobHandle, worker?: number): Promise<void> {
  let kills = 0;
  let restoredFromCheckpoint = 0;
  handle.on('restore', (e) => void (e.checkpointId !== undefined && restoredFromCheckpoint++));
  handle.on('checkpoint', (c) => {
    if (c.status !== 'completed' || c.final || kills > 0 || handle.status() !== 'running') return;
    kills++;
    void handle.injectFailure(worker === undefined ? {} : { worker });
  });
  const result = await handle.done;
  assert.equal(result.status, 'finished');
  // The fault counted: one kill, one restart, nothing else restarted the job.
  assert.ok(kills === 1 && result.restarts === 1, `killed mid-stream once, restarted once (kills ${kills}, restarts ${result.restarts})`);
  assert.ok(restoredFromCheckpoint >= 1, 'restored from a checkpoint');
}

/** Runs `body` while counting the Web Workers started, by the URL of their script. */
async function withWorkerSpy(body: () => Promise<void>): Promise<string[]> {
  const started: string[] = [];
  const NativeWorker = globalThis.Worker;
  globalThis.Worker = class extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      started.push(String(url));
      super(url, options);
    }
  };
  try {
    await body();
  } finally {
    globalThis.Worker = NativeWorker;
  }
  return started;
}

function assertWebWorkers(started: string[]): void {
  // 2 at the start, 2 more for the restart.
  assert.ok(started.length >= 4, `Web Workers started: ${started.length}`);
  for (const url of started) assert.match(url, /\/dist\/weir-worker\.js$/);
}

// heartbeat: a worker whose deploy outlasts the heartbeat timeout (counted from its spawn) is taken for
// lost, which a loaded machine does: a WORKER_LOST restart no kill caused. A long timeout keeps the count to the kill.
const options = { checkpointing: { intervalMs: 50 }, restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 10 }, heartbeat: { intervalMs: 1000, timeoutMs: 60_000 } } as const;

test("Deno resolves 'weir' to dist/deno.js through the deno condition", () => {
  assert.equal(typeof (globalThis as { Deno?: unknown }).Deno, 'object', 'running in Deno');
  assert.match(import.meta.resolve('weir'), /\/dist\/deno\.js$/);
});

test('the counting pipeline in 2 Deno Web Workers commits every record once, worker 0 killed after a checkpoint', async () => {
  const records = 20_000;
  assertWebWorkers(await withWorkerSpy(async () => {
    await killOnceAfterCheckpoint(await run(countingUrl('counting-deno-workers', records, { after: records / 8, checkpoints: 2 }), { parallelism: 2, ...options }), 0);
  }));
  await checkExactlyOnce(readTable, 'counting-deno-workers', records, 7);
});

test('the seed example in 2 Deno Web Workers commits every window sum exactly, worker 0 killed after a checkpoint', async () => {
  const lines = 30_000;
  assertWebWorkers(await withWorkerSpy(async () => {
    await killOnceAfterCheckpoint(await run(heldSeedUrl('seed-deno-workers', lines), { parallelism: 2, ...options, checkpointing: { intervalMs: 20 } }), 0);
  }));
  assertExactWindowSums(await readTable<WindowSum>('seed-deno-workers', 'window-sums'), lines, await readTable('seed-deno-workers', 'dead-letters'));
});

test('the seed example in-process in Deno commits every window sum exactly, killed after a checkpoint', async () => {
  const lines = 30_000;
  const definition = ((await import(heldSeedUrl('seed-deno-in-process', lines).href)) as { default: JobDefinition }).default;
  await killOnceAfterCheckpoint(await run(definition, { ...options, checkpointing: { intervalMs: 10 } }));
  assertExactWindowSums(await readTable<WindowSum>('seed-deno-in-process', 'window-sums'), lines, await readTable('seed-deno-in-process', 'dead-letters'));
});

test('a bad run() option is an InvalidArgumentError that names it', async () => {
  await assert.rejects(run(countingUrl('bad', 10), { parallelism: 0 }), {
    name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT', message: /^run\(job, options\)\.parallelism: must be /,
  });
});

test('{ dir } storage in Deno: 2 Web Workers checkpoint into files through the runner; a second run resumes from them', async () => {
  // Inside .test-build/deno, the one folder the Deno phase may write to.
  const dir = await mkdtemp(fileURLToPath(new URL('./dir-storage-', import.meta.url)));
  try {
    const records = 20_000;
    const name = 'counting-deno-dir';
    // The first run's 2 readers stop after 2 000 records each, for good (a hold no checkpoint releases),
    // so it is still running, a fifth of the way, when it is stopped, at any speed; the second run, without
    // the hold, resumes the same job (the hold is no part of its graph).
    const held = 2 * 2_000;
    const first = await run(countingUrl(name, records, { after: held / 2, checkpoints: Infinity }), { parallelism: 2, storage: { dir }, checkpointing: { intervalMs: 20 } });
    // Checkpoints (each awaited: it resolves once every sink committed it) until all the first run read is committed.
    let committedBefore = 0;
    for (let i = 0; i < 1_000 && committedBefore < held; i++) {
      await first.triggerCheckpoint();
      committedBefore = (await readTable(name, 'seen', { storage: { dir } })).length;
    }
    assert.equal(first.status(), 'running', 'the first run still runs (its input held)');
    await first.cancel();
    assert.equal(committedBefore, held, 'the first run committed what it read: 2 000 records of each reader');
    let restoredFrom: number | undefined;
    const second = await run(countingUrl(name, records), { parallelism: 2, storage: { dir }, checkpointing: { intervalMs: 20 } });
    second.on('restore', (e) => void (restoredFrom = e.checkpointId));
    assert.equal((await second.done).status, 'finished');
    assert.ok(restoredFrom !== undefined, 'the second run resumed from a checkpoint in the folder');
    await checkExactlyOnce((jobName, table) => readTable(jobName, table, { storage: { dir } }), name, records, 7);
    assert.ok((await readdir(dir)).length > 0, 'the folder holds the checkpoints');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
