// Two-input jobs under faults, in process: task sets killed right after awaited checkpoints (and
// while replaying), each kill counted, must commit exactly the nested-loop reference's output; the
// broadcast job also restores at another parallelism (2 → 3), where the new subtask takes a copy
// of the broadcast state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, readTable, run, type CheckpointStats, type JobHandle, type StreamEnvironment } from 'weir';
import { FaultLog, killMoments } from '../../support/fault-log.js';
import type { Hold } from '../../support/held-source.js';
import { seededRandom } from '../../support/seeded-random.js';
import {
  buildBalances, buildIntervalJoin, buildRuleTotals, buildWindowJoin, expectedBalances, expectedIntervalJoin, expectedRuleTotals, expectedWindowJoin,
  seededEvents, seededRules,
} from '../../support/two-input-jobs.js';

const sorted = <T>(values: readonly T[]) => values.map((v) => JSON.stringify(v)).sort();

/** Each reader holds after 40 records until 3 checkpoints of its attempt completed: every planned kill comes mid-stream (3 kills use at most 4 × 40 of a reader's 200 or more records). */
const HOLD: Hold = { after: 40, checkpoints: 3 };

interface Case {
  readonly name: string;
  readonly table: string;
  readonly build: (env: StreamEnvironment, hold?: Hold) => void;
  readonly expected: () => unknown[];
}

const left = seededEvents(21, 'L', 600, 13);
const right = seededEvents(22, 'R', 600, 13);
const rules = seededRules(23, 12, 250);
const cases: Case[] = [
  { name: 'keyed connect', table: 'balances', build: (env, hold) => buildBalances(env, left, right, hold), expected: () => expectedBalances(left, right) },
  { name: 'interval join', table: 'pairs', build: (env, hold) => buildIntervalJoin(env, left, right, -25, 40, hold), expected: () => expectedIntervalJoin(left, right, -25, 40) },
  { name: 'tumbling window join', table: 'pairs', build: (env, hold) => buildWindowJoin(env, left, right, { kind: 'tumbling', sizeMs: 80 }, hold), expected: () => expectedWindowJoin(left, right, { kind: 'tumbling', sizeMs: 80 }) },
  { name: 'session window join', table: 'pairs', build: (env, hold) => buildWindowJoin(env, left, right, { kind: 'session', gapMs: 25 }, hold), expected: () => expectedWindowJoin(left, right, { kind: 'session', gapMs: 25 }) },
  { name: 'broadcast rules', table: 'totals', build: (env, hold) => buildRuleTotals(env, left, rules, hold), expected: () => expectedRuleTotals(left, rules) },
];

describe('two-input jobs under faults (in-process)', () => {
  cases.forEach((c, i) => {
    const seed = 31 + i;
    it(`${c.name}, seed ${seed}: killed after awaited checkpoints, each kill counted, commits exactly the reference's output`, async (t) => {
      const random = seededRandom(seed);
      const name = `two-input-faults-${seed}`;
      const kills = killMoments(random, 3);
      const handle = await run(job(name, (env) => c.build(env, HOLD)), {
        parallelism: 2 + (seed % 2),
        checkpointing: { intervalMs: 5 + Math.floor(random() * 20) },
        restart: { strategy: 'fixed-delay', attempts: 100, delayMs: 0 },
      });
      const log = new FaultLog(handle).killAt({ moments: kills });
      const result = await handle.done;
      log.stop();
      t.diagnostic(`kills at ${JSON.stringify(kills)}; faults ${JSON.stringify(log.faults)}; restored from ${JSON.stringify(log.restores)}`);
      assert.equal(result.status, 'finished');
      assert.equal(log.kills.length, kills.length, 'every planned kill was injected before the input ended');
      assert.equal(log.mismatch(), undefined);
      assert.equal(result.restarts, kills.length, 'each kill restarted the job, and nothing else did');
      const expected = c.expected();
      assert.ok(expected.length > 10, `the reference has output (${expected.length})`);
      assert.deepEqual(sorted(await readTable(name, c.table)), sorted(expected));
    });
  });
});

/** The job's next 'checkpoint' event. */
function checkpointEvent(handle: JobHandle): Promise<CheckpointStats> {
  return new Promise((resolve) => {
    const off = handle.on('checkpoint', (c) => {
      off();
      resolve(c);
    });
  });
}

describe('broadcast state restored at another parallelism', () => {
  it('a job stopped at parallelism 2 with rules in its broadcast state resumes at 3: the new subtask has them too, and the output is the reference', async () => {
    const name = 'broadcast-rescale-2-3';
    const events = seededEvents(41, 'e', 900, 29);
    const manyRules = seededRules(42, 12, 350);
    // The first run's readers stop for good after 150 events (and 8 of the 12 rules, in the broadcast state of both subtasks).
    const first = await run(job(name, (env) => buildRuleTotals(env, events, manyRules, { after: 150, checkpoints: Infinity })), {
      parallelism: 2, checkpointing: { intervalMs: 10 },
    });
    for (let completed = 0; completed < 2;) if ((await checkpointEvent(first)).status === 'completed') completed++;
    await first.triggerCheckpoint();
    await first.cancel();
    const second = await run(job(name, (env) => buildRuleTotals(env, events, manyRules)), { parallelism: 3, checkpointing: { intervalMs: 10 } });
    const restored: (number | undefined)[] = [];
    second.on('restore', (e) => restored.push(e.checkpointId));
    const result = await second.done;
    assert.equal(result.status, 'finished');
    assert.ok(restored[0] !== undefined, 'the second run resumed from the first one\'s checkpoint');
    assert.deepEqual(sorted(await readTable(name, 'totals')), sorted(expectedRuleTotals(events, manyRules)));
  });
});
