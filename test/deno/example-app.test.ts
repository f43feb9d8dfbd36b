// examples/deno/app.ts under the real Deno binary: page views POSTed to it land in an input log
// in Deno KV; the process is killed with SIGKILL right after a completed checkpoint, with a
// request in flight, and started again on the same KV file — every acknowledged event is counted
// exactly once, none twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface Child {
  stdout: ReadableStream<Uint8Array> & AsyncIterable<Uint8Array>;
  status: Promise<{ code: number; signal: string | null }>;
  kill(signal: string): void;
}
interface DenoLike {
  execPath(): string;
  Command: new (command: string, options: { args: string[]; stdout: 'piped'; stderr: 'inherit' }) => { spawn(): Child };
}
const Deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
const app = fileURLToPath(new URL('../../examples/deno/app.js', import.meta.url));

/** Starts the app on `dir`; resolves once it listens. */
async function start(dir: string): Promise<{ child: Child; base: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ['run', '--unstable-kv', '--no-check', '--allow-net=127.0.0.1', '--allow-read', `--allow-write=${dir}`, app, '--kv', `${dir}/views.sqlite`, '--port', '0'],
    stdout: 'piped', stderr: 'inherit',
  }).spawn();
  let out = '';
  const decoder = new TextDecoder();
  const reader = child.stdout.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the app exited before it listened: ${out}`);
    out += decoder.decode(value, { stream: true });
    const m = /listening on (http:\/\/[^/\s]+)\//.exec(out);
    if (m !== null) {
      void (async () => { while (!(await reader.read()).done); })(); // keep draining its output
      return { child, base: m[1]! };
    }
  }
}

test('the Deno example: killed with SIGKILL after a checkpoint and started again on its Deno KV file, every acknowledged event once', async () => {
  const dir = await mkdtemp(fileURLToPath(new URL('./example-app-', import.meta.url)));
  let current = await start(dir);
  const acknowledged = new Set<string>();
  let next = 0;
  let kills = 0;
  const post = async () => {
    const views = Array.from({ length: 1 + (next % 13) }, () => ({ id: `v${next++}`, page: `/p/${next % 4}` }));
    try {
      const r = await fetch(`${current.base}/events`, { method: 'POST', body: JSON.stringify(views) });
      await r.text();
      if (r.status === 200) for (const v of views) acknowledged.add(v.id);
    } catch {
      // killed under the request: not acknowledged
    }
  };
  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${current.base}${path}`)).json()) as T;
  try {
    const bad = await fetch(`${current.base}/events`, { method: 'POST', body: '[{"id": 1}]' });
    assert.equal(bad.status, 400, 'a bad event is refused');
    await bad.text();
    for (let i = 0; i < 10; i++) await post();
    const first = (await get<{ latestCheckpoint: number | null }>('/status')).latestCheckpoint ?? 0;
    while (((await get<{ latestCheckpoint: number | null }>('/status')).latestCheckpoint ?? 0) < first + 2) await new Promise((r) => setTimeout(r, 20));
    const inFlight = post();
    current.child.kill('SIGKILL');
    kills++;
    assert.equal((await current.child.status).signal, 'SIGKILL');
    await inFlight;
    current = await start(dir);
    for (let i = 0; i < 10; i++) await post();
    let seen: string[] = [];
    for (let i = 0; i < 500; i++) {
      seen = await get<string[]>('/seen');
      if ([...acknowledged].every(((ids) => (id: string) => ids.has(id))(new Set(seen)))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(kills, 1);
    assert.equal((await get<{ restoredFrom: number | null }>('/status')).restoredFrom! >= first + 2, true, 'resumed from the checkpoint awaited before the kill (or a later one)');
    assert.equal(new Set(seen).size, seen.length, 'no event counted twice');
    assert.deepEqual([...acknowledged].filter((id) => !seen.includes(id)), [], 'every acknowledged event counted');
    const views = await get<{ views: number }[]>('/views');
    assert.equal(views.reduce((n, v) => n + v.views, 0), seen.length, 'the views add up to the events seen');
  } finally {
    current.child.kill('SIGKILL');
    await current.child.status;
    await rm(dir, { recursive: true, force: true });
  }
});
