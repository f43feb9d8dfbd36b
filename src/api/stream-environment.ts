import { isSource, type Source } from '../connectors/source.js';
import { describeValue, InvalidArgumentError, requireNumber, requireOneOf, requireOptions, requirePositiveInteger } from '../errors/index.js';
import { MAX_MAX_PARALLELISM } from '../graph/key-groups.js';
import type { JobGraph } from '../graph/job-graph.js';
import { DataStream, applyOperatorSettings } from './data-stream.js';

export interface SourceOptions {
  uid?: string;
  name?: string;
  parallelism?: number;
  /** Event time: not available in this build yet (refused with a clear error). */
  watermarks?: unknown;
}

export type CheckpointingMode = 'exactly-once' | 'at-least-once';

/** What a job's build function receives: job-wide settings and the sources of its streams. */
export class StreamEnvironment {
  /** @internal */
  constructor(private readonly graph: JobGraph) {}

  /** The default parallelism of this job's operators (each may override it). */
  setParallelism(parallelism: number): this {
    this.graph.parallelism = requirePositiveInteger('setParallelism(parallelism)', parallelism, MAX_MAX_PARALLELISM);
    return this;
  }

  /** The number of key groups: the most subtasks keyed state can ever be split over. Default 128. */
  setMaxParallelism(maxParallelism: number): this {
    this.graph.maxParallelism = requirePositiveInteger('setMaxParallelism(maxParallelism)', maxParallelism, MAX_MAX_PARALLELISM);
    return this;
  }

  enableCheckpointing(intervalMs: number, mode: CheckpointingMode = 'exactly-once'): this {
    requireNumber('enableCheckpointing(intervalMs)', intervalMs, { min: 0, minExclusive: true });
    requireOneOf('enableCheckpointing(intervalMs, mode)', mode, ['exactly-once', 'at-least-once']);
    this.graph.checkpointing = { intervalMs, mode };
    return this;
  }

  fromSource<T>(source: Source<T>, options?: SourceOptions): DataStream<T> {
    if (!isSource(source)) {
      throw new InvalidArgumentError('fromSource(source)', `expected a source such as sources.sequence(…) or sources.fromElements(…), got ${describeValue(source)}`);
    }
    const o = requireOptions<SourceOptions>('fromSource(source, options)', options, ['uid', 'name', 'parallelism', 'watermarks']);
    if (o.watermarks !== undefined) {
      throw new InvalidArgumentError('fromSource(source, options).watermarks', 'event time (watermarks, windows) is not available in this build yet');
    }
    const node = this.graph.addNode({ kind: 'source', source: source as Source<unknown> }, [], source.name);
    const stream = new DataStream<T>(this.graph, [{ from: node.id, partitioner: { kind: 'forward' } }], node);
    applyOperatorSettings(stream, o, 'fromSource(source, options)');
    return stream;
  }
}
