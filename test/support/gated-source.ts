import { sinks, type Source, type SourceSplit, type StreamEnvironment } from 'weir';

// A replayable source of the integers 0..total-1 that emits only below `gate.allowed`: a test
// moves the gate and so decides how far the job can have read when it injects a fault, without
// sleeps or rates. Strided splits, like sources.sequence, so its checkpointed positions restore
// at any parallelism. In-process only (the gate is this realm's object). Browser-safe.

export interface Gate {
  allowed: number;
  /** Records emitted so far, over every reader and attempt (a test waits for the source to reach the gate). */
  emitted?: number;
}

interface Split extends SourceSplit {
  readonly next: number;
  readonly step: number;
  readonly end: number;
}

export function gatedSequence(total: number, gate: Gate): Source<number> {
  return {
    kind: 'weir.source',
    name: `gated(0..${total})`,
    bounded: true,
    createSplits: (parallelism) => Array.from({ length: parallelism }, (_, i): Split => ({ next: i, step: parallelism, end: total })),
    createReader: (splits, ctx) => {
      const own = (splits as Split[]).map((s) => ({ ...s })).filter((s) => s.next < s.end);
      return {
        poll(max, emit) {
          let n = 0;
          for (const s of own) {
            while (n < max && s.next < s.end && s.next < gate.allowed) {
              emit(s.next);
              s.next += s.step;
              n++;
            }
          }
          gate.emitted = (gate.emitted ?? 0) + n;
          if (own.every((s) => s.next >= s.end)) return { kind: 'end' };
          return n > 0 ? { kind: 'more' } : { kind: 'wait', untilMs: ctx.now() + 1 };
        },
        snapshotSplits: () => own.map((s) => ({ ...s })),
      };
    },
  };
}

export interface Running {
  key: number;
  count: number;
  sum: number;
}

/** The counting pipeline of counting-pipeline.ts over a gated source: 'seen' (append) and 'running' (a keyed running sum, append). */
export function buildGatedPipeline(env: StreamEnvironment, total: number, keys: number, gate: Gate): void {
  const numbers = env.fromSource(gatedSequence(total, gate), { uid: 'numbers' });
  numbers.sinkTo(sinks.table('seen'), { uid: 'seen' });
  numbers
    .map((n): Running => ({ key: n % keys, count: 1, sum: n }))
    .uid('to-running')
    .keyBy((r) => r.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count, sum: a.sum + b.sum }))
    .uid('running-sum')
    .sinkTo(sinks.table('running'), { uid: 'running' });
}
