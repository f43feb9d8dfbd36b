// The exchange job as a job module, for runs in workers (bench/workers.bench.ts, bench/chromium/):
// sequence → {k, v, t} → keyBy(k) → running sum('v') → upsert table (or a slow sink).
// Parameters come from the module URL's query, which every worker imports alike: name, records,
// sinkBusyUs, probe (see bench/workers-shared.ts).
import { buildExchangeJob, exchangeParams } from '../workers-shared.js';

export default buildExchangeJob(exchangeParams(new URL(import.meta.url).searchParams));
