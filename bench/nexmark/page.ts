// The page of the Nexmark benchmark in Chromium (bench/nexmark.bench.ts bundles it with esbuild
// from the built package and drives it with playwright-core). It exposes `window.nexmarkBench`,
// whose `run` the driver calls one run at a time; jobs run in Web Workers from the job module.
// The driver exposes `__benchCpuMs()` (CPU time of the renderer processes, via CDP).
import type { BenchClock } from '../workers-shared.js';
import { runNexmarkOnce, type NexmarkRunSpec, type NexmarkSample } from './run-once.js';

const hooks = globalThis as unknown as { __benchCpuMs?: () => Promise<number> };
const clock: BenchClock = {
  now: () => Date.now(),
  ...(hooks.__benchCpuMs !== undefined ? { cpuMs: () => hooks.__benchCpuMs!() } : {}),
};

export interface NexmarkBenchPage {
  run(spec: Omit<NexmarkRunSpec, 'jobModule'>): Promise<NexmarkSample>;
}

const api: NexmarkBenchPage = {
  run: (spec) => runNexmarkOnce({ ...spec, jobModule: new URL('./nexmark.job.js', import.meta.url).href }, clock),
};
(globalThis as unknown as { nexmarkBench: NexmarkBenchPage }).nexmarkBench = api;
document.title = 'ready';
