import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from 'weir';
import { TaskScheduler, type Schedulable } from '../../../src/runtime/task/task-scheduler.js';

/** A task that logs its steps, moves the clock `stepMs` a step, and runs `onStep` (a step's side effect) each time. */
function task(name: string, log: string[], clock: ManualClock, stepMs: number, onStep?: (n: number) => void): Schedulable {
  let n = 0;
  return {
    queued: false,
    step() {
      log.push(`${name}${++n}`);
      clock.advance(stepMs);
      onStep?.(n);
      return true;
    },
  };
}

/** A scheduler whose macrotasks run when `drain` says, one slice each. */
function scheduler(clock: ManualClock): { scheduler: TaskScheduler; slice: () => void } {
  const macrotasks: (() => void)[] = [];
  return { scheduler: new TaskScheduler((f) => macrotasks.push(f), () => clock.now()), slice: () => macrotasks.shift()?.() };
}

describe('TaskScheduler', () => {
  it('ends a turn once its slice is used up: slow steps do not keep the thread for a whole turn', () => {
    const clock = new ManualClock(0);
    const log: string[] = [];
    const { scheduler: s, slice } = scheduler(clock);
    s.wake(task('a', log, clock, 5));
    slice();
    assert.deepEqual(log, ['a1', 'a2'], 'a turn of 5 ms steps ends after the step that passed the 8 ms slice');
  });

  it('runs a task woken first right after the current step, before the tasks waiting in line', () => {
    const clock = new ManualClock(0);
    const log: string[] = [];
    const { scheduler: s, slice } = scheduler(clock);
    const b = task('b', log, clock, 0);
    const c = task('c', log, clock, 0);
    const a = task('a', log, clock, 0, (n) => n === 2 && s.wakeFirst(c));
    s.wake(a);
    s.wake(b);
    slice();
    assert.deepEqual(log.slice(0, 4), ['a1', 'a2', 'c1', 'c2'], 'a stops after the step that woke c first; c goes before b');
    assert.ok(log.includes('b1'));
  });
});
