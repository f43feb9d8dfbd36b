// `npm run example:cloudflare`: runs examples/cloudflare (its Worker, bundled as wrangler would)
// locally in Miniflare's workerd, posts page views to its job object, restarts the whole runtime
// mid-stream (right after a completed checkpoint, with a request in flight), posts more, and
// prints what the job counted: every acknowledged event exactly once.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);
execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
const bundle = await build({
  entryPoints: ['examples/cloudflare/src/worker.ts'], bundle: true, write: false, format: 'esm', target: 'es2022', logLevel: 'error',
  platform: 'neutral', mainFields: ['module', 'main'], conditions: ['workerd'], external: ['cloudflare:*'], tsconfigRaw: {},
});
const persist = mkdtempSync(join(tmpdir(), 'weir-cloudflare-example-'));
const token = randomBytes(16).toString('hex');
const options = {
  modules: [{ type: 'ESModule', path: 'worker.js', contents: bundle.outputFiles[0].text }],
  compatibilityDate: '2026-04-01',
  durableObjects: { EVENTS: { className: 'Events', useSQLite: true } }, // wrangler.toml: new_sqlite_classes
  durableObjectsPersist: persist,
  bindings: { WRITE_TOKEN: token },
};
const started = Date.now();
const log = (line) => console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${line}`);
let mf = new Miniflare(options);

const PAGES = ['/', '/pricing', '/docs', '/blog', '/about'];
const acknowledged = new Map(); // id → page
const unacknowledged = new Set();
let next = 0;

async function post(count) {
  const views = Array.from({ length: count }, () => ({ id: `view-${next++}`, page: PAGES[(next * 7919) % PAGES.length] }));
  try {
    const response = await mf.dispatchFetch('http://localhost/logs/events', {
      method: 'POST', body: views.map((v) => JSON.stringify(v)).join('\n'),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    });
    await response.text();
    if (response.status === 200) {
      for (const v of views) acknowledged.set(v.id, v.page);
      return true;
    }
  } catch {
    // the runtime went away under the request
  }
  for (const v of views) unacknowledged.add(v.id);
  return false;
}
const get = async (path) => (await mf.dispatchFetch(`http://localhost${path}`)).json();

async function awaitCheckpoint() {
  const start = (await get('/status')).latestCheckpoint?.id ?? 0;
  for (;;) {
    const status = await get('/status');
    if ((status.latestCheckpoint?.id ?? 0) >= start + 2) return status.latestCheckpoint.id;
    await new Promise((r) => setTimeout(r, 50));
  }
}

let failed = false;
try {
  log(`examples/cloudflare in Miniflare (workerd); the job object 'page-views' keeps its data in ${persist}`);
  for (let i = 0; i < 40; i++) await post(50);
  log(`posted ${acknowledged.size.toLocaleString('en')} page views in 40 requests, each answered 200 once durable`);
  const checkpoint = await awaitCheckpoint();
  log(`checkpoint ${checkpoint} completed — now the whole runtime goes down, with one request on its way`);
  const inFlight = post(50);
  await mf.dispose();
  await inFlight;
  mf = new Miniflare(options);
  let resumed = await get('/status'); // the first request starts a new instance, which resumes the job
  while (resumed.restoredFrom === null && resumed.status === 'running') {
    await new Promise((r) => setTimeout(r, 20));
    resumed = await get('/status');
  }
  log(`runtime started again on the same folder: the job object resumed from checkpoint ${resumed.restoredFrom}`);
  for (let i = 0; i < 40; i++) await post(50);
  log(`posted more: ${acknowledged.size.toLocaleString('en')} acknowledged in all, ${unacknowledged.size} in the request the restart cut off`);
  let seen = [];
  for (let i = 0; i < 600; i++) {
    seen = await get('/tables/seen');
    if ([...acknowledged.keys()].every(((ids) => (id) => ids.has(id))(new Set(seen)))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const views = await get('/tables/views');
  const expected = new Map();
  for (const id of seen) expected.set(acknowledged.get(id) ?? 'in flight', (expected.get(acknowledged.get(id) ?? 'in flight') ?? 0) + 1);
  const twice = seen.length - new Set(seen).size;
  const lost = [...acknowledged.keys()].filter((id) => !seen.includes(id)).length;
  const cutOff = seen.filter((id) => unacknowledged.has(id)).length;
  log(`table 'views': ${views.map((v) => `${v.page} ${v.views}`).join(', ')}`);
  const total = views.reduce((n, v) => n + v.views, 0);
  log(`acknowledged ${acknowledged.size}; counted ${total}: lost ${lost}, counted twice ${twice}; of the cut-off request ${cutOff} of ${unacknowledged.size} landed (each once at most)`);
  failed = lost > 0 || twice > 0 || total !== seen.length;
  console.log(failed ? '\nNOT exactly once: see above.' : '\nExactly once: every acknowledged page view counted once, through a restart of the runtime.');
} finally {
  await mf.dispose();
  rmSync(persist, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
