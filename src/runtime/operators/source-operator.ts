import type { PollStatus, Source, SourceReader, SourceSplit } from '../../connectors/source.js';
import { WeirError } from '../../errors/index.js';
import type { WatermarkGenerator, WatermarkOutput, WatermarkSpec } from '../../graph/watermarks.js';
import { operatorStateAccess, OperatorStateStore } from '../../state/operator-state-store.js';
import { sleepOn } from './clock-sleep.js';
import type { OperatorContext, OperatorRestoreState, Output, StreamOperator } from './stream-operator.js';
import { userFunctionFailed } from './user-function-error.js';

/**
 * Drives a source reader: the task polls it when the outputs have room. Its state is the split
 * positions. With a watermark strategy it stamps each record with its timestamp, lets the
 * strategy's generator decide watermarks after every batch, and marks itself idle after the
 * strategy's idleness timeout. Every source ends with a final watermark (+Infinity), so every
 * event-time window fires before the job finishes.
 */
export class SourceOperator implements StreamOperator {
  private reader: SourceReader<unknown> | undefined;
  private readonly emit: (value: unknown) => void;
  private readonly forward: (value: unknown) => void;
  /**
   * Records the reader gave while the outputs were out of credit: they go on, in order, before
   * anything else of this source (a watermark must not overtake them), once credit is back.
   */
  private backlog: unknown[] = [];
  private backlogHead = 0;
  /** The watermark step after a poll waits for that poll's backlog. */
  private afterPollPending: boolean | undefined;
  private readonly generator: WatermarkGenerator<unknown> | undefined;
  private readonly watermarkOutput: WatermarkOutput;
  private previousTimestamp: number | undefined;
  private lastRecordAt = 0;
  private lastPeriodicEmitAt = -Infinity;
  private idle = false;
  /** Idle because the strategy's idleness timeout passed: the generator is not asked meanwhile (Flink's WatermarksWithIdleness). */
  private idleByTimeout = false;
  /** Records read from the source by this subtask (this attempt). */
  emitted = 0;
  currentWatermark = -Infinity;
  private readonly operatorState = new OperatorStateStore();

