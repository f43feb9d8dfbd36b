// Runs the workerd suites (test/workerd/*.test.ts): node:test files that bundle a Cloudflare Worker
// with the `workerd` condition and run it in workerd through Miniflare (TOOLCHAIN.md §4).
// Usage: node scripts/run-workerd-tests.mjs [test file ...]   (exits 0 when all passed)
// scripts/test.mjs imports runWorkerdTests() and adds the counts to its own. dist/ must be built first.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { run } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { countTestRun } from './test-counter.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = '.test-build/workerd';
const TIMEOUT_MS = 2 * 60_000; // per file; the phase takes a few seconds

/** Every workerd test file, sorted. */
export function workerdTestFiles() {
  return (existsSync(join(root, 'test/workerd')) ? readdirSync(join(root, 'test/workerd'), { recursive: true }) : [])
    .map((f) => join('test/workerd', f).replaceAll('\\', '/'))
    .filter((f) => f.endsWith('.test.ts') && !f.startsWith('test/workerd/fixtures/'))
    .sort();
}

/**
 * The workerd binary, from the `workerd` package (a dependency of miniflare) and its platform
 * package; throws with what to do when either is missing or does not start.
 */
export function findWorkerd() {
  let binary;
  try {
    binary = createRequire(join(root, 'package.json'))('workerd').default;
  } catch (error) {
    throw new Error(`workerd is not installed (${error.message.trim().split('\n')[0]}). It comes from the devDependency miniflare and its optional dependency @cloudflare/workerd-<platform>: run \`npm ci\` (without --omit=optional)`);
  }
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`${binary} --version failed: ${version.error?.message ?? version.stderr}`);
  return { binary, version: version.stdout.trim() };
}

/**
 * Compiles and runs `files` (default: all) with node:test. Never throws: a missing workerd, a file
 * that does not compile, or a run that cannot start counts as a failure.
 * @param {{ files?: string[] }} [options]
 * @returns {Promise<{ passed: number, failed: number }>}
 */
export async function runWorkerdTests({ files = workerdTestFiles() } = {}) {
  process.chdir(root); // the tests bundle test/workerd/fixtures from the cwd
  try {
    console.log(`${findWorkerd().version} (miniflare ${createRequire(join(root, 'package.json'))('miniflare/package.json').version})`);
  } catch (error) {
    console.error(`run-workerd-tests: ${error.message}`);
    return { passed: 0, failed: 1 };
  }
  if (!existsSync('dist/workerd.js')) {
    console.error('run-workerd-tests: dist/ is not built; run `npm run build` first (npm test does)');
    return { passed: 0, failed: 1 };
  }

  rmSync(OUT, { recursive: true, force: true });
  const compiled = await Promise.all(files.map((source) =>
    build({
      entryPoints: [source], outdir: OUT, outbase: 'test/workerd', bundle: true, packages: 'external',
      format: 'esm', platform: 'node', target: 'node20', sourcemap: 'inline', logLevel: 'error',
    }).then(() => resolve(OUT, source.replace(/^test\/workerd\//, '').replace(/\.ts$/, '.js')), () => null)));
  const runnable = compiled.filter(Boolean);
  const failed = compiled.length - runnable.length;
  if (runnable.length === 0) return { passed: 0, failed };

  const counted = await countTestRun(run({ files: runnable, concurrency: 1, timeout: TIMEOUT_MS }));
  return { passed: counted.passed, failed: failed + counted.failed };
}

if (process.argv[1] && existsSync(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const { passed, failed } = await runWorkerdTests(args.length > 0 ? { files: args } : {});
  console.log(`workerd: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
