// Records with '__proto__', 'constructor' and 'prototype' keys through a job in worker_threads
// (issue 17): an input log, a spread in a map, keyed reduce state, an append and an upsert table.
// Parameters from the module URL's query: name, log.
import { job, sinks, sources } from 'weir';
import { reduceHostile, type HostileRecord } from '../../support/hostile-records.js';

const params = new URL(import.meta.url).searchParams;

export default job(params.get('name') ?? 'hostile-keys', (env) => {
  const reduced = env
    .fromSource(sources.log<HostileRecord>(params.get('log') ?? 'hostile'), { uid: 'log' })
    // What a worker's realm shows: had anything polluted Object.prototype there, this would say so.
    .map((r): HostileRecord => ({ ...r, pollutedInWorker: ({} as { polluted?: unknown }).polluted ?? null }))
    .uid('probe')
    .keyBy((r) => r.id)
    .reduce(reduceHostile)
    .uid('reduce');
  reduced.sinkTo(sinks.table('rows'), { uid: 'rows' });
  reduced.sinkTo(sinks.table('latest', { key: 'id' }), { uid: 'latest' });
});
