// Deno KV storage across processes: a Deno process running a job is killed with SIGKILL right
// after a completed checkpoint, a second process on the same KV file resumes from it, and the
// committed output holds every record once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readTable } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';

interface Child {
  stdout: AsyncIterable<Uint8Array>;
  status: Promise<{ success: boolean; code: number; signal: string | null }>;
  kill(signal: string): void;
}
interface DenoLike {
  execPath(): string;
  openKv(path: string): Promise<{ close(): void }>;
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
