// A live feed from the server: the job reads the playground server's Server-Sent Events stream
// (GET /feed/events, served by `npm start`) with sources.sse. Its checkpoint holds the id of the
// last event it read; after a reload or a killed worker it reconnects with Last-Event-ID and the
// server resumes right after it, so every event counts once. A running total per sensor, shown
// live as it commits (watchTable); each event also goes to 'readings' (a duplicate would show).
import { job, sources, sinks, watchTable } from 'weir';
import { failPoint } from 'playground';

const NAME = 'sse-feed'; // @setting job name
const RATE = 100; // @setting events per second
const EVENTS = 1000000; // @setting events in the feed

// The page's origin: the same in the page and in every worker (each builds the same graph).
const FEED = `${self.location.origin}/feed/events?rate=${RATE}&count=${EVENTS}`;

export default job(NAME, (env) => {
  env.enableCheckpointing(300);
  const readings = env
    .fromSource(sources.sse(FEED, { format: 'json', reconnect: { initialDelayMs: 100, maxDelayMs: 2000 } }), { uid: 'feed', name: 'feed' })
    .map((event) => event.data)
    .uid('event-data')
    .name('event data');
  readings.sinkTo(sinks.table('readings'), { uid: 'readings', name: 'readings' });
  readings
    .map((r) => {
      failPoint('to total');
      return { sensor: r.sensor, total: r.value, readings: 1 };
    })
    .uid('to-total')
    .name('to total')
    .keyBy((r) => r.sensor)
    .reduce((a, b) => ({ sensor: a.sensor, total: a.total + b.total, readings: a.readings + b.readings }))
    .uid('running-total')
    .name('running total')
    .sinkTo(sinks.table('totals', { key: 'sensor' }), { uid: 'totals', name: 'totals' });
});

// The page's part: the committed totals, drawn as they commit. Returns a stop function.
export function page(panel) {
  const status = document.createElement('p');
  status.className = 'muted';
  status.textContent = `reading ${FEED}`;
  const totals = document.createElement('pre');
  totals.className = 'preview';
  panel.append(status, totals);
  return watchTable(NAME, 'totals', ({ rows }) => {
    totals.textContent = rows.map((r) => `${r.sensor}: ${r.readings} events, total ${r.total}`).join('\n');
    panel.dataset.committed = String(rows.reduce((n, r) => n + r.readings, 0));
  });
}

// Every event once in 'readings' (its number n is the event id); 'totals' agrees with them.
export const check = {
  table: 'readings',
  id: (r) => r.n,
  tables: ['totals'],
  verify({ readings, totals }) {
    const want = new Map();
    for (const r of readings) {
      const t = want.get(r.sensor) ?? { total: 0, readings: 0 };
      want.set(r.sensor, { total: t.total + r.value, readings: t.readings + 1 });
    }
    for (const row of totals) {
      const w = want.get(row.sensor);
      if (!w || w.total !== row.total || w.readings !== row.readings) return `totals[${row.sensor}] = ${row.readings}/${row.total}, the committed readings say ${w ? `${w.readings}/${w.total}` : 'none'}`;
    }
    return totals.length === want.size ? null : `totals has ${totals.length} sensors, the readings ${want.size}`;
  },
};
