import { InvalidArgumentError, requireFunction, requireNumber } from '../errors/index.js';
import type { WatermarkGenerator, WatermarkOutput, WatermarkSpec } from '../graph/watermarks.js';

export type TimestampAssigner<T> = (record: T, previousTimestamp: number | undefined) => number;

/**
 * How a source's records get event-time timestamps and how watermarks follow them, as in
 * Flink: `WatermarkStrategy.forBoundedOutOfOrderness<T>(ms).withTimestampAssigner((r) => r.ts)`.
 * Immutable: every `with…` returns a new strategy.
 */
export class WatermarkStrategy<T> {
  /** A brand, not instanceof: a job module may import another copy of Weir than the runtime that builds it (a worker bundle). */
  readonly kind = 'weir.watermark-strategy';

  private constructor(
    private readonly generatorFactory: () => WatermarkGenerator<T>,
    private readonly assigner: TimestampAssigner<T> | undefined,
    private readonly idlenessMs: number | undefined,
  ) {}

  /**
   * Records may arrive up to `maxOutOfOrdernessMs` behind the latest one: the watermark trails
   * the highest timestamp seen by that much (minus 1 ms, as Flink: a record exactly that late is
   * still on time).
   */
  static forBoundedOutOfOrderness<T = any>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    const bound = requireNumber('WatermarkStrategy.forBoundedOutOfOrderness(maxOutOfOrdernessMs)', maxOutOfOrdernessMs, { min: 0 });
    return new WatermarkStrategy<T>(() => boundedOutOfOrderness(bound), undefined, undefined);
  }

  /** Timestamps only ever grow: the watermark is the latest timestamp (minus 1 ms). */
  static forMonotonousTimestamps<T = any>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => boundedOutOfOrderness(0), undefined, undefined);
  }

  /** Your own generator (Flink's WatermarkGenerator): `onEvent` and `onPeriodicEmit`, created anew for each source subtask. */
  static forGenerator<T = any>(createGenerator: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    requireFunction('WatermarkStrategy.forGenerator(createGenerator)', createGenerator);
    const checked = () => {
      const generator = createGenerator();
      if (typeof generator !== 'object' || generator === null || typeof generator.onEvent !== 'function' || typeof generator.onPeriodicEmit !== 'function') {
        throw new InvalidArgumentError('WatermarkStrategy.forGenerator(createGenerator)', 'must return an object with onEvent(record, timestamp, output) and onPeriodicEmit(output) methods');
      }
      return generator;
    };
    return new WatermarkStrategy<T>(checked, undefined, undefined);
  }

  /** Where each record's timestamp (milliseconds) comes from. Required. */
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    requireFunction('withTimestampAssigner(assigner)', assigner);
    return new WatermarkStrategy<T>(this.generatorFactory, assigner, this.idlenessMs);
  }

  /** A source subtask that reads nothing for `idleMs` is marked idle, so it does not hold back the watermark of the operators it feeds. */
  withIdleness(idleMs: number): WatermarkStrategy<T> {
    const ms = requireNumber('withIdleness(idleMs)', idleMs, { min: 0, minExclusive: true });
    return new WatermarkStrategy<T>(this.generatorFactory, this.assigner, ms);
  }

  /** @internal What the runtime needs; refuses a strategy without a timestamp assigner. */
  toSpec(argument: string): WatermarkSpec {
    const assigner = this.assigner;
    if (assigner === undefined) {
      throw new InvalidArgumentError(argument, 'has no timestamp assigner: add .withTimestampAssigner((record) => record.timestamp)');
    }
    return {
      createGenerator: this.generatorFactory as () => WatermarkGenerator<unknown>,
      timestampOf: assigner as TimestampAssigner<unknown>,
      idlenessMs: this.idlenessMs,
    };
  }
}

function boundedOutOfOrderness(bound: number): WatermarkGenerator<unknown> {
  let maxTimestamp = -Infinity;
  return {
    onEvent(_record: unknown, timestamp: number) {
      if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    },
    onPeriodicEmit(output: WatermarkOutput) {
      if (maxTimestamp !== -Infinity) output.emitWatermark(maxTimestamp - bound - 1);
    },
  };
}

export function isWatermarkStrategy(value: unknown): value is WatermarkStrategy<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'weir.watermark-strategy'
    && typeof (value as { toSpec?: unknown }).toSpec === 'function';
}
