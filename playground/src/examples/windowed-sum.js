// The 5-second windowed sum: strings → parse ints → keyBy → 5 s tumbling event-time windows → sum →
// table. Each event is the line "<sensor> <value>", stamped with event time n × 100 ms, so event time
// runs 100 times faster than the wall clock at 1000 events/s and a window closes every 50 ms or so.
import { job, sources, sinks, windows, WatermarkStrategy } from 'weir';
import { failPoint } from 'playground';

const NAME = 'windowed-sum'; // @setting job name
const EVENTS = 20000; // @setting events
const RATE = 1000; // @setting events per second
const SENSORS = 4;
const STEP_MS = 100; // event time between two events
const WINDOW_MS = 5000;

export default job(NAME, (env) => {
  env.enableCheckpointing(500);
  env
    .fromSource(sources.sequence({ from: 0, to: EVENTS, ratePerSecond: RATE }), {
      uid: 'events',
      name: 'events',
      watermarks: WatermarkStrategy.forMonotonousTimestamps().withTimestampAssigner((n) => n * STEP_MS),
    })
    .map((n) => `s${n % SENSORS} ${n % 100}`)
    .uid('as-text')
    .name('as text')
    .map((line) => {
      failPoint('parse');
      const [sensor, value] = line.split(' ');
      return { sensor, value: Number.parseInt(value, 10) };
    })
    .uid('parse')
    .name('parse')
    .keyBy((r) => r.sensor)
    .window(windows.tumbling({ sizeMs: WINDOW_MS }))
    .process((sensor, elements, ctx) => {
      let sum = 0;
      for (const r of elements) sum += r.value;
      ctx.emit({ sensor, start: ctx.window.start, end: ctx.window.end, sum, events: elements.length });
    })
    .uid('sum')
    .name('5 s sum')
    .sinkTo(sinks.table('sums'), { uid: 'sums', name: 'sums' });
});

// One row per sensor and window, each once; at the end every window's sum is the exact one.
const windowsOf = Math.ceil((EVENTS * STEP_MS) / WINDOW_MS);
export const check = {
  table: 'sums',
  id: (r) => `${r.sensor}@${r.start}`,
  expectedRows: SENSORS * windowsOf,
  verify({ sums }) {
    for (const r of sums) {
      let sum = 0;
      for (let n = r.start / STEP_MS; n < Math.min(EVENTS, r.end / STEP_MS); n++) if (`s${n % SENSORS}` === r.sensor) sum += n % 100;
      if (sum !== r.sum) return `window ${r.sensor}@${r.start}: sum ${r.sum}, expected ${sum}`;
    }
    return null;
  },
};
