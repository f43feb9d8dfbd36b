import { WeirError } from '../../errors/index.js';
import { keyGroupRangeOfSubtask, subtaskKey, type ExecutionPlan } from '../../graph/execution-plan.js';
import { rangesIntersect } from '../../graph/key-groups.js';
import type { OperatorRestore, RestoreAssignment } from '../control-messages.js';
import type { CheckpointMetadata } from './checkpoint-metadata.js';

/**
 * Refuses a checkpoint that holds state for operators this job does not have (matched by
 * uid), unless the user allows dropping that state; and one whose key groups differ.
 */
export function checkStateCompatibility(plan: ExecutionPlan, metadata: CheckpointMetadata, allowNonRestoredState: boolean): void {
  const uids = new Set(plan.vertices.flatMap((v) => v.operators.map((o) => o.uid)));
  const missing = Object.entries(metadata.operators)
    .filter(([uid, o]) => o.handles.length > 0 && !uids.has(uid))
    .map(([uid]) => uid);
  if (missing.length > 0 && !allowNonRestoredState) {
    throw new WeirError(
      'STATE_MISMATCH',
      `job '${plan.jobName}': checkpoint ${metadata.checkpointId} holds state for operators this job does not have: ${missing.map((u) => `'${u}'`).join(', ')}. ` +
        `Give those operators back their uid(…), or run with allowNonRestoredState: true to drop that state (or resume: 'none' to start over).`,
      { domain: 'user', retryable: false, details: { operators: missing, checkpointId: metadata.checkpointId } },
    );
  }
  checkChannelStateParallelism(plan, metadata);
  const hasKeyedState = Object.values(metadata.operators).some((o) => o.handles.some((h) => h.kind === 'keyed'));
  if (hasKeyedState && metadata.maxParallelism !== plan.maxParallelism) {
    throw new WeirError(
      'STATE_MISMATCH',
      `job '${plan.jobName}': checkpoint ${metadata.checkpointId} was taken with maxParallelism ${metadata.maxParallelism}, the job now has ${plan.maxParallelism}; keyed state cannot move between key-group counts`,
      { domain: 'user', retryable: false, details: { checkpointId: metadata.checkpointId } },
    );
  }
}

/**
 * Channel state restores only at the parallelism it was taken at: its records were in flight to
 * one subtask, and on another parallelism a keyed record would have to move to the subtask owning
 * its key group and a broadcast record be copied once per new subtask (see docs/decisions.md).
 */
function checkChannelStateParallelism(plan: ExecutionPlan, metadata: CheckpointMetadata): void {
  for (const vertex of plan.vertices) {
    for (const op of vertex.operators) {
      const stored = metadata.operators[op.uid];
      if (stored === undefined || stored.parallelism === vertex.parallelism || !stored.handles.some((h) => h.kind === 'channel')) continue;
      throw new WeirError(
        'STATE_MISMATCH',
        `job '${plan.jobName}': checkpoint ${metadata.checkpointId} is unaligned and holds records in flight to '${op.uid}' at parallelism ${stored.parallelism}; ` +
          `it cannot restore at parallelism ${vertex.parallelism}. Resume at parallelism ${stored.parallelism}, then take an aligned checkpoint or a savepoint (aligned) and rescale from that.`,
        { domain: 'user', retryable: false, details: { checkpointId: metadata.checkpointId, operator: op.uid, from: stored.parallelism, to: vertex.parallelism } },
      );
    }
  }
}

/**
 * Which stored state each subtask reads: keyed chunks whose key groups overlap its range,
 * and every operator-state chunk (the task deals the entries round-robin), so a checkpoint
 * restores at any parallelism.
 */
export function assignRestore(plan: ExecutionPlan, metadata: CheckpointMetadata): Map<string, RestoreAssignment> {
  const result = new Map<string, RestoreAssignment>();
  for (const vertex of plan.vertices) {
    for (let subtaskIndex = 0; subtaskIndex < vertex.parallelism; subtaskIndex++) {
      const range = keyGroupRangeOfSubtask(plan, { vertexId: vertex.id, subtaskIndex });
      const operators: Record<string, OperatorRestore> = {};
      for (const op of vertex.operators) {
        const stored = metadata.operators[op.uid];
        if (stored === undefined) continue;
        operators[op.uid] = {
          keyed: stored.handles.filter((h) => h.kind === 'keyed' && h.keyGroupRange !== undefined && rangesIntersect(h.keyGroupRange, range)),
          operator: stored.handles.filter((h) => h.kind === 'operator').sort((a, b) => a.subtaskIndex - b.subtaskIndex),
          channel: stored.handles.filter((h) => h.kind === 'channel' && h.subtaskIndex === subtaskIndex),
        };
      }
      const at = metadata.eventTimePosition;
      result.set(subtaskKey({ vertexId: vertex.id, subtaskIndex }), { checkpointId: metadata.checkpointId, operators, ...(at !== undefined ? { eventTimePosition: at } : {}) });
    }
  }
  return result;
}
