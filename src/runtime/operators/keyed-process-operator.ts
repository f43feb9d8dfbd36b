import { keyGroupOf } from '../../graph/key-groups.js';
import type {
  KeyedProcessContext,
  KeyedProcessFunction,
  KeyedProcessFunctionObject,
  OnTimerContext,
  ReduceFunction,
} from '../../graph/user-functions.js';
import { HeapKeyedStateBackend } from '../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../state/keyed-state.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from './stream-operator.js';
import { TimerQueue } from './timer-queue.js';
import { userFunctionFailed } from './user-function-error.js';

/** A keyed process function with keyed state and processing-time timers. */
export class KeyedProcessOperator implements StreamOperator {
  readonly keyedBackend: HeapKeyedStateBackend;
  private readonly fn: KeyedProcessFunctionObject<StateKey, unknown, unknown>;
  private readonly timers = new TimerQueue();
  private readonly context: KeyedProcessContext<StateKey>;
  private readonly timerContext: OnTimerContext<StateKey> & { timestamp: number };
  private scheduled: { at: number; cancel(): void } | undefined;
  /** Processing-time timers stop at the end of input, as in Flink: nothing may be emitted after it. */
  private inputEnded = false;

  constructor(readonly uid: string, private readonly output: Output, private readonly ctx: OperatorContext, fn: KeyedProcessFunction<StateKey, unknown, unknown>) {
    this.fn = typeof fn === 'function' ? { processElement: fn } : fn;
    const backend = (this.keyedBackend = new HeapKeyedStateBackend(ctx.keyGroupRange));
    const currentKeyGroup = () => keyGroupOf(backend.getCurrentKey(), ctx.maxParallelism);
    this.context = {
      operatorUid: uid,
      subtaskIndex: ctx.subtaskIndex,
      parallelism: ctx.parallelism,
      getCurrentKey: () => backend.getCurrentKey(),
      getState: (name, options) => backend.valueState(name, options?.defaultValue),
      getListState: (name) => backend.listState(name),
      getMapState: (name) => backend.mapState(name),
      getReducingState: <T>(name: string, reduce: ReduceFunction<T>) => backend.reducingState<T>(name, reduce),
      timerService: {
        currentProcessingTime: () => ctx.clock.now(),
        registerProcessingTimeTimer: (timestamp) => {
          this.timers.register(timestamp, backend.getCurrentKey(), currentKeyGroup());
        },
        deleteProcessingTimeTimer: (timestamp) => this.timers.delete(timestamp, backend.getCurrentKey()),
      },
    };
    this.timerContext = { ...this.context, timeDomain: 'processing-time', timestamp: 0 };
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    if (restored !== undefined) {
      this.keyedBackend.restore(restored.keyedState);
      const { start, end } = this.ctx.keyGroupRange;
      for (const payload of restored.keyedState) this.timers.restore(payload.timers ?? [], (kg) => kg >= start && kg <= end);
    }
    try {
      this.fn.open?.({ ...this.context });
    } catch (error) {
      throw userFunctionFailed(this.uid, 'open', error);
    }
    this.scheduleTimers();
  }

  collect(value: unknown): void {
    try {
      this.fn.processElement(value, this.context, this.output);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'processElement', error);
    }
    if (this.timers.size > 0) this.scheduleTimers();
  }

  private fireTimers(): void {
    this.scheduled = undefined;
    if (this.inputEnded) return;
    const now = this.ctx.clock.now();
    for (let timer = this.timers.pollDue(now); timer !== undefined; timer = this.timers.pollDue(now)) {
      this.keyedBackend.setCurrentKey(timer.key, timer.keyGroup);
      this.timerContext.timestamp = timer.timestamp;
      try {
        this.fn.onTimer?.(timer.timestamp, this.timerContext, this.output);
      } catch (error) {
        throw userFunctionFailed(this.uid, 'onTimer', error);
      }
    }
    this.scheduleTimers();
  }

  private scheduleTimers(): void {
    if (this.inputEnded) return;
    const next = this.timers.earliest();
    if (next === undefined || (this.scheduled !== undefined && this.scheduled.at <= next)) return;
    this.scheduled?.cancel();
    const handle = this.ctx.scheduleAt(next, () => this.fireTimers());
    this.scheduled = { at: next, cancel: () => handle.cancel() };
  }

  endInput(): void {
    this.inputEnded = true;
    this.scheduled?.cancel();
    this.scheduled = undefined;
  }

  snapshotState() {
    if (this.timers.size === 0) return { keyedBackend: this.keyedBackend };
    return { keyedBackend: this.keyedBackend, keyedExtra: { keyGroupRange: this.ctx.keyGroupRange, kinds: {}, groups: [], timers: this.timers.snapshot() } };
  }

  close(): void {
    this.scheduled?.cancel();
    this.fn.close?.();
  }
}
