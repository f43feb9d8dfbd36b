import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readTable } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';

const runner = fileURLToPath(new URL('./jobs/fs-runner.main.js', import.meta.url));

/** Starts the runner; resolves with its output once `until` matches a line (then SIGKILLs it) or it exits. */
function runUntil(dir: string, name: string, rate: number, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, dir, name, String(rate)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (until !== undefined && until.test(out)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(out);
      else reject(new Error(`runner exited with ${code}: ${err}`));
    });
  });
}

describe('file storage in Node', () => {
  it('a Node process killed mid-stream resumes from its last checkpoint, and the output is exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-fs-'));
    const name = 'fs-resume';
    // Killed once its third periodic checkpoint completed (an event). Its input comes slowly (20 s of
    // it) so that, however loaded the machine, the job is still reading then; the restart goes fast.
    const first = await runUntil(dir, name, 5_000, /checkpoint ([3-9]|\d{2,}) completed\n/);
    assert.doesNotMatch(first, /done/, 'the first process was killed before the job finished');
    const committedBefore = (await readTable<number>(name, 'seen', { storage: { dir } })).length;
    assert.ok(committedBefore > 0 && committedBefore < 100_000, `the first process committed part of the input (${committedBefore})`);

    const second = await runUntil(dir, name, 40_000);
    assert.match(second, /restored [1-9]/, `the second process resumed from a checkpoint:\n${second}`);
    assert.match(second, /done finished/);
    await checkExactlyOnce((job, table) => readTable(job, table, { storage: { dir } }), name, 100_000, 97);
  });
});
