import type { PollStatus } from '../../connectors/source.js';
import type { Clock } from '../clock.js';
import type { OutputPressure } from '../operators/output-pressure.js';
import type { SourceOperator } from '../operators/source-operator.js';
import { userFunctionFailed } from '../operators/user-function-error.js';

export interface SourcePollerSetup {
  readonly source: SourceOperator;
  readonly clock: Clock;
  readonly pressure: OutputPressure;
  readonly batchSize: number;
  /** Passes what the chain holds on to the writers. */
  readonly flushChain: () => void;
  /** Sends the writers' half-full batches now, or only when the flush interval passed. */
  readonly flushWriters: () => void;
  readonly flushIfDue: () => void;
  readonly endOfInput: () => void;
  /** Asks the scheduler for a step of the task. */
  readonly wake: () => void;
  readonly fail: (error: unknown) => void;
}

/**
 * A source task's input, in place of an input gate: polls the source's reader a batch per step,
 * and when it has nothing, waits for its availability or its next deadline (a watermark, idleness)
 * instead of polling again. A poll whose output ran out of credit is finished first: its status is
 * acted on once all it read has gone out.
 */
export class SourcePoller {
  /** A poll's status, acted on once what that poll read has all gone out. */
  private pollStatus: PollStatus | undefined;
  private deadlineTimer: unknown;
  /** The promise of a reader that had nothing: the task polls again when it settles. */
  private awaitedAvailability: PromiseLike<unknown> | undefined;

  constructor(private readonly setup: SourcePollerSetup) {}

  /** Records the source read, for the task's metrics. */
  get emitted(): number {
    return this.setup.source.emitted;
  }

  /** A poll's output stopped for want of credit: `resume` goes on with it. */
  get midPoll(): boolean {
    return this.pollStatus !== undefined;
  }

  /** Polls one batch; returns whether more work is ready right away. */
  poll(): boolean {
    const { source, batchSize, pressure } = this.setup;
    const status = source.poll(batchSize);
    this.setup.flushChain();
    if (pressure.suspended || source.midPoll) {
      this.pollStatus = status;
      return true;
    }
    return this.afterPoll(status);
  }

  /** Credit came back (the operators' continuations ran): goes on with the poll that stopped. */
  resume(): boolean {
    const { source, pressure } = this.setup;
    source.drainBacklog();
    this.setup.flushChain();
    if (pressure.suspended || source.midPoll) return true;
    const status = this.pollStatus!;
    this.pollStatus = undefined;
    return this.afterPoll(status);
  }

  /** The task stopped: no timer may wake it. */
  close(): void {
    if (this.deadlineTimer !== undefined) this.setup.clock.clearTimeout(this.deadlineTimer);
  }

  private afterPoll(status: PollStatus): boolean {
    const { source } = this.setup;
    switch (status.kind) {
      case 'more':
        this.setup.flushIfDue();
        return true;
      case 'wait':
        this.setup.flushWriters();
        // The reader may wait long (a slow feed); watermarks and idleness must not.
        this.wakeAt(Math.min(status.untilMs, source.nextDeadline()));
        return false;
      case 'nothing':
        this.setup.flushWriters();
        this.wakeWhenAvailable(status.available);
        this.wakeAt(source.nextDeadline());
        return false;
      case 'end':
        this.setup.endOfInput();
        return false;
    }
  }

  private wakeAt(until: number): void {
    const { clock } = this.setup;
    if (this.deadlineTimer !== undefined) clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (until === Infinity) return;
    this.deadlineTimer = clock.setTimeout(() => {
      this.deadlineTimer = undefined;
      this.setup.wake();
    }, until - clock.now());
  }

  /** Wakes the task once the reader's availability settles; one listener per promise, however often the task polls meanwhile. */
  private wakeWhenAvailable(available: PromiseLike<unknown>): void {
    if (this.awaitedAvailability === available) return;
    this.awaitedAvailability = available;
    available.then(
      () => {
        if (this.awaitedAvailability === available) this.awaitedAvailability = undefined;
        this.setup.wake();
      },
      (error: unknown) => this.setup.fail(userFunctionFailed(this.setup.source.uid, 'source', error)),
    );
  }
}
