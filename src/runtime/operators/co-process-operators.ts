import type { KeyedProcessFunctionObject, ProcessFunctionObject } from '../../graph/user-functions.js';
import type { AnyKeyedCoProcessFunction, CoProcessFunction } from '../../graph/two-input-functions.js';
import type { StateKey } from '../../state/keyed-state.js';
import { KeyedProcessOperator } from './keyed-process-operator.js';
import { ProcessOperator } from './process-operator.js';
import type { OperatorContext, Output } from './stream-operator.js';

/**
 * The input the records being processed came from. The task sets it once per input batch
 * (records are not tagged one by one), the operator's function dispatches on it.
 */
export class InputSelection {
  side: 1 | 2 = 1;
}

/** A two-input function as a one-input one that dispatches on the selected input. */
function dispatching<C, O>(fn: CoProcessFunction<unknown, unknown, unknown> | AnyKeyedCoProcessFunction, selection: InputSelection) {
  const f = fn as { processElement1(v: unknown, c: C, o: O): void; processElement2(v: unknown, c: C, o: O): void };
  return {
    processElement: (value: unknown, ctx: C, out: O) => {
      if (selection.side === 1) f.processElement1(value, ctx, out);
      else f.processElement2(value, ctx, out);
    },
  };
}

/** `a.connect(b).process(fn)`: a CoProcessFunction without keys (no state, no timers). */
export class CoProcessOperator extends ProcessOperator {
  constructor(uid: string, output: Output, ctx: OperatorContext, fn: CoProcessFunction<unknown, unknown, unknown>, private readonly selection = new InputSelection()) {
    const object: ProcessFunctionObject<unknown, unknown> = { ...dispatching(fn, selection) };
    if (fn.open !== undefined) object.open = (c) => fn.open!(c);
    if (fn.close !== undefined) object.close = () => fn.close!();
    super(uid, output, ctx, object);
  }

  selectInput(side: 1 | 2): void {
    this.selection.side = side;
  }
}

/** `a.connect(b).keyBy(ka, kb).process(fn)`: both inputs share the key's state and timers. */
export class KeyedCoProcessOperator extends KeyedProcessOperator {
  constructor(uid: string, output: Output, ctx: OperatorContext, fn: AnyKeyedCoProcessFunction, private readonly selection = new InputSelection()) {
    const object: KeyedProcessFunctionObject<StateKey, unknown, unknown> = { ...dispatching(fn, selection) };
    if (fn.open !== undefined) object.open = (c) => fn.open!(c);
    if (fn.onTimer !== undefined) object.onTimer = (t, c, o) => fn.onTimer!(t, c, o);
    if (fn.close !== undefined) object.close = () => fn.close!();
    super(uid, output, ctx, object);
  }

  selectInput(side: 1 | 2): void {
    this.selection.side = side;
  }
}
