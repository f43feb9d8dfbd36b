// The counting pipeline's tables over an input log, as a job module for worker runs. Parameters
// from the module URL's query: name, log, partitions, keys.
import { job, sources } from 'weir';
import { countInto } from '../../support/counting-pipeline.js';

const params = new URL(import.meta.url).searchParams;
const partitions = Number(params.get('partitions') ?? 1);

export default job(params.get('name') ?? 'log-counting', (env) => {
  countInto(env.fromSource(sources.log<number>(params.get('log') ?? 'numbers', { partitions }), { uid: 'numbers' }), Number(params.get('keys') ?? 97));
});
