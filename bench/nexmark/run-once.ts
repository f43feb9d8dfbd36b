// One measured Nexmark run, the same in Node and in the Chromium page: run the job (in this thread,
// or in workers from the job module), time it from deployed to done, read its digest back.
import { run, type RunOptions } from 'weir';
import type { BenchClock, Sample } from '../workers-shared.js';
import { buildNexmarkJob, nexmarkJobUrl, readDigest, type Digest, type NexmarkParams } from './queries.js';

export interface NexmarkRunSpec extends NexmarkParams {
  /** The job module (run in workers); undefined: the same job as a definition, in this thread. */
  readonly jobModule: string | undefined;
  readonly parallelism: number;
  readonly intervalMs: number | undefined;
}

export interface NexmarkSample extends Sample {
  readonly digest?: Digest;
}

export async function runNexmarkOnce(spec: NexmarkRunSpec, clock: BenchClock): Promise<NexmarkSample> {
  const options: RunOptions = {
    parallelism: spec.parallelism,
    checkpointing: spec.intervalMs === undefined ? false : { intervalMs: spec.intervalMs, mode: 'exactly-once' },
    resume: 'none',
  };
  const called = clock.now();
  const handle = await run(spec.jobModule === undefined ? buildNexmarkJob(spec) : nexmarkJobUrl(new URL(spec.jobModule), spec), options);
  const started = clock.now();
  const cpu0 = await clock.cpuMs?.();
  clock.mark?.('start');
  let error: string | undefined;
  try {
    await handle.done;
  } catch (e) {
    error = `the job failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  const ended = clock.now();
  clock.mark?.('end');
  const cpu1 = await clock.cpuMs?.();
  const stats = handle.checkpoints();
  const completed = stats.filter((c) => c.status === 'completed');
  let digest: Digest | undefined;
  try {
    digest = await readDigest(spec.name);
  } catch (e) {
    error ??= `readTable failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  return {
    records: spec.events,
    ms: ended - started,
    startupMs: started - called,
    ...(cpu0 !== undefined && cpu1 !== undefined ? { cpuMs: cpu1 - cpu0 } : {}),
    checkpoints: completed.length,
    finalCheckpoints: completed.filter((c) => c.final).length,
    checkpointMs: completed.map((c) => c.durationMs ?? NaN),
    failedCheckpoints: stats.filter((c) => c.status === 'failed').length,
    ...(digest !== undefined ? { digest } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}
