// Counting: every number once, checked. Numbers 0..RECORDS-1 go to two sinks: 'seen' appends each
// number (so a duplicate would show), and a running count and sum per key is upserted into 'counts'.
// Kill a worker, make `to count` throw, reload the tab: 'seen' never holds a number twice.
import { job, sources, sinks } from 'weir';
import { failPoint } from 'playground';

const NAME = 'playground-demo'; // @setting job name
const RECORDS = 20000; // @setting numbers to count
const RATE = 1000; // @setting records per second
const KEYS = 10; // @setting keys

export default job(NAME, (env) => {
  env.enableCheckpointing(300);
  const numbers = env.fromSource(sources.sequence({ from: 0, to: RECORDS, ratePerSecond: RATE }), { uid: 'numbers', name: 'numbers' });
  numbers.sinkTo(sinks.table('seen'), { uid: 'seen', name: 'seen' });
  numbers
    .map((n) => {
      failPoint('to count'); // throws once when you press "Throw once"
      return { key: `k${n % KEYS}`, count: 1, sum: n };
    })
    .uid('to-count')
    .name('to count')
    .keyBy((r) => r.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count, sum: a.sum + b.sum }))
    .uid('running-count')
    .name('running count')
    .sinkTo(sinks.table('counts', { key: 'key' }), { uid: 'counts', name: 'counts' });
});

// What the playground checks in the committed output: each number once in 'seen', and 'counts'
// agreeing with 'seen' (and, at the end, with every number counted once).
export const check = {
  table: 'seen',
  expectedRows: RECORDS,
  tables: ['counts'],
  verify({ seen, counts }, final) {
    const want = new Map();
    for (let n = 0; n < (final ? RECORDS : 0); n++) add(want, n);
    const got = new Map();
    for (const n of new Set(seen)) add(got, n);
    const expected = final ? want : got;
    for (const row of counts) {
      const e = expected.get(row.key);
      if (!e || e.count !== row.count || e.sum !== row.sum) return `counts[${row.key}] = ${row.count}/${row.sum}, expected ${e ? `${e.count}/${e.sum}` : 'no row'}`;
    }
    if (counts.length !== expected.size) return `counts has ${counts.length} keys, expected ${expected.size}`;
    return null;
  },
};

function add(map, n) {
  const key = `k${n % KEYS}`;
  const cell = map.get(key) ?? { count: 0, sum: 0 };
  map.set(key, { count: cell.count + 1, sum: cell.sum + n });
}
