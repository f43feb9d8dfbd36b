// The seed example (examples/checkpoint-example.job.ts) over the same lines, held until checkpoints
// completed (held-source.ts), as a job module for workers: a kill in a checkpoint's event comes
// mid-stream however fast the machine reads. Parameters from the module URL's query: name, lines,
// after (records per reader before the hold; a quarter of the lines), checkpoints (completed while
// it holds, that release it; 2).
import { job, sources } from 'weir';
import { buildCheckpointExample } from '../../examples/checkpoint-example.job.js';
import { exampleLines } from '../../examples/checkpoint-example.lines.js';
import { holdUntilCheckpoints } from './held-source.js';

const params = new URL(import.meta.url).searchParams;
const lines = Number(params.get('lines') ?? 20_000);

export default job(params.get('name') ?? 'held-seed-example', (env) => {
  env.enableCheckpointing(500);
  const hold = { after: Number(params.get('after') ?? lines / 4), checkpoints: Number(params.get('checkpoints') ?? 2) };
  buildCheckpointExample(env, holdUntilCheckpoints(sources.fromElements(exampleLines({ lines })), hold));
});
