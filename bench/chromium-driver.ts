// What the Chromium benches share on the Node side (workers-chromium, nexmark, checkpoint-idb):
// a static server for the bundled page, the page bundle, the launch options, and the
// renderer processes' CPU time through CDP. Prints nothing; asserts nothing.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import type { CDPSession, Page } from 'playwright-core';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-background-timer-throttling', '--disable-renderer-backgrounding'];

const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' };

export const PAGE_HTML = '<!doctype html>\n<html><head><meta charset="utf-8"><title>loading</title><link rel="icon" href="data:,"></head>\n<body><script type="module" src="./app.js"></script></body></html>\n';

/** Serves `dir` on 127.0.0.1; under /iso/ the same files, cross-origin isolated (COOP + COEP). */
export async function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const base = resolve(dir);
  const server = createServer((req, res) => {
    void (async () => {
      let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const isolated = path.startsWith('/iso/');
      if (isolated) path = path.slice('/iso'.length);
      if (path.endsWith('/')) path += 'index.html';
      const file = resolve(base, `.${path}`);
      const type = MIME[extname(file)];
      if (type !== undefined && file.startsWith(base + sep)) {
        try {
          const body = await readFile(file);
          res.writeHead(200, {
            'content-type': type,
            'cache-control': 'no-store',
            ...(isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {}),
          });
          res.end(body);
          return;
        } catch {
          // 404 below
        }
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

interface ProcessInfo {
  type: string;
  id: number;
  cpuTime: number;
}

/** CPU seconds per renderer process, from the browser's CDP session. */
async function renderers(cdp: CDPSession): Promise<ProcessInfo[]> {
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: ProcessInfo[] };
  return processInfo.filter((p) => p.type === 'renderer');
}

export function rssOf(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Exposes `__benchCpuMs()` (the renderers' CPU time, ms: the page's, with its workers, does nearly
 * all of it) and `__benchRss()` (the page's renderer's resident set) to the page, before it loads.
 * The page's renderer is the one whose CPU time grew the most since the last look (another,
 * Chromium's own WebUI, is busy only at start-up). Returns false when CDP cannot tell CPU time.
 */
export async function exposeRendererCpu(page: Page, cdp: CDPSession): Promise<{ available: boolean; pagePid(): number | undefined }> {
  try {
    await renderers(cdp);
  } catch {
    return { available: false, pagePid: () => undefined };
  }
  let pagePid: number | undefined;
  let lastCpu = new Map<number, number>();
  const look = async (): Promise<ProcessInfo[]> => {
    const list = await renderers(cdp);
    let most = -1;
    for (const p of list) {
      const grew = p.cpuTime - (lastCpu.get(p.id) ?? 0);
      if (grew > most) {
        most = grew;
        pagePid = p.id;
      }
    }
    lastCpu = new Map(list.map((p) => [p.id, p.cpuTime]));
    return list;
  };
  await page.exposeFunction('__benchCpuMs', async () => (await look()).reduce((s, p) => s + p.cpuTime, 0) * 1000);
  await page.exposeFunction('__benchRss', async () => {
    await look();
    return pagePid === undefined ? undefined : rssOf(pagePid);
  });
  return { available: true, pagePid: () => pagePid };
}

/**
 * Resolves `weir` and `weir/*` from `snapshot` (a folder holding node_modules/weir: scripts/bench.mjs's
 * copy of the built package, which someone's `npm test` cannot rebuild under a running bench), with
 * the browser condition; undefined: from the repository itself.
 */
export function weirFrom(snapshot: string | undefined): Plugin {
  return {
    name: 'weir-snapshot',
    setup(b) {
      b.onResolve({ filter: /^weir(\/.*)?$/ }, async (args) => {
        if (snapshot === undefined || args.pluginData === 'snapshot') return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: snapshot, pluginData: 'snapshot' });
        return r.errors.length > 0 ? { errors: r.errors } : { path: r.path };
      });
    },
  };
}

/**
 * Bundles a bench page as a consumer app would be bundled (ESM, code splitting, browser platform)
 * into `outDir` with PAGE_HTML as its index.html. `entries` name the app (out: 'app'), the job
 * module, `weir/worker` and any raw baseline worker; `weir` resolves through `plugin`.
 */
export async function bundlePage(root: string, outDir: string, entries: { in: string; out: string }[], plugin: Plugin): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: entries,
    bundle: true,
    format: 'esm',
    splitting: true,
    platform: 'browser',
    target: 'es2022',
    outdir: outDir,
    // tsconfig.json maps 'weir' to src/ for type-checking; the page must use the built package.
    tsconfigRaw: '{}',
    plugins: [plugin],
    logLevel: 'error',
  });
  writeFileSync(join(outDir, 'index.html'), PAGE_HTML);
}
