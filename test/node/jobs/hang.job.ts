// A job whose map never returns once it meets record `hangAt` (after writing the file `marker`):
// a worker whose event loop a user function holds. Query: name, records, hangAt, marker.
import { writeFileSync } from 'node:fs';
import { job, sinks, sources } from 'weir';

const params = new URL(import.meta.url).searchParams;
const hangAt = Number(params.get('hangAt') ?? 1000);
const marker = params.get('marker') ?? '';

export default job(params.get('name') ?? 'hang', (env) => {
  env
    .fromSource(sources.sequence({ from: 0, to: Number(params.get('records') ?? 100_000) }), { uid: 'numbers' })
    .map((n) => {
      if (n === hangAt) {
        writeFileSync(marker, '');
        for (;;);
      }
      return { key: n % 7, n };
    })
    .keyBy((r) => r.key)
    .sum('n')
    .sinkTo(sinks.print({ log: () => {} }), { uid: 'out' });
});
