// The slow counting pipeline (test/support/slow-counting.ts) as a job module, for worker runs.
// Query: name, records, keys, busyUs, holdAfter, holdCheckpoints.
import { job } from 'weir';
import { buildSlowCounting } from '../../support/slow-counting.js';

const params = new URL(import.meta.url).searchParams;

export default job(params.get('name') ?? 'slow-counting', (env) =>
  buildSlowCounting(env, {
    records: Number(params.get('records') ?? 20_000),
    keys: Number(params.get('keys') ?? 31),
    busyUs: Number(params.get('busyUs') ?? 2),
    hold: params.has('holdAfter') ? { after: Number(params.get('holdAfter')), checkpoints: Number(params.get('holdCheckpoints') ?? 2) } : undefined,
  }),
);
