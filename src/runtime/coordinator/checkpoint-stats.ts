import type { SubtaskCheckpointStats } from '../control-messages.js';

/** One checkpoint as Flink's web UI shows it. */
export interface CheckpointStats {
  readonly id: number;
  readonly status: 'in-progress' | 'completed' | 'failed';
  readonly triggerTimestamp: number;
  /** End to end: trigger to completion (or failure). */
  readonly durationMs: number | undefined;
  /** Bytes of all the state the checkpoint references. */
  readonly stateSize: number;
  /** Bytes this checkpoint wrote: less than stateSize when unchanged key groups were reused (incremental). */
  readonly persistedSize: number;
  /** The longest barrier alignment of any subtask. */
  readonly alignmentDurationMs: number;
  /** Whether any subtask took it unaligned (FLIP-76), and the channel state they stored. */
  readonly unaligned: boolean;
  readonly channelStateSize: number;
  readonly channelStateRecords: number;
  /** The checkpoint taken after every input ended, which commits the last output. */
  readonly final: boolean;
  /** Event-time checkpoints (`eventTimeIntervalMs`): the multiple of the interval the sources' combined watermark crossed. */
  readonly eventTimePosition?: number;
  readonly failureReason?: string;
  readonly subtasks: readonly SubtaskCheckpointStats[];
}

export function statsOf(
  checkpoint: { checkpointId: number; triggerTimestamp: number; final: boolean; eventTimePosition?: number; acks: ReadonlyMap<string, { stats: SubtaskCheckpointStats }> },
  status: CheckpointStats['status'],
  now: number,
  failureReason?: string,
): CheckpointStats {
  const subtasks = [...checkpoint.acks.values()].map((a) => a.stats);
  return {
    id: checkpoint.checkpointId,
    status,
    triggerTimestamp: checkpoint.triggerTimestamp,
    durationMs: status === 'in-progress' ? undefined : now - checkpoint.triggerTimestamp,
    stateSize: subtasks.reduce((n, s) => n + s.stateSize, 0),
    persistedSize: subtasks.reduce((n, s) => n + s.persistedSize, 0),
    alignmentDurationMs: subtasks.reduce((m, s) => Math.max(m, s.alignmentDurationMs), 0),
    unaligned: subtasks.some((s) => s.unaligned === true),
    channelStateSize: subtasks.reduce((n, s) => n + (s.channelStateSize ?? 0), 0),
    channelStateRecords: subtasks.reduce((n, s) => n + (s.channelStateRecords ?? 0), 0),
    final: checkpoint.final,
    ...(checkpoint.eventTimePosition !== undefined ? { eventTimePosition: checkpoint.eventTimePosition } : {}),
    ...(failureReason !== undefined ? { failureReason } : {}),
    subtasks,
  };
}
