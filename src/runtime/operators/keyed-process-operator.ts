import { keyGroupOf } from '../../graph/key-groups.js';
import type {
  KeyedProcessContext,
  KeyedProcessFunction,
  KeyedProcessFunctionObject,
  OnTimerContext,
  ReduceFunction,
} from '../../graph/user-functions.js';
import { HeapKeyedStateBackend, restoredWatermark } from '../../state/heap-keyed-state-backend.js';
import type { StateKey, StateTtlOptions } from '../../state/keyed-state.js';
import { operatorStateAccess, OperatorStateStore } from '../../state/operator-state-store.js';
import { sideOutputOf } from './process-operator.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from './stream-operator.js';
import { ProcessingTimers } from './processing-timers.js';
import { TimerQueue, type Timer } from './timer-queue.js';
import { userFunctionFailed } from './user-function-error.js';

/** A keyed process function with keyed state, and processing-time and event-time timers. */
export class KeyedProcessOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  private readonly fn: KeyedProcessFunctionObject<StateKey, unknown, unknown>;
  private readonly processingTimers: ProcessingTimers;
  private readonly eventTimers = new TimerQueue();
  private readonly context: KeyedProcessContext<StateKey>;
  private readonly processingTimerContext: OnTimerContext<StateKey>;
  private readonly eventTimerContext: OnTimerContext<StateKey>;
  currentWatermark = -Infinity;
  private firingAt = 0;
  private readonly operatorState = new OperatorStateStore();

  constructor(readonly uid: string, private readonly output: Output, private readonly ctx: OperatorContext, fn: KeyedProcessFunction<StateKey, unknown, unknown>) {
    this.fn = typeof fn === 'function' ? { processElement: fn } : fn;
    const backend = (this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange, ctx.clock));
    this.processingTimers = new ProcessingTimers(ctx, (timer) => this.fireOne(timer, this.processingTimerContext));
    const currentKeyGroup = () => keyGroupOf(backend.getCurrentKey(), ctx.maxParallelism);
    const { elementTimestamp } = ctx;
    this.context = {
      operatorUid: uid,
      subtaskIndex: ctx.subtaskIndex,
      parallelism: ctx.parallelism,
      getCurrentKey: () => backend.getCurrentKey(),
      getState: (name, options) => backend.valueState(name, options),
      getListState: (name, options) => backend.listState(name, options),
      getMapState: (name, options) => backend.mapState(name, options),
      getReducingState: <T>(name: string, reduce: ReduceFunction<T>, options?: StateTtlOptions) => backend.reducingState<T>(name, reduce, options),
      getAggregatingState: (name, fn, options) => backend.aggregatingState(name, fn, options),
      ...operatorStateAccess(this.operatorState),
      timestamp: () => (Number.isNaN(elementTimestamp.value) ? undefined : elementTimestamp.value),
      output: sideOutputOf(output),
      timerService: {
        currentProcessingTime: () => ctx.clock.now(),
        currentWatermark: () => this.currentWatermark,
        registerProcessingTimeTimer: (timestamp) => {
          this.processingTimers.register(requireTime(uid, timestamp), backend.getCurrentKey(), currentKeyGroup());
        },
        deleteProcessingTimeTimer: (timestamp) => this.processingTimers.queue.delete(timestamp, backend.getCurrentKey()),
        registerEventTimeTimer: (timestamp) => this.eventTimers.register(requireTime(uid, timestamp), backend.getCurrentKey(), currentKeyGroup()),
        deleteEventTimeTimer: (timestamp) => this.eventTimers.delete(timestamp, backend.getCurrentKey()),
      },
    };
    // In onTimer, ctx.timestamp() is the timer's time in both domains, as in Flink.
    this.processingTimerContext = { ...this.context, timeDomain: 'processing-time', timestamp: () => this.firingAt };
    this.eventTimerContext = { ...this.context, timeDomain: 'event-time', timestamp: () => this.firingAt };
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored !== undefined) {
      this.keyedBackend.restore(restored.keyedState, restored.encodedKeyed);
      const { start, end } = this.ctx.keyGroupRange;
      const inRange = (kg: number) => kg >= start && kg <= end;
      for (const payload of restored.keyedState) {
        this.processingTimers.queue.restore(payload.timers ?? [], inRange);
        this.eventTimers.restore(payload.eventTimers ?? [], inRange);
      }
      this.currentWatermark = restoredWatermark(restored.keyedState);
      this.operatorState.restore(restored.operatorLists ?? []);
    }
    try {
      this.fn.open?.({ ...this.context });
    } catch (error) {
      throw userFunctionFailed(this.uid, 'open', error);
    }
    this.processingTimers.schedule();
  }

  collect(value: unknown): void {
    try {
      this.fn.processElement(value, this.context, this.output);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'processElement', error);
    }
  }

  processWatermark(timestamp: number): void {
    if (timestamp <= this.currentWatermark) return;
    this.currentWatermark = timestamp;
    this.fire(this.eventTimers, timestamp, this.eventTimerContext);
    this.ctx.elementTimestamp.value = Number.NaN;
    this.output.emitWatermark(timestamp);
  }

  private fire(timers: TimerQueue, time: number, context: OnTimerContext<StateKey>): void {
    for (let timer = timers.pollDue(time); timer !== undefined; timer = timers.pollDue(time)) this.fireOne(timer, context);
  }

  private fireOne(timer: Timer, context: OnTimerContext<StateKey>): void {
    this.keyedBackend.setCurrentKey(timer.key, timer.keyGroup);
    // What a timer emits carries the timer's time (event time) as its timestamp, as in Flink.
    this.ctx.elementTimestamp.value = context.timeDomain === 'event-time' ? timer.timestamp : Number.NaN;
    this.firingAt = timer.timestamp;
    try {
      this.fn.onTimer?.(timer.timestamp, context, this.output);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'onTimer', error);
    }
  }

  endInput(): void {
    this.processingTimers.stop();
  }

  snapshotState() {
    const operatorLists = this.operatorState.snapshot();
    if (this.processingTimers.queue.size === 0 && this.eventTimers.size === 0 && this.currentWatermark === -Infinity) return { keyedBackend: this.keyedBackend, operatorLists };
    return {
      keyedBackend: this.keyedBackend,
      operatorLists,
      keyedExtra: {
        keyGroupRange: this.ctx.keyGroupRange, kinds: {}, groups: [],
        timers: this.processingTimers.queue.snapshot(), eventTimers: this.eventTimers.snapshot(), watermark: this.currentWatermark,
      },
    };
  }

  close(): void {
    this.processingTimers.stop();
    this.fn.close?.();
  }
}

function requireTime(uid: string, timestamp: unknown): number {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    throw userFunctionFailed(uid, 'timer registration', new TypeError(`a timer's timestamp must be a finite number of milliseconds, got ${String(timestamp)}`));
  }
  return timestamp;
}
