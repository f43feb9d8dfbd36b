/** Something the scheduler can run a step of: a task. */
export interface Schedulable {
  /** Does one unit of work; returns whether more work is ready right away. */
  step(): boolean;
  /** Set by the scheduler while the task waits in its ready queue. */
  queued: boolean;
}

/** A thread's slice of task steps ends after this long, or after STEPS_PER_SLICE steps; a task takes up to STEPS_PER_TURN in a row. */
const SLICE_MS = 8;
const STEPS_PER_SLICE = 64;
const STEPS_PER_TURN = 8;

/**
 * Runs the tasks of one thread cooperatively: each ready task takes a few steps in turn,
 * and the thread goes back to its event loop after every slice so that timers, storage
 * callbacks and control messages get their turn. A task that has nothing to do is not
 * polled; it is woken by what it waits for (a message, a credit, a mail, a timer).
 */
export class TaskScheduler {
  private ready: Schedulable[] = [];
  private pending = false;
  /** A task was woken for priority work: the task taking its turn stops after its current step. */
  private preempted = false;

  constructor(
    private readonly scheduleMacrotask: (callback: () => void) => void,
    /** The clock's time: a slice also ends after SLICE_MS (a checkpoint's encoding steps are long, and storage writes must get their turn). */
    private readonly now: () => number,
  ) {}

  wake(task: Schedulable): void {
    if (task.queued) return;
    task.queued = true;
    this.ready.push(task);
    if (!this.pending) {
      this.pending = true;
      this.scheduleMacrotask(() => this.runSlice());
    }
  }

  /**
   * Wakes `task` ahead of every other (an unaligned checkpoint's barrier reached one of its
   * channels, Flink's priority event): it runs right after the current step, so a barrier crosses
   * the tasks of one thread in a step each rather than a turn each.
   */
  wakeFirst(task: Schedulable): void {
    if (task.queued) this.ready.splice(this.ready.indexOf(task), 1);
    task.queued = true;
    this.ready.unshift(task);
    this.preempted = true;
    if (!this.pending) {
      this.pending = true;
      this.scheduleMacrotask(() => this.runSlice());
    }
  }

  private runSlice(): void {
    this.pending = false;
    let budget = STEPS_PER_SLICE;
    const ends = this.now() + SLICE_MS;
    while (budget > 0 && this.ready.length > 0 && this.now() < ends) {
      const task = this.ready.shift()!;
      task.queued = false;
      this.preempted = false;
      let more = true;
      // A turn ends with the slice too: a task whose steps are slow (a batch of a slow function) must not keep timers, storage and control messages waiting for STEPS_PER_TURN of them.
      for (let i = 0; i < STEPS_PER_TURN && more && !this.preempted && (i === 0 || this.now() < ends); i++, budget--) more = task.step();
      if (more) this.wake(task);
    }
    if (this.ready.length > 0 && !this.pending) {
      this.pending = true;
      this.scheduleMacrotask(() => this.runSlice());
    }
  }
}
