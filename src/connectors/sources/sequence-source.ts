import { requireInteger, requireNumber, requireOptions } from '../../errors/index.js';
import type { Source } from '../source.js';
import { createStridedSplits, StridedSplitReader } from './strided-split-reader.js';

export interface SequenceOptions {
  from: number;
  /** Exclusive. Omit for an unbounded sequence. */
  to?: number;
  /** The whole source's rate, shared by its subtasks. Omit for as fast as possible. */
  ratePerSecond?: number;
}

/** The integers `from`..`to - 1`, split over the source's parallelism, replayable from offsets. */
export function sequence(options: SequenceOptions): Source<number> {
  const o = requireOptions<SequenceOptions>('sources.sequence(options)', options, ['from', 'to', 'ratePerSecond']);
  const from = requireInteger('sources.sequence(options).from', o.from);
  const to = o.to === undefined ? Infinity : requireInteger('sources.sequence(options).to', o.to, { min: from });
  const rate = o.ratePerSecond === undefined ? undefined : requireNumber('sources.sequence(options).ratePerSecond', o.ratePerSecond, { min: 0, minExclusive: true });
  return {
    kind: 'weir.source',
    name: to === Infinity ? `sequence(${from}..)` : `sequence(${from}..${to})`,
    bounded: to !== Infinity,
    createSplits: (parallelism) => createStridedSplits(from, to, parallelism),
    createReader: (splits, ctx) => new StridedSplitReader(splits, ctx, (n) => n, rate),
  };
}
