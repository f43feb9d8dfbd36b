// The playground's job module. It only describes the graph: the runner and every Web Worker import
// it by URL (the page passes its query string on, see params.ts), so all of them build the same one.
//
//   sequence 0..records-1 (rate-limited) ─┬─→ sinks.table('seen')                  every number, appended
//                                         └─→ map → keyBy → running count and sum → sinks.table('counts', { key })
//
// 'seen' makes duplicates countable: exactly once means each number appears in it once.
import { job, sinks, sources } from 'weir';
import { demoParams, keyOf, type CountRow } from './params.js';

const p = demoParams(new URL(import.meta.url).searchParams);

export default job(p.name, (env) => {
  const numbers = env.fromSource(sources.sequence({ from: 0, to: p.records, ratePerSecond: p.rate }), { uid: 'numbers', name: 'numbers' });
  numbers.sinkTo(sinks.table<number>('seen'), { uid: 'seen', name: 'seen' });
  numbers
    .map((n): CountRow => ({ key: keyOf(n, p.keys), count: 1, sum: n }))
    .uid('to-count')
    .name('to count')
    .keyBy((r) => r.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count, sum: a.sum + b.sum }))
    .uid('running-count')
    .name('running count')
    .sinkTo(sinks.table<CountRow>('counts', { key: 'key' }), { uid: 'counts', name: 'counts' });
});
