import { WeirError } from '../errors/index.js';
import { DEFAULT_MAX_PARALLELISM, keyGroupRangeOf, type KeyGroupRange } from './key-groups.js';
import type { JobGraph, OperatorSpec, PartitionerSpec, StreamNode } from './job-graph.js';

/** An operator inside a chain; the head is index 0, the others follow a forward edge. */
export interface PlannedOperator {
  readonly nodeId: number;
  readonly uid: string;
  readonly name: string;
  readonly spec: OperatorSpec;
  /** Indices (in the chain) of the operators this one calls directly. */
  readonly chainedOutputs: number[];
  /** Indices (in the vertex's `outputs`) of the network edges this one writes to. */
  readonly networkOutputs: number[];
  /** The same for side outputs, with the tag each one carries. */
  readonly sideChainedOutputs: { readonly index: number; readonly tag: string }[];
  readonly sideNetworkOutputs: { readonly index: number; readonly tag: string }[];
}

export interface VertexInput {
  readonly fromVertex: number;
  readonly partitioner: PartitionerSpec;
}

export interface VertexOutput {
  readonly toVertex: number;
  /** Which of the target vertex's inputs this edge is. */
  readonly targetInput: number;
  readonly partitioner: PartitionerSpec;
}

/** A chain of operators that runs as one task per subtask (Flink's JobVertex). */
export interface ExecutionVertex {
  readonly id: number;
  readonly name: string;
  readonly parallelism: number;
  readonly operators: PlannedOperator[];
  readonly inputs: VertexInput[];
  readonly outputs: VertexOutput[];
  readonly isSource: boolean;
}

export interface ExecutionPlan {
  readonly jobName: string;
  readonly maxParallelism: number;
  /** Records carry event-time timestamps across the network (some source has a watermark strategy). */
  readonly eventTime: boolean;
  readonly autoWatermarkIntervalMs: number;
  readonly vertices: ExecutionVertex[];
}

/** A subtask's identity, as plain data (it crosses the control plane). */
export interface SubtaskId {
  readonly vertexId: number;
  readonly subtaskIndex: number;
}

export const subtaskKey = (s: SubtaskId) => `${s.vertexId}.${s.subtaskIndex}`;

export function keyGroupRangeOfSubtask(plan: ExecutionPlan, s: SubtaskId): KeyGroupRange {
  const vertex = plan.vertices[s.vertexId]!;
  return keyGroupRangeOf(s.subtaskIndex, vertex.parallelism, plan.maxParallelism);
}

/**
 * Resolves parallelism and chains operators over forward edges of equal parallelism, as
 * Flink's StreamingJobGraphGenerator does. A forward edge between different parallelisms
 * becomes a rebalance (Flink does the same).
 */
export function buildExecutionPlan(graph: JobGraph, defaultParallelism: number): ExecutionPlan {
  const maxParallelism = graph.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
  const parallelismOf = (n: StreamNode) => n.parallelism ?? graph.parallelism ?? defaultParallelism;
  const vertices: ExecutionVertex[] = [];
  const placement = new Map<number, { vertex: ExecutionVertex; index: number }>();

  for (const node of graph.nodes) {
    const parallelism = parallelismOf(node);
    if (parallelism > maxParallelism) {
      throw new WeirError('INVALID_GRAPH', `operator '${node.uid}' has parallelism ${parallelism}, above the job's maxParallelism ${maxParallelism}`, {
        domain: 'user', retryable: false, details: { operator: node.uid },
      });
    }
    const operator: PlannedOperator = { nodeId: node.id, uid: node.uid, name: node.name, spec: node.spec, chainedOutputs: [], networkOutputs: [], sideChainedOutputs: [], sideNetworkOutputs: [] };
    const only = node.inputs.length === 1 ? node.inputs[0]! : undefined;
    const upstream = only === undefined ? undefined : placement.get(only.from);
    if (only !== undefined && upstream !== undefined && only.partitioner.kind === 'forward' && upstream.vertex.parallelism === parallelism) {
      const chain = upstream.vertex;
      const from = chain.operators[upstream.index]!;
      if (only.sideOutput === undefined) from.chainedOutputs.push(chain.operators.length);
      else from.sideChainedOutputs.push({ index: chain.operators.length, tag: only.sideOutput });
      placement.set(node.id, { vertex: chain, index: chain.operators.length });
      chain.operators.push(operator);
      continue;
    }
    const vertex: ExecutionVertex = {
      id: vertices.length, name: node.name, parallelism, operators: [operator], inputs: [], outputs: [], isSource: node.spec.kind === 'source',
    };
    for (const edge of node.inputs) {
      const from = placement.get(edge.from)!;
      const partitioner: PartitionerSpec =
        edge.partitioner.kind === 'forward' && from.vertex.parallelism !== parallelism ? { kind: 'rebalance' } : edge.partitioner;
      const producer = from.vertex.operators[from.index]!;
      if (edge.sideOutput === undefined) producer.networkOutputs.push(from.vertex.outputs.length);
      else producer.sideNetworkOutputs.push({ index: from.vertex.outputs.length, tag: edge.sideOutput });
      from.vertex.outputs.push({ toVertex: vertex.id, targetInput: vertex.inputs.length, partitioner });
      vertex.inputs.push({ fromVertex: from.vertex.id, partitioner });
    }
    vertices.push(vertex);
    placement.set(node.id, { vertex, index: 0 });
  }
  for (const v of vertices) if (v.operators.length > 1) (v as { name: string }).name = v.operators.map((o) => o.name).join(' → ');
  return { jobName: graph.jobName, maxParallelism, eventTime: graph.eventTime, autoWatermarkIntervalMs: graph.autoWatermarkIntervalMs, vertices };
}

/**
 * The upstream subtasks that feed subtask `d` of a vertex through one input: every upstream
 * subtask, except on a forward edge, which is pointwise.
 */
export function upstreamSubtasksOf(plan: ExecutionPlan, input: VertexInput, subtaskIndex: number): number[] {
  if (input.partitioner.kind === 'forward') return [subtaskIndex];
  return Array.from({ length: plan.vertices[input.fromVertex]!.parallelism }, (_, i) => i);
}
