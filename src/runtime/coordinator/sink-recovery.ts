import type { ExecutionPlan } from '../../graph/execution-plan.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';

/**
 * Asks every sink of the job to take back what came after `checkpointId` (connectors/sink.ts,
 * Sink.rollBack), one after another. The control plane knows no sink's layout: each owns its own.
 */
export async function rollBackSinks(
  plan: ExecutionPlan, storage: CheckpointStorage, fence: MetadataCondition, checkpointId: number, fellBackFrom?: number,
): Promise<void> {
  for (const vertex of plan.vertices) {
    for (const op of vertex.operators) {
      if (op.spec.kind !== 'sink' || op.spec.sink.rollBack === undefined) continue;
      await op.spec.sink.rollBack({ jobName: plan.jobName, sinkUid: op.uid, storage, fence, ...(fellBackFrom !== undefined ? { fellBackFrom } : {}) }, checkpointId);
    }
  }
}
