import type { ExecutionPlan } from '../graph/execution-plan.js';
import type { OperatorKind, PartitionerSpec } from '../graph/job-graph.js';

/** A job's execution plan as plain data: what a UI draws (operators chained into vertices, edges with their partitioners). */
export interface JobPlanView {
  readonly jobName: string;
  readonly maxParallelism: number;
  readonly vertices: readonly VertexView[];
}

export interface VertexView {
  readonly id: number;
  /** The chain's operator names joined by ' → '. */
  readonly name: string;
  readonly parallelism: number;
  /** Head first: several operators make a chain that runs in one task per subtask. */
  readonly operators: readonly { readonly uid: string; readonly name: string; readonly kind: OperatorKind }[];
  readonly inputs: readonly { readonly from: number; readonly partitioner: PartitionerSpec['kind'] }[];
}

export function planView(plan: ExecutionPlan): JobPlanView {
  return {
    jobName: plan.jobName,
    maxParallelism: plan.maxParallelism,
    vertices: plan.vertices.map((v) => ({
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      operators: v.operators.map((o) => ({ uid: o.uid, name: o.name, kind: o.spec.kind })),
      inputs: v.inputs.map((i) => ({ from: i.fromVertex, partitioner: i.partitioner.kind })),
    })),
  };
}
