import type { KeyGroupRange } from '../../graph/key-groups.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import type { HeapKeyedStateBackend, KeyedStatePayload } from '../../state/heap-keyed-state-backend.js';
import type { Clock } from '../clock.js';

/** Where an operator sends what it emits: the next chained operator(s) or a record writer. */
export interface Output {
  collect(value: unknown): void;
}

export interface OperatorContext {
  readonly jobName: string;
  readonly operatorUid: string;
  readonly operatorName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  readonly clock: Clock;
  readonly storage: CheckpointStorage;
  readonly commitFence: MetadataCondition | undefined;
  /** Runs `callback` in the task's mailbox once the clock reaches `timestamp`. */
  scheduleAt(timestamp: number, callback: () => void): { cancel(): void };
}

/** What an operator's snapshot holds, before encoding. */
export interface OperatorSnapshot {
  /** List state, redistributed round-robin when restored at another parallelism. */
  readonly operatorState?: unknown[];
  /** Keyed state, written span by span, unchanged spans reused (incremental). */
  readonly keyedBackend?: HeapKeyedStateBackend;
  /** Keyed data rewritten in full each time (timers), over the subtask's key groups. */
  readonly keyedExtra?: KeyedStatePayload;
}

export interface OperatorRestoreState {
  readonly operatorState: unknown[];
  readonly keyedState: KeyedStatePayload[];
}

/**
 * One operator instance of a subtask. `collect` is its processElement: the task and the
 * upstream operator of the chain call it with each record. Keyed operators read the current
 * key from their backend, which the task sets before each call.
 */
export interface StreamOperator extends Output {
  readonly uid: string;
  readonly keyedBackend?: HeapKeyedStateBackend;
  /** Restores state (after the task read it) and may finish restore-time work, such as re-committing. */
  initialize(restored: OperatorRestoreState | undefined): Promise<void> | void;
  /** Must capture everything synchronously: the task encodes the result before the next record. */
  snapshotState(checkpointId: number): OperatorSnapshot;
  notifyCheckpointComplete?(checkpointId: number): Promise<void> | void;
  /** Every input ended: emit what is still held. */
  endInput?(): void;
  close?(): void;
}
