// Helpers for the consumer-app end-to-end tests: a consumer project made from the packed package,
// a static file server, a Vite dev server, and one page opened in Chromium (playwright-core).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { staticFiles } from '../../scripts/static-files.mjs';

/** The repository root: `npm test` (scripts/test.mjs, scripts/run-e2e-tests.mjs) runs from it. */
export function repoRoot(): string {
  const root = process.cwd();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string };
  if (pkg.name !== 'weir') throw new Error(`run the e2e tests from the weir repository root (cwd is ${root})`);
  return root;
}

function sh(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** `npm pack` of the repository (dist/ must be built) into `dir`; returns the tarball's path. */
export function packRepo(root: string, dir: string): string {
  if (!existsSync(join(root, 'dist/weir-worker.js')) || !existsSync(join(root, 'dist/browser.js'))) {
    throw new Error('dist/ is not built: run `npm run build` first (npm test does)');
  }
  const out = sh('npm', ['pack', '--json', '--silent', '--pack-destination', dir], root);
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return join(dir, info!.filename);
}

/**
 * A consumer project in `dir`: the fixture app (test/e2e/fixtures/consumer-app), `weir` extracted from
 * the tarball into node_modules/weir, and its dependencies copied from the repository's node_modules
 * (no registry access).
 */
export function makeConsumerApp(root: string, tarball: string, dir: string): string {
  cpSync(join(root, 'test/e2e/fixtures/consumer-app'), dir, { recursive: true });
  const weir = join(dir, 'node_modules/weir');
  mkdirSync(weir, { recursive: true });
  sh('tar', ['-xzf', tarball, '-C', weir, '--strip-components=1'], dir);
  const { version, dependencies = {} } = JSON.parse(readFileSync(join(weir, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string> };
  for (const name of Object.keys(dependencies)) {
    cpSync(join(root, 'node_modules', name), join(dir, 'node_modules', name), { recursive: true });
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    name: 'weir-consumer-app', private: true, type: 'module', dependencies: { weir: version, ...dependencies },
  }, null, 2));
  return dir;
}

/** Serves `dir` on 127.0.0.1 (a free port), as the playground server does. */
export async function serveStatic(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(staticFiles(dir));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

/** Runs the repository's Vite binary in `dir` with `args`; resolves with its output, rejects on failure. */
export function viteBuild(root: string, dir: string): string {
  return sh(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], dir);
}

export interface RunningServer {
  readonly url: string;
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts a server process and resolves once its output shows its URL (the first group of
 * `urlPattern`, matched with ANSI colours stripped); rejects with the output if it exits first
 * or stays silent for `timeoutMs`.
 */
export async function startServer(
  what: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; urlPattern: RegExp; timeoutMs: number },
): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: options.cwd, env: { ...process.env, ...options.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} printed no URL in ${options.timeoutMs / 1000} s:\n${output}`)), options.timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // eslint-disable-next-line no-control-regex
      const match = options.urlPattern.exec(output.replace(/\x1b\[[0-9;]*m/g, ''));
      if (match) {
        clearTimeout(timer);
        ok(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${what} exited (${code ?? signal}) before printing its URL:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `vite` (the dev server) in `dir`, on 127.0.0.1 and a free port; resolves once it prints its URL. */
export function viteDev(root: string, dir: string): Promise<RunningServer> {
  return startServer('the Vite dev server', [join(root, 'node_modules/vite/bin/vite.js'), '--host', '127.0.0.1', '--port', '0'], {
    cwd: dir, urlPattern: /Local:\s+(http:\/\/127\.0\.0\.1:\d+\/)/, timeoutMs: 30_000,
  });
}

export interface PageRun {
  title: string;
  /** The text of #result: the app's JSON report, or the error. */
  result: string;
  /** Module workers the page started (Playwright 'worker' events), by script URL. */
  workers: string[];
  /** Console errors, page errors and HTTP responses ≥ 400, except the favicon's 404. */
  problems: string[];
  /** Every HTTP response ≥ 400, favicon included. */
  failedResponses: string[];
  ms: number;
}

/**
 * Opens `url` in a fresh context (fresh IndexedDB), waits until the app sets its title to 'done' or
 * 'error' (or `timeoutMs` passes), saves a screenshot, and reports what happened.
 */
export async function openApp(browser: Browser, url: string, screenshot: string, timeoutMs = 60_000): Promise<PageRun> {
  const started = Date.now();
  const context = await browser.newContext();
  try {
    const page: Page = await context.newPage();
    const workers: string[] = [];
    const problems: string[] = [];
    const failedResponses: string[] = [];
    const isFavicon = (u: string) => new URL(u).pathname === '/favicon.ico';
    page.on('worker', (w) => workers.push(w.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !isFavicon(m.location().url || url)) problems.push(`console error: ${m.text()} (${m.location().url})`);
    });
    page.on('response', (r) => {
      if (r.status() < 400) return;
      failedResponses.push(`${r.status()} ${r.url()}`);
      if (!isFavicon(r.url())) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    await page.goto(url);
    const finished = await page
      .waitForFunction(() => document.title === 'done' || document.title === 'error', undefined, { timeout: timeoutMs })
      .then(() => true, () => false);
    const title = finished ? await page.title() : `timeout after ${timeoutMs} ms (title '${await page.title()}')`;
    const result = (await page.textContent('#result')) ?? '';
    mkdirSync(join(screenshot, '..'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    return { title, result, workers, problems, failedResponses, ms: Date.now() - started };
  } finally {
    await context.close();
  }
}
