// A source as fast as it can go into a sink that takes ~20 µs a record: backpressure must hold the source back.
// Query: `counters`, the name of a BroadcastChannel on which the test hands out a SharedArrayBuffer
// (the module asks for it at import, in the runner and in every worker): records emitted (counted
// right after the source, in its worker), records received by the sink, and the most records seen
// in flight between them — counts shared by every thread, read without any heartbeat's lag.
import { job, sources, type Sink } from 'weir';

export const EMITTED = 0;
export const RECEIVED = 1;
export const MAX_IN_FLIGHT = 2;
export const RECORDS = 150_000;

const params = new URL(import.meta.url).searchParams;
const channel = params.get('counters');
const counters: Int32Array | undefined = channel === null ? undefined : await new Promise<Int32Array>((resolve) => {
  const bc = new BroadcastChannel(channel);
  bc.onmessage = (e: MessageEvent<unknown>) => {
    if (!(e.data instanceof SharedArrayBuffer)) return;
    bc.close();
    resolve(new Int32Array(e.data));
  };
  bc.postMessage('counters?');
});

const slow: Sink<number> = {
  kind: 'weir.sink',
  name: 'slow',
  guarantee: 'at-least-once',
  createWriter: () => ({
    write() {
      if (counters !== undefined) {
        Atomics.add(counters, RECEIVED, 1);
        // Emitted first, then received: never more than were in flight when `emitted` was read.
        const inFlight = Atomics.load(counters, EMITTED) - Atomics.load(counters, RECEIVED);
        for (let max = Atomics.load(counters, MAX_IN_FLIGHT); inFlight > max;) {
          const seen = Atomics.compareExchange(counters, MAX_IN_FLIGHT, max, inFlight);
          if (seen === max) break;
          max = seen;
        }
      }
      const end = performance.now() + 0.02;
      while (performance.now() < end);
    },
    prepareCommit: () => undefined,
    commit: async () => {},
  }),
};

export default job('slow-sink', (env) => {
  env
    .fromSource(sources.sequence({ from: 0, to: RECORDS }), { uid: 'numbers' })
    .map((n) => {
      if (counters !== undefined) Atomics.add(counters, EMITTED, 1);
      return n;
    })
    .uid('count-emitted')
    .keyBy((n) => n % 10)
    .sinkTo(slow, { uid: 'slow' });
});
