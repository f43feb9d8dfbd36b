import type { ExecutionVertex, PlannedOperator } from '../../graph/execution-plan.js';
import { KeyedProcessOperator } from '../operators/keyed-process-operator.js';
import { KeyedReduceOperator } from '../operators/keyed-reduce-operator.js';
import { ProcessOperator } from '../operators/process-operator.js';
import { SinkOperator } from '../operators/sink-operator.js';
import { SourceOperator } from '../operators/source-operator.js';
import { FilterOperator, FlatMapOperator, MapOperator } from '../operators/stateless-operators.js';
import type { OperatorContext, Output, StreamOperator } from '../operators/stream-operator.js';
import type { RecordWriter } from './record-writer.js';

const discard: Output = { collect() {} };

function fanOut(outputs: Output[]): Output {
  if (outputs.length === 0) return discard;
  if (outputs.length === 1) return outputs[0]!;
  return { collect: (value) => { for (const o of outputs) o.collect(value); } };
}

function createOperator(op: PlannedOperator, output: Output, ctx: OperatorContext): StreamOperator {
  const { spec, uid } = op;
  switch (spec.kind) {
    case 'source': return new SourceOperator(uid, output, ctx, spec.source);
    case 'map': return new MapOperator(uid, output, spec.fn);
    case 'filter': return new FilterOperator(uid, output, spec.fn);
    case 'flat-map': return new FlatMapOperator(uid, output, spec.fn);
    case 'process': return new ProcessOperator(uid, output, ctx, spec.fn);
    case 'keyed-reduce': return new KeyedReduceOperator(uid, output, ctx, spec.fn, spec.firstValue);
    case 'keyed-process': return new KeyedProcessOperator(uid, output, ctx, spec.fn);
    case 'sink': return new SinkOperator(uid, ctx, spec.sink);
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
    const outputs: Output[] = [...op.chainedOutputs.map((j) => operators[j]!), ...op.networkOutputs.map((j) => writers[j]!)];
    operators[i] = createOperator(op, fanOut(outputs), contextFor(op));
  }
  return operators;
}
