/**
 * Combines the watermarks of a task's input channels into the task's event time, as Flink's
 * StatusWatermarkValve does: the minimum over the channels that are active and aligned
 * (caught up with the last combined watermark); idle and ended channels hold nothing back.
 * The combined watermark never goes back. When every open channel is idle, so is the task, and
 * the highest watermark any channel reached goes out.
 */
export class WatermarkValve {
  private readonly watermarks: Float64Array;
  private readonly idle: boolean[];
  private readonly ended: boolean[];
  /** A channel that came back from idle behind the combined watermark joins the minimum once it catches up. */
  private readonly aligned: boolean[];
  private combined = -Infinity;
  private allIdle = false;

  constructor(channels: number) {
    this.watermarks = new Float64Array(channels).fill(-Infinity);
    this.idle = new Array<boolean>(channels).fill(false);
    this.ended = new Array<boolean>(channels).fill(false);
    this.aligned = new Array<boolean>(channels).fill(true);
  }

  get watermark(): number {
    return this.combined;
  }

  get isIdle(): boolean {
    return this.allIdle;
  }

  /** Returns the new combined watermark, or undefined if it did not advance. */
  onWatermark(channel: number, timestamp: number): number | undefined {
    if (this.ended[channel] || timestamp <= this.watermarks[channel]!) return undefined;
    this.watermarks[channel] = timestamp;
    if (this.idle[channel]) return undefined; // an idle channel's watermark counts again once it is active
    if (!this.aligned[channel] && timestamp >= this.combined) this.aligned[channel] = true;
    return this.advance();
  }

  /** Returns what changed: the task's own idleness, and a watermark freed by a channel going idle. */
  onStatus(channel: number, idle: boolean): { idle?: boolean; watermark?: number } {
    if (this.ended[channel] || this.idle[channel] === idle) return {};
    this.idle[channel] = idle;
    const result: { idle?: boolean; watermark?: number } = {};
    if (idle) {
      const watermark = this.advance();
      if (watermark !== undefined) result.watermark = watermark;
    } else {
      this.aligned[channel] = this.watermarks[channel]! >= this.combined;
    }
    this.updateIdleness(result);
    return result;
  }

  /** The task is idle when every open channel is; then, as Flink does, what any channel reached is safe to pass on. */
  private updateIdleness(result: { idle?: boolean; watermark?: number }): void {
    const allIdle = this.computeAllIdle();
    if (allIdle !== this.allIdle) result.idle = this.allIdle = allIdle;
    if (!allIdle) return;
    let max = -Infinity;
    for (let c = 0; c < this.watermarks.length; c++) if (!this.ended[c] && this.watermarks[c]! > max) max = this.watermarks[c]!;
    if (max > this.combined) result.watermark = this.combined = max;
  }

  /** An ended channel holds nothing back any more; if the open ones left are all idle, so is the task. */
  onEnded(channel: number): { idle?: boolean; watermark?: number } {
    if (this.ended[channel]) return {};
    this.ended[channel] = true;
    const result: { idle?: boolean; watermark?: number } = {};
    const watermark = this.advance();
    if (watermark !== undefined) result.watermark = watermark;
    this.updateIdleness(result);
    return result;
  }

  private computeAllIdle(): boolean {
    let open = 0;
    for (let c = 0; c < this.idle.length; c++) {
      if (this.ended[c]) continue;
      open++;
      if (!this.idle[c]) return false;
    }
    return open > 0;
  }

  private advance(): number | undefined {
    let min = Infinity;
    let any = false;
    for (let c = 0; c < this.watermarks.length; c++) {
      if (this.ended[c] || this.idle[c] || !this.aligned[c]) continue;
      any = true;
      if (this.watermarks[c]! < min) min = this.watermarks[c]!;
    }
    if (!any || min <= this.combined) return undefined;
    this.combined = min;
    return min;
  }
}
