import type { ExecutionVertex, PlannedOperator } from '../../graph/execution-plan.js';
import { BroadcastProcessOperator, KeyedBroadcastProcessOperator } from '../operators/broadcast-process-operators.js';
import { CoProcessOperator, KeyedCoProcessOperator } from '../operators/co-process-operators.js';
import { intervalJoinFunction } from '../operators/interval-join.js';
import { KeyedProcessOperator } from '../operators/keyed-process-operator.js';
import { KeyedReduceOperator, type InPlaceOutput } from '../operators/keyed-reduce-operator.js';
import { ProcessOperator } from '../operators/process-operator.js';
import { SinkOperator } from '../operators/sink-operator.js';
import { SourceOperator } from '../operators/source-operator.js';
import { FilterOperator, FlatMapOperator, MapOperator } from '../operators/stateless-operators.js';
import type { ElementTimestamp } from '../operators/element-timestamp.js';
import type { Downstream, OperatorContext, Output, StreamOperator } from '../operators/stream-operator.js';
import { ChainOutput } from './chain-output.js';
import type { RecordWriter } from './record-writer.js';
import { AlignedWindowOperator, isAlignedWindow } from '../operators/window/aligned-window-operator.js';
import { isPanedWindow, PanedWindowOperator } from '../operators/window/paned-window-operator.js';
import { WindowOperator } from '../operators/window/window-operator.js';

/** `next`: the operator its one chained output feeds, if it has exactly one (made before it: a chain is built tail first). */
function createOperator(vertex: ExecutionVertex, op: PlannedOperator, output: Output, ctx: OperatorContext, next: StreamOperator | undefined): StreamOperator {
  const { spec, uid } = op;
  switch (spec.kind) {
    case 'source': return new SourceOperator(uid, output, ctx, spec.source, spec.watermarks);
    case 'map': return new MapOperator(uid, output, spec.fn, spec.deadLetters);
    case 'filter': return new FilterOperator(uid, output, spec.fn, spec.deadLetters);
    case 'flat-map': return new FlatMapOperator(uid, output, spec.fn, spec.deadLetters, ctx.pressure, ctx.elementTimestamp);
    case 'process': return new ProcessOperator(uid, output, ctx, spec.fn, spec.deadLetters);
    case 'keyed-reduce': return new KeyedReduceOperator(uid, output, ctx, spec.fn, spec.firstValue, inPlaceUpdate(vertex, op, next));
    case 'keyed-process': return new KeyedProcessOperator(uid, output, ctx, spec.fn);
    case 'sink': return new SinkOperator(uid, ctx, spec.sink);
    case 'co-process': return new CoProcessOperator(uid, output, ctx, spec.fn);
    case 'keyed-co-process': return new KeyedCoProcessOperator(uid, output, ctx, spec.fn);
    case 'interval-join': return new KeyedCoProcessOperator(uid, output, ctx, intervalJoinFunction({ uid, lowerMs: spec.lowerMs, upperMs: spec.upperMs, fn: spec.fn, elementTimestamp: ctx.elementTimestamp }));
    case 'broadcast-process': return spec.keyed
      ? new KeyedBroadcastProcessOperator(uid, output, ctx, spec.fn, spec.descriptors)
      : new BroadcastProcessOperator(uid, output, ctx, spec.fn, spec.descriptors);
    case 'window':
      if (isPanedWindow(spec.window)) return new PanedWindowOperator(uid, output, ctx, spec.window);
      return isAlignedWindow(spec.window) ? new AlignedWindowOperator(uid, output, ctx, spec.window) : new WindowOperator(uid, output, ctx, spec.window);
  }
}

/**
 * A running sum/min/max may update its accumulator in place and hand it to the sink itself (no
 * copy per record, no batch through the chain) when nothing but one chained sink sees what it
 * emits, and that sink takes records updated in place (Sink.acceptsUpdatedInPlace): no queue, no
 * other operator, no side output may hold one.
 */
function inPlaceUpdate(vertex: ExecutionVertex, op: PlannedOperator, next: StreamOperator | undefined): InPlaceOutput | undefined {
  const { spec } = op;
  if (spec.kind !== 'keyed-reduce' || spec.inPlace === undefined || !(next instanceof SinkOperator)) return undefined;
  if (op.networkOutputs.length > 0 || op.sideChainedOutputs.length > 0 || op.sideNetworkOutputs.length > 0 || op.chainedOutputs.length !== 1) return undefined;
  const sink = vertex.operators[op.chainedOutputs[0]!]!.spec;
  return sink.kind === 'sink' && sink.sink.acceptsUpdatedInPlace?.(spec.inPlace.field) === true ? { update: spec.inPlace.update, sink: next } : undefined;
}

/** A vertex's operators, head first, and a way to send on what their outputs buffered. */
export interface OperatorChain {
  readonly operators: StreamOperator[];
  /** Must be called before the task takes its next input (and before a barrier or an event goes out): nothing may wait in a chain. */
  flush(): void;
}

export interface ChainSettings {
  readonly batchSize: number;
  readonly elementTimestamp: ElementTimestamp;
  readonly eventTime: boolean;
}

/**
 * Instantiates a vertex's operators, each feeding the next chained operator directly (a batch
 * at a time, no queue) and writing its network edges through record writers. Head first.
 */
export function createOperatorChain(
  vertex: ExecutionVertex,
  writers: readonly RecordWriter[],
  contextFor: (op: PlannedOperator) => OperatorContext,
  settings: ChainSettings,
): OperatorChain {
  const operators: StreamOperator[] = new Array(vertex.operators.length);
  const outputs: ChainOutput[] = new Array(vertex.operators.length);
  for (let i = vertex.operators.length - 1; i >= 0; i--) {
    const op = vertex.operators[i]!;
    const main: Downstream[] = [...op.chainedOutputs.map((j) => operators[j]!), ...op.networkOutputs.map((j) => writers[j]!)];
    const sides = new Map<string, Downstream[]>();
    const side = (tag: string, target: Downstream) => {
      const list = sides.get(tag);
      if (list === undefined) sides.set(tag, [target]);
      else list.push(target);
    };
    for (const s of op.sideChainedOutputs) side(s.tag, operators[s.index]!);
    for (const s of op.sideNetworkOutputs) side(s.tag, writers[s.index]!);
    outputs[i] = new ChainOutput(main, sides, settings.batchSize, settings.elementTimestamp, settings.eventTime);
    const next = op.chainedOutputs.length === 1 ? operators[op.chainedOutputs[0]!] : undefined;
    operators[i] = createOperator(vertex, op, outputs[i]!, contextFor(op), next);
  }
  return {
    operators,
    // Head first: what an operator's flush hands on may fill the buffers of those after it.
    flush: () => {
      for (let i = 0; i < outputs.length; i++) outputs[i]!.flush();
    },
  };
}
