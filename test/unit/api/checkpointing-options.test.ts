import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { job, run, sources, sinks, type StreamEnvironment } from 'weir';
import { EventTimeTrigger } from '../../../src/runtime/coordinator/event-time-trigger.js';
import { bad, namesArgument, uniqueJobName } from './api-test-helpers.js';

const validJob = () => job(uniqueJobName('ckpt-options'), (env: StreamEnvironment) => env.fromSource(sources.fromElements([1, 2, 3])).sinkTo(sinks.table('out')));

describe('run() refuses bad unaligned and event-time checkpointing options', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['unaligned that is not a boolean', { intervalMs: 100, unaligned: 'yes' }, 'unaligned', /true or false/],
    ['unaligned in at-least-once mode', { intervalMs: 100, mode: 'at-least-once', unaligned: true }, 'unaligned', /exactly-once/],
    ['alignedCheckpointTimeoutMs without unaligned', { intervalMs: 100, alignedCheckpointTimeoutMs: 10 }, 'alignedCheckpointTimeoutMs', /only with unaligned: true/],
    ['a negative alignedCheckpointTimeoutMs', { intervalMs: 100, unaligned: true, alignedCheckpointTimeoutMs: -1 }, 'alignedCheckpointTimeoutMs', /-1/],
    ['alignedCheckpointTimeoutMs not below timeoutMs', { intervalMs: 100, timeoutMs: 500, unaligned: true, alignedCheckpointTimeoutMs: 500 }, 'alignedCheckpointTimeoutMs', /less than the checkpoint timeout \(500 ms\)/],
    ['alignedCheckpointTimeoutMs not below the default timeout', { intervalMs: 100, unaligned: true, alignedCheckpointTimeoutMs: 60_000 }, 'alignedCheckpointTimeoutMs', /60000 ms/],
    ['eventTimeIntervalMs 0', { eventTimeIntervalMs: 0 }, 'eventTimeIntervalMs', /0/],
    ['eventTimeIntervalMs with intervalMs', { intervalMs: 100, eventTimeIntervalMs: 1000 }, 'eventTimeIntervalMs', /excludes intervalMs/],
    ['neither intervalMs nor eventTimeIntervalMs', { unaligned: true }, 'intervalMs', /or eventTimeIntervalMs/],
  ];
  for (const [what, checkpointing, key, message] of cases) {
    it(`rejects ${what}, naming checkpointing.${key}`, async () => {
      const argument = `run(job, options).checkpointing.${key}`;
      await assert.rejects(run(validJob(), bad({ checkpointing })), namesArgument(argument));
      await assert.rejects(run(validJob(), bad({ checkpointing })), message);
    });
  }

  it('rejects eventTimeIntervalMs for a job without event time, naming the option', async () => {
    await assert.rejects(run(validJob(), { checkpointing: { eventTimeIntervalMs: 1000 } }), (error: Error) => {
      namesArgument('run(job, options).checkpointing.eventTimeIntervalMs')(error);
      return /has no source with a watermark strategy/.test(error.message);
    });
  });
});

describe('EventTimeTrigger', () => {
  it('checkpoints once every source passed a new multiple, at the combined (lowest) position', () => {
    const t = new EventTimeTrigger(1000, ['a', 'b']);
    assert.equal(t.positionOf(2999), 2000);
    assert.equal(t.positionOf(-1), -1000);
    assert.equal(t.onSourceReached('a', 1000), undefined);
    assert.equal(t.onSourceReached('a', 3000), undefined);
    assert.equal(t.onSourceReached('b', 2000), 2000);
    assert.equal(t.onSourceReached('b', 2000), undefined, 'a position reported twice counts once');
    assert.equal(t.onSourceReached('b', 4000), 3000);
    assert.equal(t.onSourceFinished('a'), 4000, 'a finished source holds nothing back');
    assert.equal(t.onSourceFinished('b'), undefined, 'once every source ended the final checkpoint takes over');
  });

  it('covers nothing twice after a restore, and ignores subtasks that are not sources', () => {
    const t = new EventTimeTrigger(500, ['a'], 1500);
    assert.equal(t.onSourceReached('a', 1500), undefined);
    assert.equal(t.onSourceReached('x', 9000), undefined);
    assert.equal(t.onSourceFinished('x'), undefined);
    assert.equal(t.onSourceReached('a', 2000), 2000);
  });
});
