import type { Collector, NonKeyedProcessContext, OutputTagLike, ProcessContext, ProcessFunction, ProcessFunctionObject, TimerService } from '../../graph/user-functions.js';
import { InvalidArgumentError, WeirError } from '../../errors/index.js';
import { operatorStateAccess, OperatorStateStore } from '../../state/operator-state-store.js';
import { deadLetterOf } from './dead-letter.js';
import type { OperatorContext, OperatorRestoreState, OperatorSnapshot, Output, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

const noTimers = (uid: string): Omit<TimerService, 'currentProcessingTime' | 'currentWatermark'> => {
  const refuse = (): never => {
    throw new InvalidArgumentError(`operator '${uid}' timers`, 'timers need keyed state: use keyBy(…).process(…)');
  };
  return { registerProcessingTimeTimer: refuse, deleteProcessingTimeTimer: refuse, registerEventTimeTimer: refuse, deleteEventTimeTimer: refuse };
};

/** The side-output half of a process context: `ctx.output(tag, value)`. */
export function sideOutputOf(output: Output): ProcessContext['output'] {
  return (tag: OutputTagLike<unknown>, value: unknown) => {
    if (typeof tag !== 'object' || tag === null || typeof tag.id !== 'string') {
      throw new InvalidArgumentError('ctx.output(tag)', 'expected an OutputTag (new OutputTag(id))');
    }
    output.collectSide(tag.id, value);
  };
}

/** A non-keyed process function: sees each record with a context and emits through a collector; its state is operator state. */
export class ProcessOperator implements StreamOperator {
  private readonly fn: ProcessFunctionObject<unknown, unknown>;
  private readonly context: NonKeyedProcessContext;
  private readonly operatorState = new OperatorStateStore();
  private readonly collector: Collector<unknown>;
  currentWatermark = -Infinity;

  constructor(readonly uid: string, private readonly output: Output, ctx: OperatorContext, fn: ProcessFunction<unknown, unknown>, private readonly deadLetters?: string) {
    this.fn = typeof fn === 'function' ? { processElement: fn } : fn;
    const { elementTimestamp } = ctx;
    this.context = {
      operatorUid: uid, subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism,
      timerService: { ...noTimers(uid), currentProcessingTime: () => ctx.clock.now(), currentWatermark: () => this.currentWatermark },
      timestamp: () => (Number.isNaN(elementTimestamp.value) ? undefined : elementTimestamp.value),
      output: sideOutputOf(output),
      ...operatorStateAccess(this.operatorState),
    };
    this.collector = output;
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored?.operatorLists !== undefined) this.operatorState.restore(restored.operatorLists);
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
      if (this.deadLetters === undefined || error instanceof WeirError) throw userFunctionFailed(this.uid, 'processElement', error);
      this.output.collectSide(this.deadLetters, deadLetterOf(this.uid, value, error));
    }
  }

  processWatermark(timestamp: number): void {
    this.currentWatermark = timestamp;
    this.output.emitWatermark(timestamp);
  }

  snapshotState(): OperatorSnapshot {
    return { operatorLists: this.operatorState.snapshot() };
  }

  close(): void {
    this.fn.close?.();
  }
}
