// Runs the browser suites (test/browser/**/*.test.ts) with Web Test Runner in headless Chromium
// (web-test-runner.config.mjs, TOOLCHAIN.md §1) and reads its closing `wtr: N passed, N failed` line.
// Usage: node scripts/run-browser-tests.mjs [test file ...]   (exits with WTR's exit code)
// scripts/test.mjs imports runBrowserTests() and adds the counts to its own. dist/ must be built first.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ChromeNotFoundError, findChrome } from './find-chrome.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const WTR_BIN = 'node_modules/@web/test-runner/dist/bin.js';
const COUNT_LINE = /^wtr: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/;
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]/g;
const HARD_TIMEOUT_MS = 10 * 60_000; // beyond WTR's own testsFinishTimeout (5 min)

/**
 * Runs WTR on `files` (default: the config's `files`). Never throws: a run that crashes, times out
 * or prints no count line counts as at least one failure.
 * @param {{ files?: string[] }} [options]
 * @returns {Promise<{ passed: number, failed: number, skipped: number, code: number }>}
 */
export async function runBrowserTests({ files = [] } = {}) {
  const crashed = (why) => {
    console.error(`run-browser-tests: ${why}`);
    return { passed: 0, failed: 1, skipped: 0, code: 1 };
  };
  let chrome;
  try {
    chrome = findChrome(); // installs Debian's chromium when missing, as root with apt-get
  } catch (error) {
    return crashed(error instanceof ChromeNotFoundError ? error.message : String(error));
  }
  const args = [WTR_BIN, '--config', 'web-test-runner.config.mjs', '--static-logging'];
  if (files.length > 0) args.push('--files', ...files);

  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, CI: 'true', CHROME_PATH: chrome },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    output += chunk;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  }, HARD_TIMEOUT_MS);
  const code = await new Promise((resolve) => {
    child.on('error', (error) => resolve(`spawn failed: ${error.message}`));
    child.on('close', (status, signal) => resolve(status ?? `killed by ${signal}`));
  });
  clearTimeout(timer);

  if (typeof code !== 'number') return crashed(`Web Test Runner ${code}`);
  if (timedOut) return crashed(`Web Test Runner was stopped after ${HARD_TIMEOUT_MS / 60_000} minutes`);
  const lines = output.replace(ANSI, '').split(/\r?\n/).map((l) => l.trim());
  const match = lines.reverse().map((l) => COUNT_LINE.exec(l)).find(Boolean);
  if (!match) return crashed(`Web Test Runner exited with ${code} and printed no 'wtr: N passed, N failed' line`);
  const passed = Number(match[1]);
  let failed = Number(match[2]);
  if (code !== 0 && failed === 0) {
    console.error(`run-browser-tests: Web Test Runner exited with ${code} but counted no failure; counting one`);
    failed = 1;
  }
  return { passed, failed, skipped: Number(match[3] ?? 0), code: code !== 0 ? code : failed > 0 ? 1 : 0 };
}

if (process.argv[1] && existsSync(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { code } = await runBrowserTests({ files: process.argv.slice(2) });
  process.exit(code);
}
