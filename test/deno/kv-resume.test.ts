// Deno KV storage across processes: a Deno process running a job is killed with SIGKILL right
// after a completed checkpoint, a second process on the same KV file resumes from it, and the
// committed output holds every record once. And a stale runner on its own connection to the file
// (a process that lived on after another took over) can neither complete a checkpoint nor commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { job, readTable, run, type JobHandle } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { buildGatedPipeline, type Gate } from '../support/gated-source.js';

interface Child {
  stdout: AsyncIterable<Uint8Array>;
  status: Promise<{ success: boolean; code: number; signal: string | null }>;
  kill(signal: string): void;
}
interface DenoLike {
  execPath(): string;
  openKv(path: string): Promise<{ close(): void } & object>;
  Command: new (command: string, options: { args: string[]; stdout: 'piped'; stderr: 'inherit'; env?: Record<string, string> }) => { spawn(): Child };
}
const Deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
const program = fileURLToPath(new URL('./programs/kv-counting.main.js', import.meta.url));
const RECORDS = 20_000;

/** Starts the program; `onLine` sees each output line and may kill it. Resolves with every line once it exits. */
async function runProgram(path: string, dir: string, allowed: number, onLine: (line: string, kill: () => void) => void): Promise<{ lines: string[]; signal: string | null; code: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ['run', '--unstable-kv', '--no-check', '--allow-read', `--allow-write=${dir}`, program, path, String(RECORDS), String(allowed)],
    stdout: 'piped', stderr: 'inherit',
  }).spawn();
  const lines: string[] = [];
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    rest += decoder.decode(chunk, { stream: true });
    for (let n = rest.indexOf('\n'); n !== -1; n = rest.indexOf('\n')) {
      const line = rest.slice(0, n);
      rest = rest.slice(n + 1);
      lines.push(line);
      onLine(line, () => child.kill('SIGKILL'));
    }
  }
  const status = await child.status;
  return { lines, signal: status.signal, code: status.code };
}

test('Deno KV: a process killed with SIGKILL after a checkpoint is resumed from Deno KV by the next one, every record once', async () => {
  const dir = await mkdtemp(fileURLToPath(new URL('./kv-resume-', import.meta.url)));
  const path = `${dir}/job.sqlite`;
  try {
    let killedAt: number | undefined;
    // The first process may read only half the input, so it is still reading when it is killed;
    // the second may read it all and resumes the same job (the gate is no part of its graph).
    const first = await runProgram(path, dir, RECORDS / 2, (line, kill) => {
      const m = /^checkpoint (\d+)$/.exec(line); // periodic, not final: the input is still being read
      if (m !== null && Number(m[1]) >= 2 && killedAt === undefined) {
        killedAt = Number(m[1]);
        kill();
      }
    });
    assert.equal(first.signal, 'SIGKILL', `the first process was killed (${first.lines.join(' | ')})`);
    assert.ok(!first.lines.some((l) => l.startsWith('finished')), 'it did not finish');
    const second = await runProgram(path, dir, RECORDS, () => {});
    assert.equal(second.code, 0, second.lines.join(' | '));
    const restored = Number(/^restored (\d+)$/.exec(second.lines[0] ?? '')?.[1]);
    assert.ok(restored >= killedAt!, `the second process restored checkpoint ${restored}, at least the one completed before the kill (${killedAt})`);
    assert.ok(second.lines.includes('finished finished'));
    const kv = await Deno.openKv(path);
    try {
      await checkExactlyOnce((name, table) => readTable(name, table, { storage: { kv: kv as never } }), 'counting-kv-sigkill', RECORDS, 7);
    } finally {
      kv.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Deno KV: a stale runner (its own connection, an older epoch) completes no checkpoint and commits nothing once another took over', async () => {
  const dir = await mkdtemp(fileURLToPath(new URL('./kv-stale-', import.meta.url)));
  const [kvA, kvB] = [await Deno.openKv(`${dir}/job.sqlite`), await Deno.openKv(`${dir}/job.sqlite`)];
  try {
    // Half the input until B has claimed the job: A cannot finish before.
    const gate: Gate = { allowed: RECORDS / 2 };
    const definition = job('counting-kv-stale', (env) => buildGatedPipeline(env, RECORDS, 7, gate));
    const options = { checkpointing: { intervalMs: 20 }, restart: { strategy: 'fixed-delay', attempts: 3, delayMs: 5 } } as const;
    const a = await run(definition, { ...options, storage: { kv: kvA as never } });
    const aCompleted: number[] = [];
    a.on('checkpoint', (c) => void (c.status === 'completed' && aCompleted.push(c.id)));
    await untilCheckpoint(a);
    const b = await run(definition, { ...options, storage: { kv: kvB as never } }); // resolved: B's epoch is claimed
    const completedAtB = aCompleted.length;
    let restoredFrom: number | undefined;
    b.on('restore', (e) => void (restoredFrom = e.checkpointId));
    gate.allowed = RECORDS; // A may read on: it still must not complete or commit anything
    await assert.rejects(a.done, (e: { code?: string }) => e.code === 'STORAGE_FENCED', 'the old runner stops fenced');
    assert.equal(aCompleted.length - completedAtB, 0, 'no checkpoint of the old runner completed after the new one claimed the job');
    assert.equal((await b.done).status, 'finished');
    assert.ok(restoredFrom !== undefined, 'the new runner restored the old one\'s checkpoint');
    await checkExactlyOnce((name, table) => readTable(name, table, { storage: { kv: kvB as never } }), 'counting-kv-stale', RECORDS, 7);
  } finally {
    kvA.close();
    kvB.close();
    await rm(dir, { recursive: true, force: true });
  }
});

function untilCheckpoint(handle: JobHandle): Promise<void> {
  return new Promise((resolve) => {
    const off = handle.on('checkpoint', (c) => {
      if (c.status === 'completed' && !c.final) {
        off();
        resolve();
      }
    });
  });
}
