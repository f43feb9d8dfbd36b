// A source as fast as it can go into a sink that takes ~20 µs a record: backpressure must hold the source back.
import { job, sources, type Sink } from 'weir';

const slow: Sink<number> = {
  kind: 'weir.sink',
  name: 'slow',
  guarantee: 'at-least-once',
  createWriter: () => ({
    write() {
      const end = performance.now() + 0.02;
      while (performance.now() < end);
    },
    prepareCommit: () => undefined,
    commit: async () => {},
  }),
};

export default job('slow-sink', (env) => {
  env.fromSource(sources.sequence({ from: 0, to: 150_000 }), { uid: 'numbers' }).keyBy((n) => n % 10).sinkTo(slow, { uid: 'slow' });
});
