import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptDataError, WeirError } from '../../../src/errors/index.js';
import type { CheckpointMetadata, StoredCheckpoints } from '../../../src/runtime/coordinator/checkpoint-metadata.js';
import { metadataWriteOutcome } from '../../../src/runtime/coordinator/pending-checkpoint.js';
import { decideFailover, decideStart, type FenceOutcome } from '../../../src/runtime/coordinator/recovery-decisions.js';
import { decideRestart, onFailure, type RestartStrategy } from '../../../src/runtime/coordinator/restart-strategy.js';

// The JobMaster's recovery decisions as scripts: what is stored or what failed, and what the
// JobMaster must do about it (which checkpoint to restore, what to drop, where sinks roll back to).

const checkpoint = (checkpointId: number): CheckpointMetadata => ({
  jobName: 'j', checkpointId, epoch: 1, triggerTimestamp: 0, completedTimestamp: 0, maxParallelism: 128, final: false, operators: {},
});
const stored = (readable: number[], unreadable: number[] = []): StoredCheckpoints => ({
  readable: readable.map(checkpoint),
  unreadable: [...unreadable].sort((a, b) => b - a).map((checkpointId) => ({ checkpointId, error: new CorruptDataError(`checkpoint-metadata chunk fails its checksum (${checkpointId})`) })),
  highestId: Math.max(0, ...readable, ...unreadable),
});

/** A start decision in one line: restore, drop, passed over, next id, roll back to. */
function start(resume: 'latest' | 'none', readable: number[], unreadable: number[] = [], idFloor = 0): string {
  const d = decideStart({ resume, stored: stored(readable, unreadable), idFloor });
  return `restore ${d.restore?.checkpointId ?? '-'} retain [${d.retained.map((c) => c.checkpointId)}] drop [${d.drop}] passed [${d.passedOver.map((p) => p.checkpointId)}] next ${d.nextCheckpointId} rollback ${d.rollBackTo}`;
}

describe('decideStart', () => {
  it('starts over with nothing stored, and from the latest readable checkpoint otherwise', () => {
    assert.equal(start('latest', []), 'restore - retain [] drop [] passed [] next 1 rollback 0');
    assert.equal(start('latest', [2, 3]), 'restore 3 retain [2,3] drop [] passed [] next 4 rollback 3');
  });

  it('passes over an unreadable latest checkpoint, drops it, rolls the sinks back to the one it restores, and never reuses its id', () => {
    assert.equal(start('latest', [2, 3], [4]), 'restore 3 retain [2,3] drop [4] passed [4] next 5 rollback 3');
    assert.equal(start('latest', [2], [3, 4]), 'restore 2 retain [2] drop [4,3] passed [4,3] next 5 rollback 2');
  });

  it('drops an unreadable older checkpoint without passing over anything', () => {
    assert.equal(start('latest', [4], [3]), 'restore 4 retain [4] drop [3] passed [] next 5 rollback 4');
  });

  it('starts over when nothing is readable, saying what it passed over (clearing the data takes the rest)', () => {
    assert.equal(start('latest', [], [1, 2]), 'restore - retain [] drop [] passed [2,1] next 3 rollback 0');
  });

  it("keeps counting ids after resume: 'none' and above the floor an earlier runner left (a fallback dropped higher ids)", () => {
    assert.equal(start('none', [2, 3]), 'restore - retain [] drop [] passed [] next 4 rollback 0');
    assert.equal(start('latest', [2, 3], [], 9), 'restore 3 retain [2,3] drop [] passed [] next 9 rollback 3');
  });
});

/** A failover decision in one line. */
function failover(o: { cause?: unknown; unreadable?: number; completed: number[]; fence?: FenceOutcome; restart?: RestartStrategy; restarts?: number }): string {
  const restart = decideRestart(o.restart ?? { strategy: 'fixed-delay', attempts: 10, delayMs: 7 }, o.restarts ?? 0);
  const d = decideFailover({
    cause: o.cause ?? new WeirError('INJECTED_FAILURE', 'killed', { domain: 'internal', retryable: true }), unreadableCheckpoint: o.unreadable,
    completed: o.completed.map(checkpoint), fence: o.fence ?? 'written', restart,
  });
  if (d.kind !== 'restart') return d.kind;
  return `restart after ${d.delayMs} from ${d.restore?.checkpointId ?? '-'} drop [${d.drop}] fell back from ${d.fellBackFrom ?? '-'}`;
}

