/**
 * A source subtask's part of event-time checkpoints (`checkpointing: { eventTimeIntervalMs }`):
 * after each poll whose output has gone out, the source's watermark is checked; the first time it
 * reaches a multiple of the interval above the last one it stopped at, the source stops there,
 * says so (the coordinator's EventTimeTrigger combines the sources), and polls again only once a
 * checkpoint was triggered at it. Its cut then depends on its input alone, not on when the
 * coordinator got round to a trigger: replays take their checkpoints at the same positions.
 * (The watermark must be a function of the input for that: a generator that emits on events, or
 * env.setAutoWatermarkInterval(0), which asks the periodic one after every poll.)
 */
export class EventTimeStops {
  private reached: number;
  private stoppedAt: number | undefined;

  constructor(
    private readonly intervalMs: number,
    /** The position of the restored event-time checkpoint: the source does not stop there again. */
    restoredPosition: number | undefined,
    private readonly report: (position: number) => void,
  ) {
    this.reached = restoredPosition ?? Number.NEGATIVE_INFINITY;
  }

  get stopped(): boolean {
    return this.stoppedAt !== undefined;
  }

  /** After a poll's output went out, with the source's watermark now: true when the source must stop here. */
  check(watermark: number): boolean {
    if (this.stoppedAt !== undefined) return true;
    if (!Number.isFinite(watermark)) return false; // none yet, or the end (the final checkpoint covers it)
    const position = Math.floor(watermark / this.intervalMs) * this.intervalMs;
    if (position <= this.reached) return false;
    this.reached = position;
    this.stoppedAt = position;
    this.report(position);
    return true;
  }

  /** A checkpoint was triggered at the source: it goes on. */
  release(): void {
    this.stoppedAt = undefined;
  }
}
