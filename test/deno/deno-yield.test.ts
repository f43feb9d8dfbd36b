// The task scheduler's yield on Deno (src/platform/deno-macrotask.ts), in the real binary: async
// ops that another thread completes (here Deno KV commits, which KV's SQLite thread takes one at a
// time) settle while a thread keeps working in slices and yielding between them, as a checkpoint's
// encoding does. With setImmediate alone they waited for tokio's 31st poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createDenoMacrotaskScheduler } from '../../src/platform/deno-macrotask.js';

interface Kv {
  atomic(): { set(key: unknown[], value: unknown): { commit(): Promise<{ ok: boolean }> } };
  close(): void;
}
const { openKv } = (globalThis as unknown as { Deno: { openKv(path: string): Promise<Kv> } }).Deno;

test('Deno: KV commits settle while the thread works in slices and yields through the scheduler (every yield due to poll)', async () => {
  const dir = await mkdtemp(fileURLToPath(new URL('./kv-yield-', import.meta.url)));
  const kv = await openKv(`${dir}/kv.sqlite`);
  try {
    let clock = 0;
    const schedule = createDenoMacrotaskScheduler(() => (clock += 10), 4); // 10 "ms" between yields: each one polls
    const blocked = new Int32Array(new SharedArrayBuffer(4));
    const COMMITS = 8; // KV takes one per poll of the JS thread: 8–17 slices here; through setImmediate alone, 134–169
    let settled = 0;
    const commits = Array.from({ length: COMMITS }, (_, i) => kv.atomic().set(['yield', i], new Uint8Array(4096).fill(i)).commit().then((r) => {
      settled++;
      return r.ok;
    }));
    let slices = 0;
    while (settled < COMMITS && slices < 60) {
      Atomics.wait(blocked, 0, 0, 10); // a slice of work: the JS thread busy (blocked) for 10 ms
      slices++;
      await new Promise<void>((resolve) => schedule(resolve));
    }
    assert.equal(settled, COMMITS, `after ${slices} slices, ${settled} of ${COMMITS} commits had settled`);
    assert.deepEqual(await Promise.all(commits), Array(COMMITS).fill(true));
  } finally {
    kv.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('Deno: the scheduler runs every callback once and in order; it polls (a digest) at most once per pollEveryMs of its clock', async () => {
  const subtle = Object.getPrototypeOf(crypto.subtle) as { digest: (...args: unknown[]) => Promise<unknown> };
  const digest = subtle.digest;
  let polls = 0;
  subtle.digest = function (this: unknown, ...args: unknown[]) {
    polls++;
    return digest.apply(this, args);
  };
  try {
    let clock = 0;
    const schedule = createDenoMacrotaskScheduler(() => clock, 4);
    const ran: number[] = [];
    for (let i = 1; i <= 12; i++) {
      clock = i; // yields 1 "ms" apart: those at 4, 8 and 12 poll
      await new Promise<void>((resolve) => schedule(() => {
        ran.push(i);
        resolve();
      }));
    }
    assert.deepEqual(ran, Array.from({ length: 12 }, (_, i) => i + 1));
    assert.equal(polls, 3);
  } finally {
    subtle.digest = digest;
  }
});
