/**
 * When to take event-time checkpoints (`checkpointing: { eventTimeIntervalMs }`): each source
 * subtask stops at the first point its watermark reaches a new multiple of the interval and says
 * so; once every source subtask that has not finished has passed a multiple the last checkpoint
 * did not cover — the sources' combined watermark crossed it — a checkpoint is taken there, and
 * the stopped sources snapshot where they stopped. The cut of every source then depends only on
 * its input, so a replay of the same input takes its checkpoints at the same positions. Pure:
 * the coordinator triggers.
 */
export class EventTimeTrigger {
  private readonly reached = new Map<string, number>();
  private covered: number;

  /**
   * `sources`: the subtask keys of every source subtask. `covered`: the position (a multiple of
   * the interval) the restored checkpoint was taken at, -Infinity for none.
   */
  constructor(readonly intervalMs: number, sources: readonly string[], covered = Number.NEGATIVE_INFINITY) {
    for (const s of sources) this.reached.set(s, Number.NEGATIVE_INFINITY);
    this.covered = covered;
  }

  /** The multiple of the interval at or below `watermark`: where a source stops. */
  positionOf(watermark: number): number {
    return Math.floor(watermark / this.intervalMs) * this.intervalMs;
  }

  /** A source subtask stopped at `position`. Returns the position to checkpoint at, if the combined watermark crossed a new multiple. */
  onSourceReached(source: string, position: number): number | undefined {
    if (!this.reached.has(source) || position <= (this.reached.get(source) ?? Number.NEGATIVE_INFINITY)) return undefined;
    this.reached.set(source, position);
    return this.next();
  }

  /** A source subtask ended: it holds nothing back any more. */
  onSourceFinished(source: string): number | undefined {
    if (!this.reached.has(source)) return undefined;
    this.reached.set(source, Number.POSITIVE_INFINITY);
    return this.next();
  }

  private next(): number | undefined {
    let combined = Number.POSITIVE_INFINITY;
    for (const p of this.reached.values()) combined = Math.min(combined, p);
    // Every source ended: the final checkpoint takes it from here.
    if (combined === Number.POSITIVE_INFINITY || combined <= this.covered) return undefined;
    this.covered = combined;
    return combined;
  }
}
