// A live feed through an input log: a timer in the page appends readings to the log (openLog: each
// batch durable in IndexedDB before append resolves), the job reads it (sources.log) from the offsets
// its checkpoint recorded and keeps a running total per sensor, shown live as it commits (watchTable).
// Each reading also goes to 'readings' (so a duplicate would show). Kill a worker or reload the tab
// while the feed runs: every reading the log acknowledged counts once.
import { job, openLog, sources, sinks, watchTable } from 'weir';
import { failPoint } from 'playground';

const NAME = 'log-feed'; // @setting job name
const LOG = 'playground-feed'; // @setting input log
const RATE = 100; // @setting readings per second
const KEYS = 4;
const TICK_MS = 100;

export default job(NAME, (env) => {
  env.enableCheckpointing(300);
  const readings = env.fromSource(sources.log(LOG), { uid: 'feed', name: 'feed' });
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

// The page's part (the playground calls it in the page, never in the workers): every TICK_MS one
// append of the readings due, until "Pause"; the committed totals drawn as they commit. Returns a stop function.
export function page(panel) {
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`; // ids unique across reloads
  let sent = 0;
  let appended = 0;
  let paused = false;
  let pending = 0; // appends not yet acknowledged
  let inFlight = Promise.resolve();
  const button = document.createElement('button');
  button.id = 'feed-pause';
  const status = document.createElement('p');
  status.className = 'muted';
  const totals = document.createElement('pre');
  totals.className = 'preview';
  panel.append(button, status, totals);
  const show = () => {
    button.textContent = paused ? 'Resume the feed' : 'Pause the feed';
    panel.dataset.appended = String(appended);
    panel.dataset.paused = String(paused && pending === 0); // "true" once the last append is durable
    status.textContent = `${appended} readings durable in the log '${LOG}' (this page)${paused ? ', paused' : ''}`;
  };
  const opened = openLog(LOG);
  const timer = setInterval(() => {
    if (paused) return;
    const batch = [];
    for (let i = 0; i < Math.max(1, Math.round((RATE * TICK_MS) / 1000)); i++, sent++) {
      batch.push({ id: `${run}-${sent}`, sensor: `sensor-${sent % KEYS}`, value: (sent * 37) % 101 });
    }
    pending++;
    inFlight = inFlight
      .then(() => opened)
      .then((log) => log.append(batch))
      .then(() => {
        appended += batch.length;
      })
      .catch((error) => (status.textContent = `append failed: ${error.message}`))
      .finally(() => {
        pending--;
        show();
      });
  }, TICK_MS);
  button.addEventListener('click', () => {
    paused = !paused;
    show();
  });
  show();
  const unwatch = watchTable(NAME, 'totals', ({ rows }) => {
    totals.textContent = rows.map((r) => `${r.sensor}: ${r.readings} readings, total ${r.total}`).join('\n');
    panel.dataset.committed = String(rows.reduce((n, r) => n + r.readings, 0));
  });
  return () => {
    clearInterval(timer);
    unwatch();
    void inFlight.then(() => opened).then((log) => log.close());
  };
}

// Every reading once in 'readings'; 'totals' agrees with the committed readings.
export const check = {
  table: 'readings',
  id: (r) => r.id,
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
