// The Nexmark jobs as a job module, for runs in workers (bench/nexmark.bench.ts and its Chromium
// page): query, events, rate and name come from the module URL's query, which every worker reads alike.
import { buildNexmarkJob, nexmarkParams } from './queries.js';

export default buildNexmarkJob(nexmarkParams(new URL(import.meta.url).searchParams));
