// The `workerd` export condition in Cloudflare's runtime: a Worker (fixtures/jobs-worker.ts),
// bundled as a consumer would bundle it, runs jobs in its isolate under Miniflare's workerd, is
// killed mid-stream, and returns what it committed. Each job test is a kill-and-restore test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import type { WindowSum } from '../../examples/checkpoint-example.lines.js';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { assertExactWindowSums } from '../support/seed-example-check.js';

const SEED_LINES = 60_000;

/** The Worker as one ES module, with 'weir' resolved through the package's exports map. */
async function bundleWorker(): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: ['test/workerd/fixtures/jobs-worker.ts'],
    bundle: true, write: false, metafile: true, format: 'esm', target: 'es2022', logLevel: 'error',
    platform: 'neutral', mainFields: ['module', 'main'], // comlink has only "module"/"main"
    conditions: ['workerd'], // what wrangler passes: 'weir' → dist/workerd.js
    // tsconfig.json maps 'weir' to src/ for type-checking; a consumer's bundle resolves the package.
    tsconfigRaw: {},
    // workerd's import.meta is empty (no url); the seed example reads its parameters from it.
    define: { 'import.meta.url': JSON.stringify(`file:///checkpoint-example.job.js?name=seed-workerd&lines=${SEED_LINES}`) },
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

describe('workerd (Miniflare): jobs in a Cloudflare Worker, in-process', () => {
  let mf: Miniflare | undefined;
  let inputs: string[] = [];
  const get = async <T>(path: string): Promise<T> => {
    const response = await mf!.dispatchFetch(`http://localhost${path}`);
    const body = await response.text();
    assert.equal(response.status, 200, `GET ${path}: ${body}`);
    return JSON.parse(body) as T;
  };

  before(async () => {
    const bundle = await bundleWorker();
    inputs = bundle.inputs;
    mf = new Miniflare({
      // An explicit module list: Miniflare would otherwise refuse the bundle's dynamic import()
      // (loadJob's, for job module URLs), which a Worker never reaches.
      modules: [{ type: 'ESModule', path: 'jobs-worker.js', contents: bundle.code }],
      compatibilityDate: '2026-04-01', // ≥ 2025-08-15 has MessageChannel; this workerd knows up to 2026-05-03
    });
  });
  after(() => mf?.dispose());

  it('bundles weir as dist/workerd.js, through the workerd condition', () => {
    assert.ok(inputs.includes('dist/workerd.js'), `the bundle's inputs: ${inputs.join(', ')}`);
    assert.ok(!inputs.some((f) => f.startsWith('src/')), 'no source file of src/ in the bundle');
  });

  it('the seed example commits every 5 s window sum exactly, killed after a checkpoint', async () => {
    const body = await get<{ result: { status: string; restarts: number }; kills: number; restoredFrom: (number | null)[]; windowSums: WindowSum[]; deadLetters: { value: string; error: string }[] }>('/seed');
    assert.equal(body.result.status, 'finished');
    assert.ok(body.kills === 1 && body.result.restarts === 1, `the task set was killed mid-stream once, and restarted once (${JSON.stringify({ kills: body.kills, result: body.result, restoredFrom: body.restoredFrom })})`);
    assert.ok(body.restoredFrom.some((id) => id !== null), `restored from a checkpoint (restores: ${JSON.stringify(body.restoredFrom)})`);
    assertExactWindowSums(body.windowSums, SEED_LINES, body.deadLetters);
  });

  it('the counting pipeline commits every record once, killed after a checkpoint', async () => {
    const records = 20_000;
    const body = await get<{ result: { status: string; restarts: number }; kills: number; restoredFrom: (number | null)[]; seen: unknown[]; running: unknown[] }>(`/counting?name=counting-workerd&records=${records}`);
    assert.ok(body.kills === 1 && body.result.restarts === 1, `the task set was killed mid-stream once, and restarted once (${JSON.stringify({ kills: body.kills, result: body.result, restoredFrom: body.restoredFrom })})`);
    assert.ok(body.restoredFrom.some((id) => id !== null), `restored from a checkpoint (restores: ${JSON.stringify(body.restoredFrom)})`);
    const tables: Record<string, unknown[]> = { seen: body.seen, running: body.running };
    await checkExactlyOnce(async <T>(_job: string, table: string) => tables[table] as T[], 'counting-workerd', records, 7);
  });

  it('a bad run() option is an InvalidArgumentError that names it, through the Worker', async () => {
    const e = await get<{ name: string; code: string; message: string }>('/bad-call?option=intervalMs');
    assert.deepEqual(e, {
      name: 'InvalidArgumentError', code: 'INVALID_ARGUMENT',
      message: 'run(job, options).checkpointing.intervalMs: must be greater than 0, got 0',
    });
  });

  it("options a Worker cannot honour (workers, 'indexeddb') are refused with the reason", async () => {
    const executor = await get<{ name: string; message: string }>('/bad-call?option=executor');
    assert.equal(executor.name, 'InvalidArgumentError');
    assert.match(executor.message, /^run\(job, options\)\.executor: 'workers' is not available on this runtime/);
    const storage = await get<{ name: string; message: string }>('/bad-call?option=storage');
    assert.equal(storage.name, 'InvalidArgumentError');
    assert.match(storage.message, /^run\(job, options\)\.storage: 'indexeddb' storage needs a browser/);
  });
});
