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
  /** Nothing to emit before `untilMs` on the clock (rate limits, idle feeds). */
  | { kind: 'wait'; untilMs: number };

export interface SourceReaderContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  now(): number;
}

export interface SourceReader<T> {
  /** Emits at most `max` records through `emit`, and says whether more may follow. */
  poll(max: number, emit: (value: T) => void): PollStatus;
  /** The position of every split the reader owns, as plain data. */
  snapshotSplits(): SourceSplit[];
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
