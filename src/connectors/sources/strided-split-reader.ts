import type { PollStatus, SourceReader, SourceReaderContext, SourceSplit } from '../source.js';

/**
 * A split over the integers next, next + step, … (below end). Sequences emit the integers;
 * element lists emit the items at those indices. Strided splits keep their meaning at any
 * parallelism, so the positions stored in a checkpoint can be dealt to more or fewer readers.
 */
export interface StridedSplit extends SourceSplit {
  readonly next: number;
  readonly step: number;
  /** Exclusive; Infinity for an unbounded sequence. */
  readonly end: number;
}

export function createStridedSplits(from: number, end: number, count: number): StridedSplit[] {
  return Array.from({ length: count }, (_, i) => ({ next: from + i, step: count, end }));
}

export function isStridedSplit(value: unknown): value is StridedSplit {
  const s = value as StridedSplit;
  return typeof s === 'object' && s !== null && typeof s.next === 'number' && typeof s.step === 'number' && typeof s.end === 'number';
}

export class StridedSplitReader<T> implements SourceReader<T> {
  private readonly splits: { next: number; step: number; end: number }[];
  private cursor = 0;
  private readonly startedAt: number;
  private emitted = 0;
  /** Records per millisecond this reader may emit; Infinity when unlimited. */
  private readonly ratePerMs: number;

  constructor(
    splits: readonly SourceSplit[],
    private readonly ctx: SourceReaderContext,
    private readonly valueAt: (index: number) => T,
    ratePerSecond: number | undefined,
  ) {
    this.splits = splits.filter(isStridedSplit).filter((s) => s.next < s.end).map((s) => ({ ...s }));
    this.startedAt = ctx.now();
    this.ratePerMs = ratePerSecond === undefined ? Infinity : ratePerSecond / ctx.parallelism / 1000;
  }

  poll(max: number, emit: (value: T) => void): PollStatus {
    if (this.splits.length === 0) return { kind: 'end' };
    let budget = max;
    if (this.ratePerMs !== Infinity) {
      const elapsed = this.ctx.now() - this.startedAt;
      const allowed = Math.floor(elapsed * this.ratePerMs) + 1 - this.emitted;
      if (allowed <= 0) {
        return { kind: 'wait', untilMs: this.startedAt + this.emitted / this.ratePerMs };
      }
      budget = Math.min(budget, allowed);
    }
    if (this.splits.length > 1) return this.pollInOrder(budget, emit);
    const split = this.splits[this.cursor % this.splits.length]!;
    let { next } = split;
    const { step, end } = split;
    let n = 0;
    while (n < budget && next < end) {
      emit(this.valueAt(next));
      next += step;
      n++;
    }
    split.next = next;
    this.emitted += n;
    if (next >= end) this.splits.splice(this.cursor % this.splits.length, 1);
    else this.cursor++;
    return this.splits.length === 0 ? { kind: 'end' } : { kind: 'more' };
  }

  /**
   * Several splits (a restore at a lower parallelism dealt them here): the smallest index first, so
   * the records come in the order of their positions, as one reader of them all would emit them.
   * A split at a time would run one split's event time far ahead of the others', and their records
   * would come late to every window downstream.
   */
  private pollInOrder(budget: number, emit: (value: T) => void): PollStatus {
    const splits = this.splits;
    let n = 0;
    while (n < budget && splits.length > 0) {
      let at = 0;
      for (let i = 1; i < splits.length; i++) if (splits[i]!.next < splits[at]!.next) at = i;
      const split = splits[at]!;
      emit(this.valueAt(split.next));
      split.next += split.step;
      n++;
      if (split.next >= split.end) splits.splice(at, 1);
    }
    this.emitted += n;
    return splits.length === 0 ? { kind: 'end' } : { kind: 'more' };
  }

  snapshotSplits(): SourceSplit[] {
    return this.splits.map((s) => ({ next: s.next, step: s.step, end: s.end }));
  }
}
