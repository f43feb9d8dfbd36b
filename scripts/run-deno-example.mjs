// `npm run example:deno`: runs examples/deno/app.ts with the Deno binary (from the devDependency
// `deno`), posts page views to it, kills it with SIGKILL mid-stream (right after a completed
// checkpoint, with a request in flight), starts it again on the same Deno KV file, posts more,
// and prints what the job counted: every acknowledged event exactly once.
import { build } from 'esbuild';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findDeno } from './run-deno-tests.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
// 'weir' stays a bare import: Deno resolves it to dist/deno.js through this package's exports map.
await build({
  entryPoints: ['examples/deno/app.ts'], outdir: '.example-build/deno', bundle: true, packages: 'external', external: ['weir', 'weir/*'],
  format: 'esm', platform: 'neutral', target: 'es2022', logLevel: 'error',
});
const deno = findDeno();
const dir = mkdtempSync(join(tmpdir(), 'weir-deno-example-'));
const started = Date.now();
const log = (line) => console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${line}`);

/** Starts the app; resolves with its base URL once it listens, and the child process. */
function startApp() {
  const child = spawn(deno.binary, [
    'run', '--unstable-kv', '--no-check', '--allow-net=127.0.0.1', '--allow-read', `--allow-write=${dir}`,
    '.example-build/deno/app.js', '--kv', join(dir, 'views.sqlite'), '--port', '0',
  ], { env: { ...process.env, DENO_DIR: join(root, '.deno-dir'), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/[^/\s]+)\//.exec(out);
      if (m) resolve({ child, base: m[1] });
    });
    child.on('exit', (code, signal) => reject(new Error(`the app exited (${code ?? signal}) before it listened: ${out}`)));
  });
}

const PAGES = ['/', '/pricing', '/docs', '/blog', '/about'];
const acknowledged = new Set();
const cutOff = new Set();
let next = 0;
let app = await startApp();

async function post(count) {
  const views = Array.from({ length: count }, () => ({ id: `view-${next++}`, page: PAGES[(next * 7919) % PAGES.length] }));
  try {
    const response = await fetch(`${app.base}/events`, { method: 'POST', body: JSON.stringify(views), headers: { 'content-type': 'application/json' } });
    await response.text();
    if (response.status === 200) {
      for (const v of views) acknowledged.add(v.id);
      return;
    }
  } catch {
    // the process died under the request
  }
  for (const v of views) cutOff.add(v.id);
}
const get = async (path) => (await fetch(`${app.base}${path}`)).json();

let failed = true;
try {
  log(`examples/deno/app.ts with ${deno.version}, its input log and checkpoints in ${join(dir, 'views.sqlite')} (Deno KV)`);
  for (let i = 0; i < 40; i++) await post(50);
  log(`posted ${acknowledged.size.toLocaleString('en')} page views in 40 requests, each answered 200 once durable`);
  const start = (await get('/status')).latestCheckpoint ?? 0;
  let checkpoint = start;
  while (checkpoint < start + 2) {
    await new Promise((r) => setTimeout(r, 50));
    checkpoint = (await get('/status')).latestCheckpoint ?? 0;
  }
  log(`checkpoint ${checkpoint} completed — now kill -9 the process, with one request on its way`);
  const inFlight = post(50);
  app.child.kill('SIGKILL');
  await inFlight;
  app = await startApp();
  let status = await get('/status');
  while (status.restoredFrom === null && status.status === 'running') {
    await new Promise((r) => setTimeout(r, 20));
    status = await get('/status');
  }
  log(`started again on the same KV file: the job resumed from checkpoint ${status.restoredFrom}`);
  for (let i = 0; i < 40; i++) await post(50);
  log(`posted more: ${acknowledged.size.toLocaleString('en')} acknowledged in all, ${cutOff.size} in the request the kill cut off`);
  let seen = [];
  for (let i = 0; i < 600; i++) {
    seen = await get('/seen');
    const ids = new Set(seen);
    if ([...acknowledged].every((id) => ids.has(id))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const views = await get('/views');
  const total = views.reduce((n, v) => n + v.views, 0);
  const twice = seen.length - new Set(seen).size;
  const lost = [...acknowledged].filter((id) => !seen.includes(id)).length;
  log(`table 'views': ${views.map((v) => `${v.page} ${v.views}`).join(', ')}`);
  log(`acknowledged ${acknowledged.size}; counted ${total}: lost ${lost}, counted twice ${twice}; of the cut-off request ${seen.filter((id) => cutOff.has(id)).length} of ${cutOff.size} landed (each once at most)`);
  failed = lost > 0 || twice > 0 || total !== seen.length;
  console.log(failed ? '\nNOT exactly once: see above.' : '\nExactly once: every acknowledged page view counted once, through a kill -9 of the process.');
} finally {
  app.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
