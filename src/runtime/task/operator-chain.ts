import type { ExecutionVertex, PlannedOperator } from '../../graph/execution-plan.js';
import { KeyedProcessOperator } from '../operators/keyed-process-operator.js';
import { KeyedReduceOperator } from '../operators/keyed-reduce-operator.js';
import { ProcessOperator } from '../operators/process-operator.js';
import { SinkOperator } from '../operators/sink-operator.js';
import { SourceOperator } from '../operators/source-operator.js';
import { FilterOperator, FlatMapOperator, MapOperator } from '../operators/stateless-operators.js';
import type { Downstream, OperatorContext, Output, StreamOperator } from '../operators/stream-operator.js';
import type { RecordWriter } from './record-writer.js';
import { WindowOperator } from '../operators/window/window-operator.js';

function collectorOf(targets: readonly Downstream[]): (value: unknown) => void {
  if (targets.length === 0) return () => {};
  if (targets.length === 1) {
    const only = targets[0]!;
    return (value) => only.collect(value);
  }
  return (value) => {
    for (const t of targets) t.collect(value);
  };
}

/** Routes an operator's output: main stream, side outputs by tag; watermarks go everywhere, as in Flink. */
function routerOf(main: readonly Downstream[], sides: ReadonlyMap<string, Downstream[]>): Output {
  const all = [...main, ...[...sides.values()].flat()];
  const sideCollectors = new Map([...sides].map(([tag, targets]) => [tag, collectorOf(targets)] as const));
  return {
    collect: collectorOf(main),
    collectSide: (tag, value) => sideCollectors.get(tag)?.(value),
    emitWatermark: (timestamp) => {
      for (const t of all) t.processWatermark(timestamp);
    },
  };
}

function createOperator(op: PlannedOperator, output: Output, ctx: OperatorContext): StreamOperator {
  const { spec, uid } = op;
  switch (spec.kind) {
    case 'source': return new SourceOperator(uid, output, ctx, spec.source, spec.watermarks);
    case 'map': return new MapOperator(uid, output, spec.fn, spec.deadLetters);
    case 'filter': return new FilterOperator(uid, output, spec.fn, spec.deadLetters);
    case 'flat-map': return new FlatMapOperator(uid, output, spec.fn, spec.deadLetters, ctx.pressure);
    case 'process': return new ProcessOperator(uid, output, ctx, spec.fn, spec.deadLetters);
    case 'keyed-reduce': return new KeyedReduceOperator(uid, output, ctx, spec.fn, spec.firstValue);
    case 'keyed-process': return new KeyedProcessOperator(uid, output, ctx, spec.fn);
    case 'sink': return new SinkOperator(uid, ctx, spec.sink);
    case 'window': return new WindowOperator(uid, output, ctx, spec.window);
  }
}

/**
 * Instantiates a vertex's operators, each calling the next chained operator directly (no
 * queue, no copy) and writing its network edges through record writers. Head first.
 */
export function createOperatorChain(
  vertex: ExecutionVertex,
  writers: readonly RecordWriter[],
  contextFor: (op: PlannedOperator) => OperatorContext,
): StreamOperator[] {
  const operators: StreamOperator[] = new Array(vertex.operators.length);
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
    operators[i] = createOperator(op, routerOf(main, sides), contextFor(op));
  }
  return operators;
}
