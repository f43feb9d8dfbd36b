// A job module that breaks the rule: its graph depends on where it is built.
import { isMainThread } from 'node:worker_threads';
import { job, sinks, sources } from 'weir';

export default job('mismatch', (env) => {
  const numbers = env.fromSource(sources.sequence({ from: 0, to: 10 }));
  (isMainThread ? numbers : numbers.map((n) => n + 1)).sinkTo(sinks.table('out'));
});
