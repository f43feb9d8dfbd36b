// The counting pipeline as a job module, for worker runs. Parameters come from the module URL's
// query (every worker imports the same URL): name, records, keys, rate, holdAfter and holdCheckpoints
// (each source reader holds after holdAfter records until that many checkpoints completed:
// test/support/held-source.ts), and `poison` records that throw the first time any worker meets
// them (remembered in files under `markers`).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { job } from 'weir';
import { buildCountingPipeline } from '../../support/counting-pipeline.js';

const params = new URL(import.meta.url).searchParams;
const poison = new Set((params.get('poison') ?? '').split(',').filter(Boolean).map(Number));
const markers = params.get('markers');

export default job(params.get('name') ?? 'counting', (env) =>
  buildCountingPipeline(env, {
    records: Number(params.get('records') ?? 100_000),
    keys: Number(params.get('keys') ?? 97),
    ratePerSecond: Number(params.get('rate') ?? 400_000),
    hold: params.has('holdAfter') ? { after: Number(params.get('holdAfter')), checkpoints: Number(params.get('holdCheckpoints') ?? 2) } : undefined,
    inspect: (n) => {
      if (!poison.has(n) || markers === null) return;
      const marker = join(markers, String(n));
      if (existsSync(marker)) return;
      writeFileSync(marker, '');
      throw new Error(`poisoned record ${n}`);
    },
  }),
);
