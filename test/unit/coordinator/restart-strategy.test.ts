import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideRestart, type RestartStrategy } from '../../../src/runtime/coordinator/restart-strategy.js';

/** The decisions for restarts 0..n-1 already made. */
const decisions = (strategy: RestartStrategy, n: number) => Array.from({ length: n }, (_, i) => decideRestart(strategy, i));

describe('decideRestart', () => {
  it("gives up at once under 'none'", () => {
    assert.deepEqual(decisions({ strategy: 'none' }, 2), [
      { kind: 'give-up', reason: "the restart strategy is 'none'" },
      { kind: 'give-up', reason: "the restart strategy is 'none'" },
    ]);
  });

  it('restarts with the fixed delay until `attempts` restarts happened, then gives up', () => {
    assert.deepEqual(decisions({ strategy: 'fixed-delay', attempts: 3, delayMs: 250 }, 5), [
      { kind: 'restart', delayMs: 250 },
      { kind: 'restart', delayMs: 250 },
      { kind: 'restart', delayMs: 250 },
      { kind: 'give-up', reason: 'fixed-delay allowed 3 restart(s), all used' },
      { kind: 'give-up', reason: 'fixed-delay allowed 3 restart(s), all used' },
    ]);
  });

  it('gives up on the first failure under fixed-delay with 0 attempts', () => {
    assert.deepEqual(decideRestart({ strategy: 'fixed-delay', attempts: 0, delayMs: 10 }, 0), { kind: 'give-up', reason: 'fixed-delay allowed 0 restart(s), all used' });
  });

  it('doubles the exponential delay from initialDelayMs up to maxDelayMs, then gives up after `attempts`', () => {
    assert.deepEqual(decisions({ strategy: 'exponential-delay', initialDelayMs: 100, maxDelayMs: 1000, attempts: 6 }, 7), [
      { kind: 'restart', delayMs: 100 },
      { kind: 'restart', delayMs: 200 },
      { kind: 'restart', delayMs: 400 },
      { kind: 'restart', delayMs: 800 },
      { kind: 'restart', delayMs: 1000 },
      { kind: 'restart', delayMs: 1000 },
      { kind: 'give-up', reason: 'exponential-delay allowed 6 restart(s), all used' },
    ]);
  });

  it('restarts forever under exponential-delay without attempts, capped at maxDelayMs even after very many restarts', () => {
    const strategy: RestartStrategy = { strategy: 'exponential-delay', initialDelayMs: 1, maxDelayMs: 60_000 };
    assert.deepEqual([0, 10, 16, 100, 10_000].map((n) => decideRestart(strategy, n)), [
      { kind: 'restart', delayMs: 1 },
      { kind: 'restart', delayMs: 1024 },
      { kind: 'restart', delayMs: 60_000 },
      { kind: 'restart', delayMs: 60_000 },
      { kind: 'restart', delayMs: 60_000 },
    ]);
  });
});
