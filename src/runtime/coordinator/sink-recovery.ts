import type { SinkRecoveryContext } from '../../connectors/sink.js';
import type { ExecutionPlan } from '../../graph/execution-plan.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';

/** Where the control plane runs a sink's recovery and post-commit steps. */
export interface SinkControlContext {
  readonly storage: CheckpointStorage;
  readonly fence: MetadataCondition;
  readonly attemptId: string;
}

/**
 * Asks every sink of the job to take back what came after `checkpointId` (connectors/sink.ts,
 * Sink.rollBack), one after another. The control plane knows no sink's layout: each owns its own.
 */
export async function rollBackSinks(plan: ExecutionPlan, control: SinkControlContext, checkpointId: number, fellBackFrom?: number): Promise<void> {
  for (const { sink, ctx } of sinksOf(plan, control)) {
    await sink.rollBack?.({ ...ctx, ...(fellBackFrom !== undefined ? { fellBackFrom } : {}) }, checkpointId);
  }
}

/**
 * Runs every sink's post-commit step (Sink.postCommit) after a checkpoint every subtask committed,
 * with the settled checkpoint. A sink's failure does not keep the others from theirs; the first
 * failure is rethrown once all ran.
 */
export async function postCommitSinks(plan: ExecutionPlan, control: SinkControlContext, settledCheckpointId: number): Promise<void> {
  let failure: { error: unknown } | undefined;
  for (const { sink, ctx } of sinksOf(plan, control)) {
    try {
      await sink.postCommit?.(ctx, settledCheckpointId);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}

function sinksOf(plan: ExecutionPlan, control: SinkControlContext) {
  return plan.vertices.flatMap((vertex) => vertex.operators.flatMap((op) => op.spec.kind === 'sink'
    ? [{ sink: op.spec.sink, ctx: { jobName: plan.jobName, sinkUid: op.uid, ...control } satisfies SinkRecoveryContext }]
    : []));
}
