import { InvalidArgumentError } from '../../errors/index.js';
import type { Source } from '../source.js';
import { createStridedSplits, StridedSplitReader } from './strided-split-reader.js';

/** A bounded, replayable source of the given values (positions are indices into them). */
export function fromElements<T>(items: Iterable<T>): Source<T> {
  if (items === null || typeof items !== 'object' || typeof (items as Iterable<T>)[Symbol.iterator] !== 'function' || typeof items === 'string') {
    throw new InvalidArgumentError('sources.fromElements(items)', 'expected an array (or another iterable) of values');
  }
  const values = Array.from(items);
  return {
    kind: 'weir.source',
    name: `fromElements(${values.length})`,
    bounded: true,
    createSplits: (parallelism) => createStridedSplits(0, values.length, parallelism),
    createReader: (splits, ctx) => new StridedSplitReader(splits, ctx, (i) => values[i] as T, undefined),
  };
}
