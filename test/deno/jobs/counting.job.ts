// The counting pipeline as a job module for Deno Web Workers; parameters come from the module
// URL's query (every worker imports the same URL): name, records, rate (records/s; no part of the graph),
// holdAfter and holdCheckpoints (held-source.ts; no part of the graph either).
import { job } from 'weir';
import { buildCountingPipeline } from '../../support/counting-pipeline.js';

const params = new URL(import.meta.url).searchParams;

const hold = params.has('holdAfter') ? { after: Number(params.get('holdAfter')), checkpoints: Number(params.get('holdCheckpoints') ?? 1) } : undefined;

export default job(params.get('name') ?? 'counting-deno', (env) =>
  buildCountingPipeline(env, { records: Number(params.get('records') ?? 20_000), keys: 7, ratePerSecond: Number(params.get('rate') ?? 40_000), hold }),
);
