import type { ExecutionPlan } from '../../graph/execution-plan.js';
import type { JobWarning } from '../control-messages.js';

/**
 * What a job's user should hear before it runs: an exactly-once sink commits only at
 * checkpoints, so an unbounded job without a checkpoint interval commits nothing until a
 * checkpoint is triggered by hand, and its sinks' staged rows grow until then. Pure.
 */
export function startWarnings(plan: ExecutionPlan, checkpointIntervalMs: number | undefined): JobWarning[] {
  if (checkpointIntervalMs !== undefined) return [];
  const operators = plan.vertices.flatMap((v) => v.operators);
  const unbounded = operators.some((op) => op.spec.kind === 'source' && !op.spec.source.bounded);
  const exactlyOnce = operators.flatMap((op) => (op.spec.kind === 'sink' && op.spec.sink.guarantee === 'exactly-once' ? [`${op.spec.sink.name} ('${op.uid}')`] : []));
  if (!unbounded || exactlyOnce.length === 0) return [];
  return [{
    kind: 'no-periodic-checkpoints',
    message: `job '${plan.jobName}' reads an unbounded source without a checkpoint interval: its exactly-once sink(s) ${exactlyOnce.join(', ')} ` +
      'commit only at checkpoints, so nothing is committed until one is triggered, and what they stage grows until then. Pass checkpointing: { intervalMs }.',
  }];
}
