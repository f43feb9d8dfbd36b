// A live feed: an endless stream of readings at RATE per second (change it: the job resumes from its
// latest checkpoint at the new rate), a running total per key upserted into 'totals', and each
// reading's number appended to 'readings' — which the playground checks for duplicates.
import { job, sources, sinks } from 'weir';
import { failPoint } from 'playground';

const NAME = 'live-feed'; // @setting job name
const RATE = 200; // @setting readings per second
const KEYS = 8;

export default job(NAME, (env) => {
  env.enableCheckpointing(1000);
  const readings = env.fromSource(sources.sequence({ from: 0, ratePerSecond: RATE }), { uid: 'feed', name: 'feed' });
  readings.sinkTo(sinks.table('readings'), { uid: 'readings', name: 'readings' });
  readings
    .map((n) => {
      failPoint('to reading');
      return { key: `sensor-${n % KEYS}`, total: (n * 37) % 101 };
    })
    .uid('to-reading')
    .name('to reading')
    .keyBy((r) => r.key)
    .sum('total')
    .uid('running-total')
    .name('running total')
    .sinkTo(sinks.table('totals', { key: 'key' }), { uid: 'totals', name: 'totals' });
});

export const check = { table: 'readings' };