  constructor(
    readonly uid: string,
    private readonly output: Output,
    private readonly ctx: OperatorContext,
    private readonly source: Source<unknown>,
    private readonly watermarks?: WatermarkSpec,
  ) {
    this.watermarkOutput = {
      emitWatermark: (timestamp) => {
        if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) {
          throw userFunctionFailed(uid, 'watermark generator', new TypeError(`emitWatermark expects a number of milliseconds, got ${String(timestamp)}`));
        }
        if (timestamp <= this.currentWatermark) return;
        if (this.idle) this.setIdle(false); // a watermark makes the source active again, as in Flink
        this.currentWatermark = timestamp;
        this.output.emitWatermark(timestamp);
      },
      markIdle: () => this.setIdle(true),
      markActive: () => this.setIdle(false),
    };
    this.emit = (value) => {
      this.emitted++;
      if (ctx.pressure.blocked || ctx.pressure.suspended || this.backlogHead < this.backlog.length) this.backlog.push(value);
      else this.forward(value);
    };
    if (watermarks === undefined) {
      this.forward = (value) => output.collect(value);
      return;
    }
    try {
      this.generator = watermarks.createGenerator();
    } catch (error) {
      throw userFunctionFailed(uid, 'watermark strategy', error);
    }
    const { elementTimestamp } = ctx;
    this.forward = (value) => {
      let timestamp: number;
      try {
        timestamp = watermarks.timestampOf(value, this.previousTimestamp);
      } catch (error) {
        throw userFunctionFailed(uid, 'timestamp assigner', error);
      }
      if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
        throw new WeirError('USER_FUNCTION_FAILED', `operator '${uid}': the timestamp assigner returned ${String(timestamp)} for ${describeBriefly(value)}; it must return a finite number of milliseconds`, {
          domain: 'user', retryable: true, details: { operator: uid },
        });
      }
      this.previousTimestamp = timestamp;
      this.idleByTimeout = false;
      if (this.idle) this.setIdle(false);
      elementTimestamp.value = timestamp;
      try {
        this.generator!.onEvent(value, timestamp, this.watermarkOutput);
      } catch (error) {
        throw userFunctionFailed(uid, 'watermark generator', error);
      }
      output.collect(value);
    };
  }

  initialize(restored: OperatorRestoreState | undefined): void {
    const splits: SourceSplit[] =
      restored !== undefined
        ? (restored.operatorState as SourceSplit[])
        : this.source.createSplits(this.ctx.parallelism).filter((_, i) => i % this.ctx.parallelism === this.ctx.subtaskIndex);
    this.operatorState.restore(restored?.operatorLists ?? []);
    const { clock } = this.ctx;
    this.reader = this.source.createReader(splits, {
      ...operatorStateAccess(this.operatorState),
      subtaskIndex: this.ctx.subtaskIndex, parallelism: this.ctx.parallelism, jobName: this.ctx.jobName, sourceUid: this.uid, storage: this.ctx.storage,
      now: () => clock.now(),
      output: (tag, value) => {
        this.ctx.elementTimestamp.value = Number.NaN; // a side record carries no event time
        this.output.collectSide(tag.id, value);
      },
      sleep: (ms, signal) => sleepOn(clock, ms, signal),
      ...(this.ctx.commitFence !== undefined ? { fence: this.ctx.commitFence } : {}),
    });
    this.lastRecordAt = this.ctx.clock.now();
  }

  poll(max: number): PollStatus {
    const before = this.emitted;
    let status: PollStatus;
    try {
      status = this.reader!.poll(max, this.emit);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'source', error);
    }
    if (this.generator !== undefined) {
      if (this.midPoll || this.ctx.pressure.suspended) this.afterPollPending = (this.afterPollPending ?? false) || this.emitted > before;
      else this.afterPoll(this.emitted > before);
    }
    return status;
  }

  /** Records of the last poll still wait for credit, or its watermark step does. */
  get midPoll(): boolean {
    return this.backlogHead < this.backlog.length || this.afterPollPending !== undefined;
  }

  /** Forwards backlogged records until the outputs are out of credit again (or a record's output stopped halfway). */
  drainBacklog(): void {
    const { pressure } = this.ctx;
    while (this.backlogHead < this.backlog.length && !pressure.blocked && !pressure.suspended) this.forward(this.backlog[this.backlogHead++]);
    if (this.backlogHead < this.backlog.length || pressure.suspended) return;
    this.backlog = [];
    this.backlogHead = 0;
    const readSome = this.afterPollPending;
    this.afterPollPending = undefined;
    if (readSome !== undefined) this.afterPoll(readSome);
  }

  private afterPoll(readSome: boolean): void {
    const now = this.ctx.clock.now();
    if (readSome) this.lastRecordAt = now;
    if (!this.idleByTimeout && now - this.lastPeriodicEmitAt >= this.ctx.autoWatermarkIntervalMs) {
      this.lastPeriodicEmitAt = now;
      try {
        this.generator!.onPeriodicEmit(this.watermarkOutput);
      } catch (error) {
        throw userFunctionFailed(this.uid, 'watermark generator', error);
      }
    }
    const idleness = this.watermarks!.idlenessMs;
    if (idleness !== undefined && !this.idle && now - this.lastRecordAt >= idleness) {
      this.idleByTimeout = true;
      this.setIdle(true);
    }
  }

  /**
   * When the task must poll again even if the reader has nothing sooner: the idleness check and
   * the next periodic watermark do not wait for records (a silent source must still go idle).
   */
  nextDeadline(): number {
    if (this.generator === undefined) return Infinity;
    let deadline = Infinity;
    const idleness = this.watermarks!.idlenessMs;
    if (idleness !== undefined && !this.idle) deadline = this.lastRecordAt + idleness;
    const interval = this.ctx.autoWatermarkIntervalMs;
    if (interval > 0 && !this.idleByTimeout) deadline = Math.min(deadline, this.lastPeriodicEmitAt + interval);
    return deadline;
  }

  private setIdle(idle: boolean): void {
    if (this.idle === idle) return;
    this.idle = idle;
    this.ctx.emitWatermarkStatus(idle);
  }

  /** Sources have no input; records come from `poll`. */
  collect(): void {}

  processWatermark(): void {}

  endInput(): void {
    if (this.idle) this.setIdle(false);
    this.ctx.elementTimestamp.value = Number.NaN;
    this.currentWatermark = Infinity;
    this.output.emitWatermark(Infinity);
  }

  snapshotState(checkpointId: number) {
    return { operatorState: this.reader!.snapshotSplits(checkpointId), operatorLists: this.operatorState.snapshot() };
  }

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    try {
      await this.reader?.notifyCheckpointComplete?.(checkpointId);
    } catch (error) {
      throw userFunctionFailed(this.uid, 'source', error);
    }
  }

  close(): void {
    this.reader?.close?.();
  }
}

function describeBriefly(value: unknown): string {
  try {
    const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
