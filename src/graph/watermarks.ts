/** Where a watermark generator puts what it decides (Flink's WatermarkOutput). */
export interface WatermarkOutput {
  /** Event time reached `timestamp`: no record with a smaller one should follow. Lower values than before are ignored. */
  emitWatermark(timestamp: number): void;
  /** This source subtask has nothing to say for now: downstream operators stop waiting for its watermark. */
  markIdle(): void;
  markActive(): void;
}

/** Decides watermarks from the records a source subtask reads (Flink's WatermarkGenerator). */
export interface WatermarkGenerator<T> {
  onEvent(record: T, timestamp: number, output: WatermarkOutput): void;
  /** Called every autoWatermarkInterval (env.setAutoWatermarkInterval, default 200 ms), checked after each batch a source reads. */
  onPeriodicEmit(output: WatermarkOutput): void;
}

/** What the runtime needs of a watermark strategy: plain functions, built anew in every worker. */
export interface WatermarkSpec {
  createGenerator(): WatermarkGenerator<unknown>;
  timestampOf(record: unknown, previousTimestamp: number | undefined): number;
  /** A source subtask that read nothing for this long is marked idle. */
  readonly idlenessMs: number | undefined;
}
