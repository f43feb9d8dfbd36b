import type { KeyGroupRange } from '../../graph/key-groups.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import type { HeapKeyedStateBackend, KeyedStatePayload } from '../../state/heap-keyed-state-backend.js';
import type { Clock } from '../clock.js';
import type { JobWarning } from '../control-messages.js';
import type { ElementTimestamp } from './element-timestamp.js';
import type { OutputPressure } from './output-pressure.js';

/** What an operator's output feeds: the next chained operator, or a record writer. */
export interface Downstream {
  collect(value: unknown): void;
  /** Event time reached `timestamp` upstream: fire what that completes, then pass it on. */
  processWatermark(timestamp: number): void;
}

/** Where an operator sends what it emits: its main stream, its side outputs (by tag id), and watermarks (to all). */
export interface Output {
  collect(value: unknown): void;
  collectSide(tag: string, value: unknown): void;
  emitWatermark(timestamp: number): void;
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
  /** This attempt of this runner (storageLayout.attemptId): names what it stages. */
  readonly attemptId: string;
  /** Tells the job's user something went wrong that did not fail anything (the 'warning' event). */
  warn(warning: Omit<JobWarning, 'subtask'>): void;
  /** The timestamp of the record being processed (NaN: none); an operator sets it for what it emits from timers. */
  readonly elementTimestamp: ElementTimestamp;
  /** Whether the task's outputs have credit: an operator emitting many records for one input stops when they do not. */
  readonly pressure: OutputPressure;
  /** How often a source asks its watermark generator for a watermark (0: after every batch). */
  readonly autoWatermarkIntervalMs: number;
  /** A source tells downstream tasks it went idle (or active again): its watermark holds nothing back meanwhile. */
  emitWatermarkStatus(idle: boolean): void;
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
  /** Writes the snapshot started that must be stored before the subtask acks (a sink's staged data). */
  readonly durable?: Promise<void>;
}

export interface OperatorRestoreState {
  /** The checkpoint restored. */
  readonly checkpointId: number;
  readonly operatorState: unknown[];
  readonly keyedState: KeyedStatePayload[];
}

/**
 * One operator instance of a subtask. `collect` is its processElement: the task and the
 * upstream operator of the chain call it with each record. Keyed operators read the current
 * key from their backend, which the task sets before each call.
 */
export interface StreamOperator extends Downstream {
  readonly uid: string;
  readonly keyedBackend?: HeapKeyedStateBackend;
  /** Restores state (after the task read it) and may finish restore-time work, such as re-committing. */
  initialize(restored: OperatorRestoreState | undefined): Promise<void> | void;
  /** Must capture everything synchronously: the task encodes the result before the next record. */
  snapshotState(checkpointId: number): OperatorSnapshot;
  notifyCheckpointComplete?(checkpointId: number): Promise<void> | void;
  /** The operator's event time (the last watermark it processed), for metrics. */
  readonly currentWatermark?: number;
  /** Windows: records later than the allowed lateness dropped for want of a late-data side output, for metrics. */
  readonly lateRecordsDropped?: number;
  /** Every input ended: emit what is still held. */
  endInput?(): void;
  close?(): void;
}
