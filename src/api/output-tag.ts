import { requireString } from '../errors/index.js';
import type { OutputTagLike } from '../graph/user-functions.js';

/**
 * Names a side output, as Flink's OutputTag: a process function emits to it with
 * `ctx.output(tag, value)`, a window sends late records to it (`sideOutputLateData(tag)`), a
 * map sends the records it throws on to it (`map(fn, { deadLetters: tag })`); the stream that
 * produced them gives it back with `getSideOutput(tag)`. The id must be unique in the job.
 */
export class OutputTag<T> implements OutputTagLike<T> {
  declare readonly __type?: T;
  /** A brand, not instanceof: a job module may import another copy of Weir than the runtime that builds it. */
  readonly kind = 'weir.output-tag';
  readonly id: string;

  constructor(id: string) {
    this.id = requireString('new OutputTag(id)', id);
  }
}

export function isOutputTag(value: unknown): value is OutputTagLike<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'weir.output-tag' && typeof (value as { id?: unknown }).id === 'string';
}
