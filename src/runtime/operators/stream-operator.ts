import type { KeyGroupRange } from '../../graph/key-groups.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import type { EncodedKeyedChunk, HeapKeyedStateBackend, KeyedStatePayload } from '../../state/heap-keyed-state-backend.js';
import type { StateKey } from '../../state/keyed-state.js';
import type { OperatorList } from '../../state/operator-state-store.js';
import type { Clock } from '../clock.js';
import type { JobWarning } from '../control-messages.js';
import type { ElementTimestamp } from './element-timestamp.js';
import type { OutputPressure } from './output-pressure.js';

/** What an operator's output feeds: the next chained operator, or a record writer. */
export interface Downstream {
  collect(value: unknown): void;
  /**
   * Records [0, n) of `records`, each with its timestamp in `timestamps` when the job has event
   * time (else undefined): the chain's main path, a batch at a time, so each operator is one loop.
   * Must consume them before returning and keep neither array: the caller reuses both.
   * Operators without it get the records one `collect` at a time.
   */
  collectBatch?(records: readonly unknown[], n: number, timestamps: readonly number[] | undefined): void;
  /** Event time reached `timestamp` upstream: fire what that completes, then pass it on. */
  processWatermark(timestamp: number): void;
}

/**
 * Where an operator sends what it emits: its main stream, its side outputs (by tag id), and
 * watermarks (to all). What `collect` gets is buffered into batches for the operators after it;
 * the task flushes every output of the chain before it takes the next input, so nothing waits.
 */
export interface Output {
  collect(value: unknown): void;
  /** A whole batch (see Downstream.collectBatch), after what `collect` buffered. */
  collectBatch(records: readonly unknown[], n: number, timestamps: readonly number[] | undefined): void;
  collectSide(tag: string, value: unknown): void;
  emitWatermark(timestamp: number): void;
  /** Sends on what `collect` buffered. */
  flush(): void;
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
  /** Named operator lists (the user's operator state), each its own chunk. */
  readonly operatorLists?: readonly OperatorList[];
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
  /** Each stored subtask's operator state as it stored it, in subtask order (broadcast state takes one copy). */
  readonly operatorStateBySubtask?: readonly (readonly unknown[])[];
  /** This subtask's share of each named operator list. */
  readonly operatorLists?: readonly OperatorList[];
  /** Keyed chunks decoded (timers, the watermark; and any a caller decoded itself). */
  readonly keyedState: KeyedStatePayload[];
  /** Key-group state checked but not decoded: hand it to the backend's restore, which decodes it as needed. */
  readonly encodedKeyed?: readonly EncodedKeyedChunk[];
}

/**
 * One operator instance of a subtask. `collect` is its processElement: the task and the
 * upstream operator of the chain call it with each record. Keyed operators read the current
 * key from their backend, which the task sets before each call.
 */
export interface StreamOperator extends Downstream {
  readonly uid: string;
  readonly keyedBackend?: HeapKeyedStateBackend;
  /**
   * A keyed operator at a chain's head: a batch from a keyed channel, with each record's key and
   * key group (computed once, by the sender). Without it the task sets the current key per record.
   * Must consume them before returning and keep no array: the batch's sender fills them again.
   */
  collectKeyed?(records: readonly unknown[], keys: readonly StateKey[], keyGroups: readonly number[], n: number, timestamps: readonly number[] | undefined): void;
  /**
   * A keyed operator at a chain's head that finds its state by key alone: a batch from a keyed
   * channel that came with keys and without key groups (an edge with one downstream subtask: the
   * sender computes none). Without it the task computes the groups for collectKeyed or collect.
   * Must consume them before returning and keep no array, as collectKeyed.
   */
  collectKeyedByKey?(records: readonly unknown[], keys: readonly StateKey[], n: number, timestamps: readonly number[] | undefined): void;
  /** A two-input operator at a chain's head: the input the next records come from (the task sets it per batch). */
  selectInput?(side: 1 | 2): void;
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
