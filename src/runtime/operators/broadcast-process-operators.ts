import type { BroadcastContext, BroadcastProcessFunction, KeyedBroadcastProcessFunction } from '../../graph/two-input-functions.js';
import type { Collector, KeyedProcessFunctionObject, ProcessContext, ProcessFunctionObject } from '../../graph/user-functions.js';
import type { StateKey } from '../../state/keyed-state.js';
import { BroadcastStates } from './broadcast-states.js';
import { InputSelection } from './co-process-operators.js';
import { KeyedProcessOperator } from './keyed-process-operator.js';
import { ProcessOperator } from './process-operator.js';
import type { OperatorContext, OperatorRestoreState, OperatorSnapshot, Output } from './stream-operator.js';

type AnyBroadcastFunction = BroadcastProcessFunction<unknown, unknown, unknown> | KeyedBroadcastProcessFunction<StateKey, unknown, unknown, unknown>;

/**
 * The user's function as a one-input function over both inputs: input 1 (the keyed or plain
 * side) sees the broadcast states read-only, input 2 (the broadcast side) may change them.
 * Contexts are extended once per operator context object, not per record.
 */
function broadcastDispatch(fn: AnyBroadcastFunction, states: BroadcastStates, selection: InputSelection) {
  const reading = new Map<object, object>();
  let broadcastContext: BroadcastContext | undefined;
  const withReading = <C extends object>(ctx: C): C => {
    let extended = reading.get(ctx);
    if (extended === undefined) reading.set(ctx, (extended = { ...ctx, getBroadcastState: (d: never) => states.forReading(d) }));
    return extended as C;
  };
  const forBroadcast = (ctx: ProcessContext): BroadcastContext => (broadcastContext ??= {
    operatorUid: ctx.operatorUid, subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism,
    getBroadcastState: (d) => states.forWriting(d as never) as never,
    timestamp: () => ctx.timestamp(),
    currentWatermark: () => ctx.timerService.currentWatermark(),
    currentProcessingTime: () => ctx.timerService.currentProcessingTime(),
    output: ctx.output,
  });
  const f = fn as {
    processElement(v: unknown, c: unknown, o: Collector<unknown>): void;
    processBroadcastElement(v: unknown, c: BroadcastContext, o: Collector<unknown>): void;
    onTimer?(t: number, c: unknown, o: Collector<unknown>): void;
  };
  return {
    processElement: (value: unknown, ctx: ProcessContext, out: Collector<unknown>) => {
      if (selection.side === 1) f.processElement(value, withReading(ctx), out);
      else f.processBroadcastElement(value, forBroadcast(ctx), out);
    },
    onTimer: (timestamp: number, ctx: object, out: Collector<unknown>) => f.onTimer?.(timestamp, withReading(ctx), out),
  };
}

/** `stream.connect(broadcastStream).process(fn)`: broadcast state, no keys. */
export class BroadcastProcessOperator extends ProcessOperator {
  constructor(uid: string, output: Output, ctx: OperatorContext, fn: BroadcastProcessFunction<unknown, unknown, unknown>, descriptors: readonly string[],
    private readonly selection = new InputSelection(), private readonly states = new BroadcastStates(uid, descriptors)) {
    const object: ProcessFunctionObject<unknown, unknown> = { processElement: broadcastDispatch(fn, states, selection).processElement };
    if (fn.open !== undefined) object.open = (c) => fn.open!(c);
    if (fn.close !== undefined) object.close = () => fn.close!();
    super(uid, output, ctx, object);
  }

  selectInput(side: 1 | 2): void {
    this.selection.side = side;
  }

  override initialize(restored: OperatorRestoreState | undefined): void {
    if (restored !== undefined) this.states.restore(restored.operatorStateBySubtask ?? []);
    super.initialize(restored);
  }

  override snapshotState(): OperatorSnapshot {
    return { ...super.snapshotState(), operatorState: [this.states.snapshot()] };
  }
}

/** `keyed.connect(broadcastStream).process(fn)`: broadcast state beside keyed state and timers. */
export class KeyedBroadcastProcessOperator extends KeyedProcessOperator {
  constructor(uid: string, output: Output, ctx: OperatorContext, fn: KeyedBroadcastProcessFunction<StateKey, unknown, unknown, unknown>, descriptors: readonly string[],
    private readonly selection = new InputSelection(), private readonly states = new BroadcastStates(uid, descriptors)) {
    const dispatch = broadcastDispatch(fn, states, selection);
    const object: KeyedProcessFunctionObject<StateKey, unknown, unknown> = { processElement: dispatch.processElement };
    if (fn.open !== undefined) object.open = (c) => fn.open!(c);
    if (fn.onTimer !== undefined) object.onTimer = dispatch.onTimer;
    if (fn.close !== undefined) object.close = () => fn.close!();
    super(uid, output, ctx, object);
  }

  selectInput(side: 1 | 2): void {
    this.selection.side = side;
  }

  override initialize(restored: OperatorRestoreState | undefined): void {
    if (restored !== undefined) this.states.restore(restored.operatorStateBySubtask ?? []);
    super.initialize(restored);
  }

  override snapshotState(): ReturnType<KeyedProcessOperator['snapshotState']> & OperatorSnapshot {
    return { ...super.snapshotState(), operatorState: [this.states.snapshot()] };
  }
}
