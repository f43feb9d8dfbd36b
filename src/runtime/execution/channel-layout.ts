import { subtaskKey, upstreamSubtasksOf, type ExecutionPlan } from '../../graph/execution-plan.js';

/** One logical channel of a deployed plan, numbered identically wherever it is computed. */
export interface ChannelSpec {
  readonly id: number;
  readonly from: { readonly vertexId: number; readonly subtaskIndex: number };
  readonly to: { readonly vertexId: number; readonly subtaskIndex: number };
  /** Which output edge of the upstream vertex, and which of that edge's senders. */
  readonly outputEdge: number;
  readonly senderSlot: number;
  /** Position among the downstream task's input channels (its gate order). */
  readonly gatePosition: number;
}

/**
 * Every channel of a plan, in a fixed order: by downstream vertex, input, subtask, then
 * upstream subtask. The runner and each worker compute it from the same plan, so a channel
 * id means the same thing on both ends of a MessagePort.
 */
export function layoutChannels(plan: ExecutionPlan): ChannelSpec[] {
  const specs: ChannelSpec[] = [];
  const gateSizes = new Map<string, number>();
  for (const v of plan.vertices) {
    v.inputs.forEach((input, inputIndex) => {
      const from = plan.vertices[input.fromVertex]!;
      const outputEdge = from.outputs.findIndex((o) => o.toVertex === v.id && o.targetInput === inputIndex);
      for (let d = 0; d < v.parallelism; d++) {
        const key = subtaskKey({ vertexId: v.id, subtaskIndex: d });
        for (const u of upstreamSubtasksOf(plan, input, d)) {
          const gatePosition = gateSizes.get(key) ?? 0;
          gateSizes.set(key, gatePosition + 1);
          specs.push({
            id: specs.length,
            from: { vertexId: from.id, subtaskIndex: u },
            to: { vertexId: v.id, subtaskIndex: d },
            outputEdge,
            senderSlot: input.partitioner.kind === 'forward' ? 0 : d,
            gatePosition,
          });
        }
      }
    });
  }
  return specs;
}
