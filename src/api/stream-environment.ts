import { isSource, type Source } from '../connectors/source.js';
import { describeValue, InvalidArgumentError, requireNumber, requireOneOf, requireOptions, requirePositiveInteger } from '../errors/index.js';
import { MAX_MAX_PARALLELISM } from '../graph/key-groups.js';
import type { JobGraph } from '../graph/job-graph.js';
import type { WatermarkSpec } from '../graph/watermarks.js';
import { DataStream, applyOperatorSettings } from './data-stream.js';
import { isWatermarkStrategy, type WatermarkStrategy } from './watermark-strategy.js';

export interface SourceOptions<T = unknown> {
  uid?: string;
  name?: string;
  parallelism?: number;
  /** Event time: how records get timestamps and how watermarks follow them. */
  watermarks?: WatermarkStrategy<T>;
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

  /**
   * How often a source with a watermark strategy asks its generator for a watermark (Flink's
   * autoWatermarkInterval, default 200 ms). 0: after every batch it reads — the most prompt
   * windows, at the cost of an event (and a flushed batch) per batch.
   */
  setAutoWatermarkInterval(intervalMs: number): this {
    this.graph.autoWatermarkIntervalMs = requireNumber('setAutoWatermarkInterval(intervalMs)', intervalMs, { min: 0 });
    return this;
  }

  fromSource<T>(source: Source<T>, options?: SourceOptions<T>): DataStream<T> {
    if (!isSource(source)) {
      throw new InvalidArgumentError('fromSource(source)', `expected a source such as sources.sequence(…) or sources.fromElements(…), got ${describeValue(source)}`);
    }
    const o = requireOptions<SourceOptions<T>>('fromSource(source, options)', options, ['uid', 'name', 'parallelism', 'watermarks']);
    let watermarks: WatermarkSpec | undefined;
    if (o.watermarks !== undefined) {
      if (!isWatermarkStrategy(o.watermarks)) {
        throw new InvalidArgumentError('fromSource(source, options).watermarks', `expected a WatermarkStrategy such as WatermarkStrategy.forBoundedOutOfOrderness(1000).withTimestampAssigner((r) => r.ts), got ${describeValue(o.watermarks)}`);
      }
      watermarks = o.watermarks.toSpec('fromSource(source, options).watermarks');
    }
    const spec = { kind: 'source' as const, source: source as Source<unknown>, ...(watermarks === undefined ? {} : { watermarks }) };
    const node = this.graph.addNode(spec, [], source.name);
    const stream = new DataStream<T>(this.graph, [{ from: node.id, partitioner: { kind: 'forward' } }], node);
    applyOperatorSettings(stream, o, 'fromSource(source, options)');
    return stream;
  }
}
