import { WeirError } from '../../errors/index.js';
import { subtaskKey, type SubtaskId } from '../../graph/execution-plan.js';
import type { StateHandle, SubtaskCheckpointStats, TaskReport } from '../control-messages.js';
import type { CheckpointMetadata } from './checkpoint-metadata.js';

/** A triggered checkpoint, waiting for every subtask's ack. Immutable: decisions return a new one. */
export interface PendingCheckpoint {
  readonly checkpointId: number;
  readonly triggerTimestamp: number;
  readonly final: boolean;
  /** Event-time checkpoints: the multiple of `eventTimeIntervalMs` the sources' combined watermark crossed. */
  readonly eventTimePosition?: number;
  readonly awaiting: ReadonlySet<string>;
  readonly acks: ReadonlyMap<string, { handles: StateHandle[]; stats: SubtaskCheckpointStats }>;
}

export function createPendingCheckpoint(checkpointId: number, triggerTimestamp: number, subtasks: readonly SubtaskId[], final: boolean, eventTimePosition?: number): PendingCheckpoint {
  return { checkpointId, triggerTimestamp, final, ...(eventTimePosition !== undefined ? { eventTimePosition } : {}), awaiting: new Set(subtasks.map(subtaskKey)), acks: new Map() };
}

export type AckDecision =
  | { kind: 'ignore'; reason: 'unknown-checkpoint' | 'duplicate' | 'unexpected-subtask' }
  | { kind: 'pending'; checkpoint: PendingCheckpoint }
  | { kind: 'complete'; checkpoint: PendingCheckpoint };

/** What an ack does to a pending checkpoint. */
export function onAck(pending: PendingCheckpoint | undefined, ack: Extract<TaskReport, { kind: 'ack' }>): AckDecision {
  if (pending === undefined || pending.checkpointId !== ack.checkpointId) return { kind: 'ignore', reason: 'unknown-checkpoint' };
  const key = subtaskKey(ack.subtask);
  if (pending.acks.has(key)) return { kind: 'ignore', reason: 'duplicate' };
  if (!pending.awaiting.has(key)) return { kind: 'ignore', reason: 'unexpected-subtask' };
  const awaiting = new Set(pending.awaiting);
  awaiting.delete(key);
  const acks = new Map(pending.acks).set(key, { handles: ack.handles, stats: ack.stats });
  const checkpoint = { ...pending, awaiting, acks };
  return awaiting.size === 0 ? { kind: 'complete', checkpoint } : { kind: 'pending', checkpoint };
}

export function toMetadata(
  pending: PendingCheckpoint,
  job: { jobName: string; epoch: number; maxParallelism: number; operatorParallelism: ReadonlyMap<string, number> },
  completedTimestamp: number,
): CheckpointMetadata {
  const operators: Record<string, { parallelism: number; handles: StateHandle[] }> = {};
  for (const [uid, parallelism] of job.operatorParallelism) operators[uid] = { parallelism, handles: [] };
  for (const { handles } of pending.acks.values()) {
    for (const h of handles) {
      const operator = operators[h.operatorUid];
      if (operator === undefined) throw new WeirError('CHECKPOINT_DECLINED', `checkpoint ${pending.checkpointId}: a state handle names operator '${h.operatorUid}', which the job does not have`, { domain: 'internal', retryable: true });
      operator.handles.push(h);
    }
  }
  // By UTF-16 code units, not localeCompare: the first localeCompare of a process loads ICU's
  // collator (15–90 ms measured in a fresh Deno process here), inside the checkpoint's duration.
  for (const o of Object.values(operators)) o.handles.sort((a, b) => a.subtaskIndex - b.subtaskIndex || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    jobName: job.jobName, checkpointId: pending.checkpointId, epoch: job.epoch, triggerTimestamp: pending.triggerTimestamp,
    completedTimestamp, maxParallelism: job.maxParallelism, final: pending.final, operators,
    ...(pending.eventTimePosition !== undefined ? { eventTimePosition: pending.eventTimePosition } : {}),
  };
}

/**
 * What a failed metadata write means, from reading the record back: a write may fail after it
 * landed (files: the rename done, the directory fsync failed). A checkpoint whose metadata is
 * visible is complete, and the chunks it points to must stay; one whose metadata is absent
 * failed, and its chunks are garbage; when the read fails too, nobody knows: the checkpoint
 * fails but its chunks stay (the restore-time sweep decides by what is visible then).
 */
export type MetadataWriteOutcome = 'landed' | 'absent' | 'unknown';

export function metadataWriteOutcome(written: Uint8Array, readBack: Uint8Array | undefined | 'unreadable'): MetadataWriteOutcome {
  if (readBack === 'unreadable') return 'unknown';
  if (readBack === undefined) return 'absent';
  if (readBack.byteLength !== written.byteLength) return 'unknown';
  for (let i = 0; i < written.byteLength; i++) if (readBack[i] !== written[i]) return 'unknown';
  return 'landed';
}
