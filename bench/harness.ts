// Shared helpers for bench/*.bench.ts: timing statistics, a plain-text table, machine facts,
// and the JSON record in bench-results/. Benchmarks print numbers; they never assert them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';

export interface Machine {
  readonly os: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly memoryGB: number;
  readonly node: string;
  readonly v8: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    os: `${osType()} ${release()} (${platform()})`,
    cpu: c[0]?.model.trim() ?? 'unknown',
    cpus: c.length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
  };
}

/** The 1-minute load average: other processes on the machine skew every figure (0 where the OS has none). */
export function loadAverage(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n <= 0) {
    console.error(`${name}=${raw} is not a positive integer; using ${fallback}`);
    return fallback;
  }
  return n;
}

/** Wall time, and this process's CPU time (every thread: less disturbed by other processes, but GC threads add to it). */
export interface Elapsed {
  readonly ms: number;
  readonly cpuMs: number;
}

export function startTimer(): () => Elapsed {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const ms = performance.now() - wall;
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000 };
  };
}

/** Collects garbage between measurements when node runs with --expose-gc. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** 1234567 → "1.23 M". */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '–';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k`;
  return perSecond.toFixed(0);
}

export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(3)}×` : '–';
}

/** A plain table: the first column left-aligned, the others right-aligned. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** Writes `bench-results/<name>-<timestamp>.json` (the folder is gitignored) and returns its path. */
export function saveResults(name: string, data: unknown): string {
  const dir = process.env.WEIR_BENCH_OUT ?? 'bench-results';
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `${name}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
