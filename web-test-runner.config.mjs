// Web Test Runner: the browser suites (test/browser/**/*.test.ts, mocha globals) in headless Chromium.
// Run through scripts/run-browser-tests.mjs (part of `npm test`); see TOOLCHAIN.md §1.
// Tests and the workers they start import the BUILT package (`weir` → dist/ through the exports map,
// `browser` condition), so dist/ must be built first (scripts/test.mjs does).
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter } from '@web/test-runner';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { findChrome } from './scripts/find-chrome.mjs';

/**
 * The savepoint portability matrix (test/browser/savepoint-matrix.test.ts): the page posts the
 * artifacts it takes (kept for later phases; with WEIR_WRITE_MATRIX=1 also as fixtures) and gets
 * the other runtimes' (this run's, else the committed fixture). Names are checked: no path escapes.
 */
function savepointMatrix(context, next) {
  const match = /^\/__savepoint-matrix\/((?:node|workerd|deno|chromium)-(?:counting|seed)\.json)$/.exec(context.path);
  if (match === null) return next();
  const temp = `.test-build/savepoint-matrix/${match[1]}`;
  const fixture = `test/fixtures/savepoints/matrix/${match[1]}`;
  if (context.method === 'POST') {
    return new Promise((resolve) => {
      const chunks = [];
      context.req.on('data', (c) => chunks.push(c));
      context.req.on('end', () => {
        mkdirSync('.test-build/savepoint-matrix', { recursive: true });
        writeFileSync(temp, Buffer.concat(chunks));
        if (process.env.WEIR_WRITE_MATRIX === '1') writeFileSync(fixture, Buffer.concat(chunks));
        context.status = 204;
        resolve();
      });
    });
  }
  const file = existsSync(temp) ? temp : fixture;
  if (!existsSync(file)) {
    context.status = 404;
    return undefined;
  }
  context.type = 'application/json';
  context.body = readFileSync(file);
  return undefined;
}

/** Adds a plain closing line `wtr: N passed, N failed` (scripts/run-browser-tests.mjs reads it). */
function plainCountReporter() {
  let final = [];
  const count = (suite, c) => {
    for (const t of suite.tests) t.skipped ? c.skipped++ : t.passed ? c.passed++ : c.failed++;
    for (const s of suite.suites) count(s, c);
  };
  return {
    onTestRunFinished({ sessions }) { final = sessions; },
    stop() {
      const c = { passed: 0, failed: 0, skipped: 0 };
      for (const s of final) {
        if (s.testResults) count(s.testResults, c);
        if (!s.passed && (!s.testResults || s.errors?.length)) c.failed++; // the file failed to load, or errored outside a test
      }
      const line = `wtr: ${c.passed} passed, ${c.failed} failed` + (c.skipped ? `, ${c.skipped} skipped` : '');
      process.once('exit', () => process.stdout.write(`\n${line}\n`)); // after WTR's own last line
    },
  };
}

export default {
  rootDir: '.',
  files: 'test/browser/**/*.test.ts',
  // Bare imports (weir, comlink, idb) are rewritten in test files AND in the modules a Worker loads.
  // `weir` resolves to this package itself (self-reference) through its exports map; WTR's default
  // conditions are only ['development'] (→ the `default` entry), so ask for the `browser` one.
  nodeResolve: { browser: true, exportConditions: ['browser', 'development'] },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' })], // also compiles a worker's .ts on request
  reporters: [defaultReporter(), plainCountReporter()],
  middleware: [savepointMatrix],
  concurrency: 1, // 2 cores
  testsFinishTimeout: 5 * 60_000,
  testFramework: { config: { timeout: 60_000 } }, // mocha, per test
  browsers: [chromeLauncher({
    launchOptions: {
      executablePath: process.env.CHROME_PATH || findChrome({ install: false }),
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  })],
};
