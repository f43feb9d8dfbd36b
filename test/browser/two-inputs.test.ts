/// <reference types="mocha" />
// Connected streams in real Web Workers (Chromium): the browser twin of test/node/two-inputs-workers.test.ts.
// Both inputs cross MessagePorts between workers into the keyed co-process operator; a worker
// killed after a checkpoint restores its keyed state and timers.
import { readTable, run } from 'weir';
import { alternatingKillMoments, FaultLog } from '../support/fault-log.js';
import { twoInputExpected, urlOf, type TwoInputParams } from '../support/two-input-job-module.js';

const runId = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
const sorted = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).sort();

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

describe('connected streams in Web Workers', function () {
  it('keyed connect: a worker killed after a checkpoint and another while replaying, each counted, commit exactly the reference', async () => {
    const p: TwoInputParams = { name: `browser-two-inputs-${runId}`, kind: 'balances', seed: 9, events: 1000, keys: 31, holdAfter: 100, holdCheckpoints: 2 };
    const handle = await run(urlOf(new URL('./fixtures/two-input.job.ts', import.meta.url), p), {
      parallelism: 2,
      storage: 'memory',
      checkpointing: { intervalMs: 30 },
      restart: { strategy: 'fixed-delay', attempts: 100, delayMs: 0 },
      heartbeat: { intervalMs: 1000, timeoutMs: 60_000 },
    });
    let worker = 0;
    const log = new FaultLog(handle).killAt({ moments: alternatingKillMoments(2), worker: () => worker++ % 2 });
    const result = await handle.done;
    log.stop();
    assertEqual(result.status, 'finished', 'job status');
    assertEqual(log.kills.length, 2, `workers killed before the job finished (${JSON.stringify(log.faults)})`);
    assertEqual(log.mismatch(), undefined, 'how the restarts differ from the kills');
    assertEqual(result.restarts, 2, 'restarts: one per kill, and nothing else');
    const expected = twoInputExpected(p);
    assertEqual(sorted(await readTable(p.name, expected.table, { storage: 'memory' })), sorted(expected.rows), 'the committed balances');
  });
});
