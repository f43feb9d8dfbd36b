import { sinks, sources, type StreamEnvironment } from 'weir';
import type { Running } from './counting-pipeline.js';
import { holdUntilCheckpoints, type Hold } from './held-source.js';

// The counting pipeline (counting-pipeline.ts: 'seen' and 'running', checked by checkExactlyOnce)
// with a keyed reduce that busy-waits `busyUs` a record and a flatMap that makes three records of
// each one before it: the reduce's input channels stay full, so every checkpoint's barrier meets
// records in flight — the channel state of an unaligned checkpoint. Browser-safe.

export interface SlowCountingOptions {
  /** Numbers read; the job counts 3 × records (n → 3n, 3n+1, 3n+2). */
  readonly records: number;
  readonly keys: number;
  readonly busyUs: number;
  readonly hold?: Hold;
}

function busyWait(micros: number): void {
  const end = performance.now() + micros / 1000;
  while (performance.now() < end);
}

export function buildSlowCounting(env: StreamEnvironment, o: SlowCountingOptions): void {
  const source = sources.sequence({ from: 0, to: o.records });
  const numbers = env
    .fromSource(o.hold === undefined ? source : holdUntilCheckpoints(source, o.hold), { uid: 'numbers' })
    .flatMap((n: number) => [3 * n, 3 * n + 1, 3 * n + 2])
    .uid('triple');
  numbers.sinkTo(sinks.table('seen'), { uid: 'seen' });
  numbers
    .map((n): Running => ({ key: n % o.keys, count: 1, sum: n }))
    .uid('to-running')
    .keyBy((r) => r.key)
    .reduce((a, b) => {
      busyWait(o.busyUs);
      return { key: a.key, count: a.count + b.count, sum: a.sum + b.sum };
    })
    .uid('running-sum')
    .sinkTo(sinks.table('running'), { uid: 'running' });
}
