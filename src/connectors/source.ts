import type { CheckpointStorage, MetadataCondition } from '../state/checkpoint-storage.js';
import type { OperatorStateAccess } from '../state/operator-state-store.js';

/**
 * A replayable source, split as Flink's FLIP-27 sources are: a source describes its work as
 * splits (plain data), each reader owns some splits and reports their positions at a
 * checkpoint. Restoring hands the stored split positions back, redistributed over the new
 * parallelism, so a source rewinds exactly to the checkpoint.
 */
export type SourceSplit = Readonly<Record<string, unknown>>;

export type PollStatus =
  | { kind: 'more' }
  /** Every split is exhausted: the reader will never emit again. */
  | { kind: 'end' }
  /** Nothing to emit before `untilMs` on the clock (rate limits). */
  | { kind: 'wait'; untilMs: number }
  /**
   * FLIP-27's NOTHING_AVAILABLE with its `isAvailable()` future: nothing to emit now, and
   * `available` settles once there may be (a fetch finished, a record was appended). The task
   * polls again only then: an idle source costs nothing. A rejection fails the task with it.
   */
  | { kind: 'nothing'; available: PromiseLike<unknown> };

/**
 * Where a reader runs. Its split positions are its main state; `getOperatorListState` and
 * `getUnionListState` keep more (plain data lists, restored before the reader is created and
 * stored at every checkpoint after `snapshotSplits`).
 */
export interface SourceReaderContext extends OperatorStateAccess {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** The job and the source's uid: a reader that registers somewhere (an input log) names itself by them. */
  readonly jobName: string;
  readonly sourceUid: string;
  /** The job's storage, where input logs live. */
  readonly storage: CheckpointStorage;
  now(): number;
  /** Emits `value` to the side output `tag` (an OutputTag; `getSideOutput(tag)` on the source's stream reads it): dead letters of input that does not parse. Only during poll. */
  output(tag: { readonly id: string }, value: unknown): void;
  /** Resolves after `ms` on the job's clock (a reconnect's backoff), or at once when `signal` aborts; tests drive it with a ManualClock. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * The attempt's fence: what a reader writes or deletes in the job's storage for its own
   * bookkeeping (an input log's retention) is conditional on it, so a stopped attempt changes nothing.
   */
  readonly fence?: MetadataCondition;
}

/**
 * Reads the splits one subtask owns.
 * Must keep `poll` synchronous and cheap: fetches, storage reads and sockets run in the
 * background (started by the reader), and `poll` hands out what they buffered, returning
 * 'nothing' with a promise when the buffer is empty.
 * Must report in `snapshotSplits` the position of the first record not yet emitted, so that a
 * restore replays exactly what came after the checkpoint.
 */
export interface SourceReader<T> {
  /** Emits at most `max` records through `emit`, and says whether more may follow. */
  poll(max: number, emit: (value: T) => void): PollStatus;
  /** The position of every split the reader owns, as plain data, at checkpoint `checkpointId`. */
  snapshotSplits(checkpointId: number): SourceSplit[];
  /** Checkpoint `checkpointId` completed (its snapshot is durable): e.g. let an input log drop what it passed. */
  notifyCheckpointComplete?(checkpointId: number): Promise<void> | void;
  /** The task stops (finished, failed, cancelled): release connections and timers. */
  close?(): void;
}

export interface Source<T> {
  readonly kind: 'weir.source';
  readonly name: string;
  readonly bounded: boolean;
  /** The splits of a fresh start; they are dealt round-robin over the source's subtasks. */
  createSplits(parallelism: number): SourceSplit[];
  createReader(splits: readonly SourceSplit[], ctx: SourceReaderContext): SourceReader<T>;
}

export function isSource(value: unknown): value is Source<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'weir.source';
}