describe('decideFailover', () => {
  it('restarts from the latest checkpoint after an ordinary failure, dropping nothing', () => {
    assert.equal(failover({ completed: [2, 3] }), 'restart after 7 from 3 drop [] fell back from -');
    assert.equal(failover({ completed: [] }), 'restart after 7 from - drop [] fell back from -');
  });

  it('drops nothing for a CORRUPT_DATA failure that is no restore\'s (a bad network batch, a damaged journal in a commit)', () => {
    assert.equal(failover({ cause: new CorruptDataError('record batch: bad magic'), completed: [2, 3] }), 'restart after 7 from 3 drop [] fell back from -');
  });

  it('falls back one checkpoint when the restore of the latest proved it unreadable', () => {
    assert.equal(failover({ cause: new CorruptDataError('chunk fails its checksum'), unreadable: 3, completed: [2, 3] }), 'restart after 7 from 2 drop [3] fell back from 3');
    assert.equal(failover({ unreadable: 3, completed: [3] }), 'restart after 7 from - drop [3] fell back from 3');
  });

  it('does not drop a checkpoint the failed attempt did not restore', () => {
    assert.equal(failover({ unreadable: 2, completed: [2, 3] }), 'restart after 7 from 3 drop [] fell back from -');
  });

  it('stops a fenced runner (its fence write refused, or a task fenced) and drops nothing', () => {
    assert.equal(failover({ unreadable: 3, completed: [2, 3], fence: 'fenced' }), 'stop-fenced');
    assert.equal(failover({ cause: new WeirError('STORAGE_FENCED', 'taken over', { domain: 'external', retryable: false }), completed: [2, 3] }), 'stop-fenced');
  });

  it('postpones a fallback while the attempt fence cannot be written: a killed attempt\'s commit could still land after it', () => {
    assert.equal(failover({ unreadable: 3, completed: [2, 3], fence: 'failed' }), 'restart after 7 from 3 drop [] fell back from -');
  });

  it('gives up as the restart strategy says, before anything is dropped', () => {
    assert.equal(failover({ unreadable: 3, completed: [2, 3], restart: { strategy: 'none' } }), 'give-up');
    assert.equal(failover({ completed: [2, 3], restart: { strategy: 'fixed-delay', attempts: 2, delayMs: 0 }, restarts: 2 }), 'give-up');
  });
});

describe('the restart history', () => {
  const exponential: RestartStrategy = { strategy: 'exponential-delay', initialDelayMs: 10, maxDelayMs: 1000, resetBackoffThresholdMs: 500 };
  /** Failures at the given times; the delay each restart gets. */
  const delays = (strategy: RestartStrategy, times: number[]) => {
    let history = { counted: 0, lastFailureAt: undefined as number | undefined };
    return times.map((t) => {
      history = onFailure(strategy, history, t);
      const d = decideRestart(strategy, history.counted);
      history = { ...history, counted: history.counted + 1 };
      return d.kind === 'restart' ? d.delayMs : d.kind;
    });
  };

  it('exponential-delay starts over after resetBackoffThresholdMs without a failure, as Flink does', () => {
    assert.deepEqual(delays(exponential, [0, 100, 200, 699, 1199, 1250]), [10, 20, 40, 80, 10, 20]);
  });

  it('exponential-delay attempts count from the last reset; fixed-delay counts every restart of the run', () => {
    assert.deepEqual(delays({ ...exponential, attempts: 2 }, [0, 1, 2, 1000, 1001, 1002]), [10, 20, 'give-up', 10, 20, 'give-up']);
    assert.deepEqual(delays({ strategy: 'fixed-delay', attempts: 2, delayMs: 5 }, [0, 10_000_000, 20_000_000]), [5, 5, 'give-up']);
  });
});

describe('metadataWriteOutcome', () => {
  const written = new Uint8Array([1, 2, 3]);
  it('reads a failed metadata write back: landed, absent, or unknown', () => {
    assert.equal(metadataWriteOutcome(written, new Uint8Array([1, 2, 3])), 'landed');
    assert.equal(metadataWriteOutcome(written, undefined), 'absent');
    assert.equal(metadataWriteOutcome(written, 'unreadable'), 'unknown');
    assert.equal(metadataWriteOutcome(written, new Uint8Array([1, 2, 4])), 'unknown');
    assert.equal(metadataWriteOutcome(written, new Uint8Array([1, 2])), 'unknown');
  });
});
