// The counting pipeline as a job module, for worker runs. Parameters come from the module URL's
// query (every worker imports the same URL): name, records, keys, rate, and `poison` records that
// throw the first time any worker meets them (remembered in files under `markers`). With `allowed`,
// the job reads only records below it, at no rate (a gated source: the graph of every `allowed`
// is the same, so a run with fewer than `records` cannot finish, and one with all resumes it).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { job } from 'weir';
import { buildCountingPipeline } from '../../support/counting-pipeline.js';
import { buildGatedPipeline } from '../../support/gated-source.js';

const params = new URL(import.meta.url).searchParams;
const poison = new Set((params.get('poison') ?? '').split(',').filter(Boolean).map(Number));
const markers = params.get('markers');

const allowed = params.get('allowed');

export default job(params.get('name') ?? 'counting', (env) =>
  allowed !== null ? buildGatedPipeline(env, Number(params.get('records') ?? 100_000), Number(params.get('keys') ?? 97), { allowed: Number(allowed) }) : buildCountingPipeline(env, {
    records: Number(params.get('records') ?? 100_000),
    keys: Number(params.get('keys') ?? 97),
    ratePerSecond: Number(params.get('rate') ?? 400_000),
    inspect: (n) => {
      if (!poison.has(n) || markers === null) return;
      const marker = join(markers, String(n));
      if (existsSync(marker)) return;
      writeFileSync(marker, '');
      throw new Error(`poisoned record ${n}`);
    },
  }),
);
