import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { staticClosure } from '../../../bench/first-download.js';

// The page of an app that runs its jobs in workers must stay small (issue 13, aim 6: ≤ 25 KB
// gzipped). `npm run bench -- bundle-size` prints the figure from the built package with each
// part's bytes; this keeps the page from growing past the aim unnoticed, as it once did (24.3 KB,
// then 29.7 KB a few stops later). A size is not a timing: the same sources give the same bytes.
// From dist/ (npm test builds it first), with the job module in the same build, as the bench does:
// the package's chunks, and those the page shares with its job module, decide what it pulls in.
const AIM_GZIP_BYTES = 25 * 1024;

const WORKERS_ONLY_APP = `
  import { run, readTable } from 'weir/runner';
  const handle = await run(new URL('./sum.job.js', import.meta.url), { parallelism: 2, checkpointing: { intervalMs: 1000 } });
  handle.on('checkpoint', (c) => console.log(c.id, c.status));
  await handle.done;
  console.log(await readTable('sum', 'sums'));
`;

const JOB_MODULE = `
  import { job, sources, sinks } from 'weir';
  export default job('sum', (env) => env.fromSource(sources.sequence({ from: 0, to: 1000 }))
    .map((n) => ({ k: n % 10, v: n })).keyBy((r) => r.k).sum('v').sinkTo(sinks.table('sums', { key: 'k' })));
`;

describe('the workers-only page (weir/runner)', () => {
  it('downloads at most 25 KB gzipped before its job starts (esbuild, minified, split, gzip -9)', async (t) => {
    const root = resolve('.');
    mkdirSync(join(root, '.test-build'), { recursive: true });
    const dir = mkdtempSync(join(root, '.test-build/runner-page-'));
    try {
      // The page and its job module in one build, as the app's bundler emits them side by side: a
      // chunk they share is downloaded whole by the page as soon as the page imports any of it.
      writeFileSync(join(dir, 'page.ts'), WORKERS_ONLY_APP);
      writeFileSync(join(dir, 'sum.job.ts'), JOB_MODULE);
      const { metafile, outputFiles } = await build({
        absWorkingDir: root,
        entryPoints: [{ in: join(dir, 'page.ts'), out: 'page' }, { in: join(dir, 'sum.job.ts'), out: 'sum.job' }],
        // The built package's browser entries, as an app's bundler resolves them.
        alias: { 'weir/runner': './dist/runner.js', weir: './dist/browser.js' },
        bundle: true, format: 'esm', splitting: true, minify: true, platform: 'browser', target: 'es2022',
        outdir: join(dir, 'out'), metafile: true, write: false, tsconfigRaw: '{}', logLevel: 'error',
      });
      const entry = Object.keys(metafile.outputs).find((o) => o.endsWith('/page.js'));
      assert.ok(entry !== undefined, 'the page has an entry output');
      const bytesOf = new Map(outputFiles.map((f) => [resolve(f.path), f.contents]));
      const files = staticClosure(metafile, entry);
      const gzipped = files.reduce((n, f) => n + gzipSync(bytesOf.get(resolve(root, f))!, { level: 9 }).length, 0);
      t.diagnostic(`first download ${(gzipped / 1024).toFixed(1)} KB gzipped in ${files.length} files`);
      assert.ok(
        gzipped <= AIM_GZIP_BYTES,
        `the page's first download is ${(gzipped / 1024).toFixed(1)} KB gzipped in ${files.length} files, over the ${AIM_GZIP_BYTES / 1024} KB aim: ` +
          'load what the page needs only later with a dynamic import() (npm run bench -- bundle-size prints its parts)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
