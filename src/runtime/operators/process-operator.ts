import type { Collector, ProcessContext, ProcessFunction, ProcessFunctionObject, TimerService } from '../../graph/user-functions.js';
import { InvalidArgumentError } from '../../errors/index.js';
import type { OperatorContext, Output, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

const noTimers = (uid: string): TimerService => {
  const refuse = (): never => {
    throw new InvalidArgumentError(`operator '${uid}' timers`, 'timers need keyed state: use keyBy(…).process(…)');
  };
  return { currentProcessingTime: refuse, registerProcessingTimeTimer: refuse, deleteProcessingTimeTimer: refuse };
};

/** A non-keyed process function: sees each record with a context and emits through a collector. */
export class ProcessOperator implements StreamOperator {
  private readonly fn: ProcessFunctionObject<unknown, unknown>;
  private readonly context: ProcessContext;
  private readonly collector: Collector<unknown>;

  constructor(readonly uid: string, output: Output, ctx: OperatorContext, fn: ProcessFunction<unknown, unknown>) {
    this.fn = typeof fn === 'function' ? { processElement: fn } : fn;
    const timers = noTimers(uid);
    this.context = {
      operatorUid: uid, subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism,
      timerService: { ...timers, currentProcessingTime: () => ctx.clock.now() },
    };
    this.collector = output;
  }

  initialize(): void {
    try {
      this.fn.open?.(this.context);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'open', error);
    }
  }

  collect(value: unknown): void {
    try {
      this.fn.processElement(value, this.context, this.collector);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'processElement', error);
    }
  }

  snapshotState() {
    return {};
  }

  close(): void {
    this.fn.close?.();
  }
}
