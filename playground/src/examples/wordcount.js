// Word count: lines of text → words → a running count per word, upserted into 'counts'. Each line's
// number is also appended to 'lines', which the playground checks for duplicates.
import { job, sources, sinks } from 'weir';
import { failPoint } from 'playground';

const NAME = 'wordcount'; // @setting job name
const LINES = 30000; // @setting lines of text
const RATE = 1500; // @setting lines per second

const TEXT = [
  'a weir holds the river back',
  'the barrier flows with the records',
  'every checkpoint is a barrier in the river',
  'records before the barrier belong to the checkpoint',
];
const lineOf = (n) => TEXT[n % TEXT.length];

export default job(NAME, (env) => {
  env.enableCheckpointing(500);
  const lines = env.fromSource(sources.sequence({ from: 0, to: LINES, ratePerSecond: RATE }), { uid: 'lines', name: 'lines' });
  lines.sinkTo(sinks.table('lines'), { uid: 'lines-seen', name: 'lines seen' });
  lines
    .flatMap((n, out) => {
      failPoint('split');
      for (const word of lineOf(n).split(' ')) out.collect({ word, count: 1 });
    })
    .uid('split')
    .name('split')
    .keyBy((r) => r.word)
    .sum('count')
    .uid('count')
    .name('count')
    .sinkTo(sinks.table('counts', { key: 'word' }), { uid: 'counts', name: 'counts' });
});

export const check = {
  table: 'lines',
  expectedRows: LINES,
  tables: ['counts'],
  // The lines and the counts are committed by the same checkpoints: the counts add up to the words
  // of the committed lines (of every line, at the end).
  verify({ lines, counts }, final) {
    const total = counts.reduce((n, r) => n + r.count, 0);
    let words = 0;
    for (const n of final ? Array.from({ length: LINES }, (_, i) => i) : new Set(lines)) words += lineOf(n).split(' ').length;
    return total === words ? null : `the counts add up to ${total} words, the ${final ? '' : 'committed '}lines have ${words}`;
  },
};
