// The state of the checkpoint benchmark: KEYS keys, each holding one record of about 1 KB in
// keyed state (a reduce that keeps the latest), so 10,000 keys make about 10 MB. Its sink
// discards the output: only the state's checkpoint is measured. Shared by the Durable Object
// and the Deno KV runs.
import { job, type JobDefinition, type Sink } from 'weir';
import { sources } from 'weir';

const PAD = 'x'.repeat(1000);

const discard: Sink<unknown> = {
  kind: 'weir.sink', name: 'discard', guarantee: 'at-least-once',
  createWriter: () => ({ write: () => {}, prepareCommit: () => undefined }),
};

export function stateJob(name: string, keys: number): JobDefinition {
  return job(name, (env) => {
    env
      .fromSource(sources.sequence({ from: 0, to: keys }), { uid: 'keys' })
      .map((n) => ({ key: n, pad: `${n}:${PAD}` }))
      .uid('records')
      .keyBy((r) => r.key)
      .reduce((_, latest) => latest)
      .uid('latest')
      .sinkTo(discard, { uid: 'discard' });
  });
}
