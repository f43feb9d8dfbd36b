// Bundles a test Worker as a consumer's bundler would (the `workerd` condition: 'weir' is
// dist/workerd.js, 'weir/cloudflare' dist/cloudflare.js) and starts it in Miniflare's workerd.
import { build } from 'esbuild';
import { Miniflare, type MiniflareOptions } from 'miniflare';

/** The Worker as one ES module. */
export async function bundleWorker(entry: string, define: Record<string, string> = {}): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [entry],
    bundle: true, write: false, metafile: true, format: 'esm', target: 'es2022', logLevel: 'error',
    platform: 'neutral', mainFields: ['module', 'main'], // comlink has only "module"/"main"
    conditions: ['workerd'], // what wrangler passes
    external: ['cloudflare:*'],
    // tsconfig.json maps 'weir' to src/ for type-checking; a consumer's bundle resolves the package.
    tsconfigRaw: {},
    define,
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

export const COMPATIBILITY_DATE = '2026-04-01'; // ≥ 2025-08-15 has MessageChannel; this workerd knows up to 2026-05-03

/** Miniflare running `code`; an explicit module list, as Miniflare would refuse the bundle's dynamic import(). */
export function startWorker(code: string, options: Record<string, unknown> = {}): Miniflare {
  return new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: code }],
    compatibilityDate: COMPATIBILITY_DATE,
    ...options,
  } as unknown as MiniflareOptions);
}

/** GET or POST through the Worker's fetch handler (never Miniflare's Node-side object proxy: EDGE.md). */
export async function call(mf: Miniflare, path: string, init?: { method?: string; body?: string; headers?: Record<string, string> }): Promise<{ status: number; text: string; json<T>(): T }> {
  const response = await mf.dispatchFetch(`http://localhost${path}`, init);
  const text = await response.text();
  return { status: response.status, text, json: <T>() => JSON.parse(text) as T };
}
