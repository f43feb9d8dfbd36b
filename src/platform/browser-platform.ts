import { browserWorkerPlatform } from './browser-workers.js';
import { defaultPlatform } from './default-platform.js';
import type { RuntimePlatform } from './runtime-platform.js';

/** Web Workers; relative job module strings resolve against the page's URL. */
export function browserPlatform(startWorker: () => Worker): RuntimePlatform {
  const base = defaultPlatform('browser', () => (globalThis as { location?: { href: string } }).location?.href);
  return { ...base, workers: (createWorker) => browserWorkerPlatform(() => (createWorker?.() as Worker | undefined) ?? startWorker()) };
}

/** Deno: Web Workers as in a browser; relative job module strings resolve against the working directory. */
export function denoPlatform(startWorker: () => Worker): RuntimePlatform {
  const deno = (globalThis as { Deno?: { cwd(): string } }).Deno;
  const base = defaultPlatform('deno', () => (deno ? `file://${deno.cwd()}/` : undefined));
  return { ...base, workers: (createWorker) => browserWorkerPlatform(() => (createWorker?.() as Worker | undefined) ?? startWorker()) };
}
