// Runs the end-to-end suites (test/e2e/**/*.test.ts): node:test files that pack the package, build
// consumer apps with esbuild and Vite, and drive them in Chromium with playwright-core (TOOLCHAIN.md §2, §3).
// Usage: node scripts/run-e2e-tests.mjs [test file ...]   (exits 0 when all passed)
// scripts/test.mjs imports runE2eTests() and adds the counts to its own. dist/ must be built first.
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { run } from 'node:test';
import { countTestRun } from './test-counter.mjs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ChromeNotFoundError, findChrome } from './find-chrome.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = '.test-build/e2e';
const TIMEOUT_MS = 5 * 60_000; // per file; the whole phase takes well under a minute

/** Every e2e test file, sorted. */
export function e2eTestFiles() {
  return (existsSync(join(root, 'test/e2e')) ? readdirSync(join(root, 'test/e2e'), { recursive: true }) : [])
    .map((f) => join('test/e2e', f).replaceAll('\\', '/'))
    .filter((f) => f.endsWith('.test.ts') && !f.startsWith('test/e2e/fixtures/'))
    .sort();
}

/**
 * Compiles and runs `files` (default: all) with node:test, one at a time. Never throws: a file that
 * does not compile, or a run that cannot start, counts as a failure.
 * @param {{ files?: string[] }} [options]
 * @returns {Promise<{ passed: number, failed: number }>}
 */
export async function runE2eTests({ files = e2eTestFiles() } = {}) {
  process.chdir(root); // the tests find the repository (package.json, dist/, fixtures) from the cwd
  try {
    process.env.CHROME_PATH = findChrome();
  } catch (error) {
    console.error(`run-e2e-tests: ${error instanceof ChromeNotFoundError ? error.message : error}`);
    return { passed: 0, failed: 1 };
  }
  if (!existsSync('dist/weir-worker.js')) {
    console.error('run-e2e-tests: dist/ is not built; run `npm run build` first (npm test does)');
    return { passed: 0, failed: 1 };
  }

  // Same compilation as the Node phase: bare packages (esbuild, playwright-core, node:*) stay imports.
  rmSync(OUT, { recursive: true, force: true });
  const compiled = await Promise.all(files.map((source) =>
    build({
      entryPoints: [source], outdir: OUT, outbase: 'test/e2e', bundle: true, packages: 'external',
      format: 'esm', platform: 'node', target: 'node20', sourcemap: 'inline', logLevel: 'error',
    }).then(() => resolve(OUT, source.replace(/^test\/e2e\//, '').replace(/\.ts$/, '.js')), () => null)));
  const runnable = compiled.filter(Boolean);
  let failed = compiled.length - runnable.length;
  let passed = 0;
  if (runnable.length === 0) return { passed, failed };

  const stream = run({ files: runnable, concurrency: 1, timeout: TIMEOUT_MS });
  const counted = await countTestRun(stream);
  return { passed: counted.passed, failed: failed + counted.failed };
}

if (process.argv[1] && existsSync(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const { passed, failed } = await runE2eTests(args.length > 0 ? { files: args } : {});
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
