import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, readTable, run, type JobWarning } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { buildGatedPipeline, type Gate } from '../support/gated-source.js';

// Issue 10, item 2: a quota error on a sink's commit must not fail the job. The commit is
// idempotent and recorded in the checkpoint: it is retried, the failure is surfaced, and
// nothing committed is lost.

const TOTAL = 6_000;
const KEYS = 11;

describe('a quota error on a sink commit', () => {
  for (const restart of [{ strategy: 'none' }, undefined] as const) {
    it(`is retried, not fatal (restart strategy ${restart === undefined ? 'default' : restart.strategy}): the job finishes without a restart, every record once, the deferral surfaced`, async () => {
      let full = false;
      let injected = 0;
      const quota = () => Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
      const storage = new MemoryCheckpointStorage({
        failWrites: (op, key) => {
          if (!full || op !== 'putMetadata' || !key.includes('/tables/')) return undefined;
          injected++;
          return quota();
        },
      });
      const name = `commit-quota-${restart === undefined ? 'default' : restart.strategy}`;
      const gate: Gate = { allowed: 2_000 };
      const handle = await run(job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate)), {
        storage, checkpointing: { intervalMs: 3_600_000 }, ...(restart !== undefined ? { restart } : {}),
      });
      const warnings: JobWarning[] = [];
      handle.on('warning', (w) => warnings.push(w));
      try {
        while ((await readTable(name, 'seen', { storage })).length < 2_000) await handle.triggerCheckpoint();
        full = true;
        gate.allowed = 4_000;
        // Checkpoints complete; their commits cannot land while the quota is full.
        for (let i = 0; i < 3; i++) await handle.triggerCheckpoint().catch(() => undefined);
        assert.equal(handle.status(), 'running');
        assert.ok(injected >= 1, 'the quota refused commits');
        assert.ok(warnings.some((w) => w.kind === 'sink-commit-deferred'), `a deferred commit was surfaced: ${JSON.stringify(warnings)}`);
        full = false;
        gate.allowed = TOTAL;
        const result = await handle.done;
        assert.equal(result.status, 'finished');
        assert.equal(result.restarts, 0);
        await checkExactlyOnce((j, t) => readTable(j, t, { storage }), name, TOTAL, KEYS);
      } finally {
        await handle.cancel();
      }
    });
  }

  it('deferred at the final checkpoint, is retried until it lands: done resolves only once everything is committed', async () => {
    let full = false;
    let injected = 0;
    const storage = new MemoryCheckpointStorage({
      failWrites: (op, key) => {
        if (!full || op !== 'putMetadata' || !key.includes('/tables/')) return undefined;
        injected++;
        return Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
      },
    });
    const name = 'commit-quota-final';
    const gate: Gate = { allowed: 2_000 };
    const handle = await run(job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate)), { storage, checkpointing: { intervalMs: 3_600_000 } });
    try {
      while ((await readTable(name, 'seen', { storage })).length < 2_000) await handle.triggerCheckpoint();
      const deferred = new Promise<JobWarning>((resolve) => handle.on('warning', (w) => w.kind === 'sink-commit-deferred' && resolve(w)));
      let finished = false;
      void handle.done.then(() => { finished = true; }, () => undefined);
      full = true;
      gate.allowed = TOTAL; // the input ends: the final checkpoint's commits meet the quota
      const warning = await deferred;
      assert.equal(finished, false, 'not done while its last output is not committed');
      assert.match(warning.message, /could not commit/);
      full = false;
      const result = await handle.done;
      assert.equal(result.status, 'finished');
      assert.equal(result.restarts, 0);
      assert.ok(injected >= 1);
      await checkExactlyOnce((j, t) => readTable(j, t, { storage }), name, TOTAL, KEYS);
    } finally {
      await handle.cancel();
    }
  });
});
