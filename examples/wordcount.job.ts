// A job module: no side effects, it only describes the graph (the unit that ships to workers).
import { job, sinks, sources } from 'weir';

const WORDS = ['weir', 'river', 'barrier', 'stream', 'flow', 'dam', 'level', 'water', 'lock', 'sluice'];

export default job('wordcount', (env) => {
  env
    .fromSource(sources.sequence({ from: 0, to: 2_000_000, ratePerSecond: 500_000 }), { uid: 'numbers' })
    .map((n) => ({ word: WORDS[(n * 7919) % WORDS.length]!, count: 1 }))
    .uid('to-words')
    .keyBy((r) => r.word)
    .sum('count')
    .uid('counts')
    .sinkTo(sinks.table('counts', { key: 'word' }), { uid: 'counts-table' });
});
