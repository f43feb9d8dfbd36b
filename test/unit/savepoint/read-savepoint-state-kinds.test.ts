import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readSavepoint, run, sinks, sources } from 'weir';
import { holdUntilCheckpoints } from '../../support/held-source.js';

// readSavepoint shows the state kinds of issue 14 as a function wrote them: a state with a
// time-to-live gives its values (not the [last access, value] pairs it is stored as), and named
// operator lists are apart from the operator's own state, each with its distribution.

const TOTAL = 600;
const KEYS = 7;

const stateKindsJob = job('sp-read-kinds', (env) => {
  const numbers = holdUntilCheckpoints(sources.sequence({ from: 0, to: TOTAL }), { after: TOTAL / 2, checkpoints: Infinity });
  env
    .fromSource(numbers, { uid: 'numbers' })
    .process<number>({
      processElement(n, ctx, out) {
        if (n % 100 === 0) ctx.getOperatorListState<number>('hundreds').add(n);
        if (n === 0) ctx.getUnionListState<string>('marks').add('zero');
        out.collect(n);
      },
    })
    .uid('lists')
    .keyBy((n) => n % KEYS)
    .process<number>({
      processElement(n, ctx) {
        const last = ctx.getState<number>('last', { ttlMs: 3_600_000 });
        last.update(n);
        ctx.getListState<number>('all', { ttlMs: 3_600_000 }).add(n);
      },
    })
    .uid('ttl')
    .sinkTo(sinks.table('none'), { uid: 'none' });
});

describe('readSavepoint and the state kinds', () => {
  it('gives TTL state as values and named operator lists by name and distribution', async () => {
    const handle = await run(stateKindsJob, { storage: new MemoryCheckpointStorage(), parallelism: 1, checkpointing: { intervalMs: 3_600_000 } });
    await handle.triggerCheckpoint();
    const contents = readSavepoint(await handle.stop({ savepoint: true }));

    const ttl = contents.operators.find((o) => o.uid === 'ttl')!;
    const seen = Array.from({ length: TOTAL / 2 }, (_, n) => n);
    for (let key = 0; key < KEYS; key++) {
      const own = seen.filter((n) => n % KEYS === key);
      assert.deepEqual(ttl.keyedState.get(key), { last: own.at(-1), all: own }, `key ${key}`);
    }

    const lists = contents.operators.find((o) => o.uid === 'lists')!;
    assert.deepEqual(lists.operatorLists.hundreds, { distribution: 'split', entries: [0, 100, 200] });
    assert.deepEqual(lists.operatorLists.marks, { distribution: 'union', entries: ['zero'] });
    assert.deepEqual(lists.operatorState, [], 'named lists are not the operator\'s own state');
  });
});
