import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canTransition, isTerminal, JOB_STATUS_TRANSITIONS, type JobStatus } from '../../../src/runtime/coordinator/job-status.js';

const ALL: JobStatus[] = ['standby', 'running', 'restarting', 'finished', 'failed', 'cancelled'];

describe('JOB_STATUS_TRANSITIONS', () => {
  it('covers exactly the six job statuses', () => {
    assert.deepEqual(Object.keys(JOB_STATUS_TRANSITIONS).sort(), [...ALL].sort());
  });

  it('leaves no way out of the terminal statuses finished, failed and cancelled', () => {
    assert.deepEqual(ALL.filter(isTerminal), ['finished', 'failed', 'cancelled']);
    for (const from of ['finished', 'failed', 'cancelled'] as const) {
      assert.deepEqual(ALL.filter((to) => canTransition(from, to)), [], from);
    }
  });

  it('allows exactly the moves of the lifecycle (canTransition matrix)', () => {
    const matrix = Object.fromEntries(ALL.map((from) => [from, ALL.filter((to) => canTransition(from, to))]));
    assert.deepEqual(matrix, {
      standby: ['running', 'failed', 'cancelled'],
      running: ['restarting', 'finished', 'failed', 'cancelled'],
      restarting: ['running', 'failed', 'cancelled'],
      finished: [],
      failed: [],
      cancelled: [],
    });
  });

  it('never allows a status to move to itself, and only a running job to finish', () => {
    assert.deepEqual(ALL.filter((s) => canTransition(s, s)), []);
    assert.deepEqual(ALL.filter((s) => canTransition(s, 'finished')), ['running']);
  });

  it('lets every non-terminal status be cancelled or fail', () => {
    const live = ALL.filter((s) => !isTerminal(s));
    assert.deepEqual(live, ['standby', 'running', 'restarting']);
    assert.deepEqual(live.filter((s) => !(canTransition(s, 'cancelled') && canTransition(s, 'failed'))), []);
  });
});
