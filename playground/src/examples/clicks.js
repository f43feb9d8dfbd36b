// Clicks: the page captures its own clicks into an input log (openLog, durable in IndexedDB before
// append resolves), the job reads the log (sources.log) from the offsets its checkpoint recorded, and
// the page shows the committed count per area live (watchTable). Each click goes to 'clicks' (so a
// duplicate would show) and a running count per area into 'per-area'. Click, reload the tab, kill a
// worker: every click counts once.
import { job, openLog, sources, sinks, watchTable } from 'weir';
import { failPoint } from 'playground';

const NAME = 'clicks'; // @setting job name
const LOG = 'playground-clicks'; // @setting input log
const AREAS = ['north-west', 'north', 'north-east', 'west', 'centre', 'east', 'south-west', 'south', 'south-east'];

export default job(NAME, (env) => {
  env.enableCheckpointing(300);
  const clicks = env.fromSource(sources.log(LOG), { uid: 'clicks', name: 'clicks' });
  clicks.sinkTo(sinks.table('clicks'), { uid: 'clicks-seen', name: 'clicks seen' });
  clicks
    .map((c) => {
      failPoint('to count');
      return { area: c.area, count: 1 };
    })
    .uid('to-count')
    .name('to count')
    .keyBy((c) => c.area)
    .sum('count')
    .uid('per-area-count')
    .name('count per area')
    .sinkTo(sinks.table('per-area', { key: 'area' }), { uid: 'per-area', name: 'per area' });
});

// The page's part (the playground calls it in the page, never in the workers): a grid of areas to
// click, each click appended to the log; the committed counts drawn as they commit. Returns a stop function.
export function page(panel) {
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`; // ids unique across reloads
  let clicked = 0;
  let appended = 0;
  let closed = false;
  const grid = document.createElement('div');
  grid.style.cssText = 'display:grid;grid-template-columns:repeat(3,1fr);gap:4px;max-width:420px;user-select:none';
  const cells = new Map();
  for (const area of AREAS) {
    const cell = document.createElement('div');
    cell.dataset.area = area;
    cell.style.cssText = 'border:1px solid #d0d7de;border-radius:6px;padding:14px 6px;text-align:center;cursor:pointer;background:#f6f8fa';
    cell.textContent = `${area}: 0`;
    cells.set(area, cell);
    grid.append(cell);
  }
  const status = document.createElement('p');
  status.className = 'muted';
  panel.append(grid, status);
  const show = () => {
    panel.dataset.appended = String(appended);
    status.textContent = `click the areas: ${clicked} clicked here, ${appended} durable in the log '${LOG}'`;
  };
  show();

  const opened = openLog(LOG);
  grid.addEventListener('pointerdown', (e) => {
    const area = e.target instanceof HTMLElement ? e.target.dataset.area : undefined;
    if (!area || closed) return;
    const click = { id: `${run}-${clicked++}`, area, at: Date.now() };
    show();
    opened
      .then((log) => log.append(click))
      .then(() => {
        appended++;
        show();
      })
      .catch((error) => (status.textContent = `append failed: ${error.message}`));
  });
  const unwatch = watchTable(NAME, 'per-area', ({ rows }) => {
    for (const row of rows) {
      const cell = cells.get(row.area);
      if (cell) cell.textContent = `${row.area}: ${row.count}`;
    }
    panel.dataset.committed = String(rows.reduce((n, r) => n + r.count, 0));
  });
  return () => {
    closed = true;
    unwatch();
    void opened.then((log) => log.close());
  };
}

// Every click once in 'clicks'; 'per-area' agrees with the committed clicks.
export const check = {
  table: 'clicks',
  id: (c) => c.id,
  tables: ['per-area'],
  verify({ clicks, 'per-area': perArea }) {
    const want = new Map();
    for (const c of clicks) want.set(c.area, (want.get(c.area) ?? 0) + 1);
    for (const row of perArea) if (want.get(row.area) !== row.count) return `per-area[${row.area}] = ${row.count}, the committed clicks say ${want.get(row.area) ?? 0}`;
    return perArea.length === want.size ? null : `per-area has ${perArea.length} areas, the clicks ${want.size}`;
  },
};
