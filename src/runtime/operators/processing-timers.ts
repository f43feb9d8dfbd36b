import type { StateKey } from '../../state/keyed-state.js';
import type { OperatorContext } from './stream-operator.js';
import { TimerQueue, type Timer } from './timer-queue.js';

/**
 * A keyed operator's processing-time timers: the queue, and one clock timeout (a mail in the
 * task's mailbox) for its earliest timer. They stop at the end of input, as in Flink: no time
 * passes for a task whose input ended, and nothing may be emitted after its end-of-input.
 */
export class ProcessingTimers {
  readonly queue = new TimerQueue();
  private scheduled: { at: number; cancel(): void } | undefined;
  private stopped = false;

  constructor(private readonly ctx: OperatorContext, private readonly onTimer: (timer: Timer) => void) {}

  register(timestamp: number, key: StateKey, keyGroup: number): void {
    this.queue.register(timestamp, key, keyGroup);
    this.schedule();
  }

  /** Arms the timeout for the earliest timer (after a restore, or a registration). */
  schedule(): void {
    if (this.stopped) return;
    const next = this.queue.earliest();
    if (next === undefined || (this.scheduled !== undefined && this.scheduled.at <= next)) return;
    this.scheduled?.cancel();
    const handle = this.ctx.scheduleAt(next, () => this.fireDue());
    this.scheduled = { at: next, cancel: () => handle.cancel() };
  }

  stop(): void {
    this.stopped = true;
    this.scheduled?.cancel();
    this.scheduled = undefined;
  }

  private fireDue(): void {
    this.scheduled = undefined;
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    for (let timer = this.queue.pollDue(now); timer !== undefined; timer = this.queue.pollDue(now)) this.onTimer(timer);
    // What timers emitted carried their own timestamps; the next record sets its own.
    this.ctx.elementTimestamp.value = Number.NaN;
    this.schedule();
  }
}
