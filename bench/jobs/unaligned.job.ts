// The unaligned-checkpoint bench's job, as a job module for worker runs (bench/unaligned.bench.ts):
// sequence → map → rebalance → map → keyBy → a sink that busy-waits `busyUs` a record, so every
// buffer on the way fills and the barriers of an aligned checkpoint queue behind them.
// Query: name, records, busyUs.
import { job, sources, type Sink } from 'weir';

const params = new URL(import.meta.url).searchParams;
export default buildUnalignedBenchJob(params.get('name') ?? 'unaligned-bench', Number(params.get('records') ?? 1e9), Number(params.get('busyUs') ?? 20));

export function buildUnalignedBenchJob(name: string, records: number, busyUs: number) {
  const slow: Sink<{ k: number; v: number }> = {
    kind: 'weir.sink',
    name: 'slow',
    guarantee: 'at-least-once',
    createWriter: () => ({
      write() {
        const end = performance.now() + busyUs / 1000;
        while (performance.now() < end);
      },
      prepareCommit: () => undefined,
      commit: async () => {},
    }),
  };
  return job(name, (env) => {
    env
      .fromSource(sources.sequence({ from: 0, to: records }), { uid: 'numbers' })
      .map((n) => ({ k: n % 64, v: n }))
      .uid('to-pair')
      .rebalance()
      .map((r) => ({ k: r.k, v: r.v + 1 }))
      .uid('bump')
      .keyBy((r) => r.k)
      .sinkTo(slow, { uid: 'slow' });
  });
}
