/** Clock time a cost estimate keeps (it halves beyond it), so it follows a function that slows down or speeds up. */
const WINDOW_MS = 64;

/**
 * How many records of an input batch a task step may feed to its chain (unaligned checkpoints):
 * about `sliceMs` of the clock's time, from the cost per record measured so far. Flink's task
 * checks its mailbox between any two records, so an announced barrier or a trigger never waits
 * for more than one; Weir feeds records in batches, and a slow function (a sink that writes
 * 20 µs a record, a batch of 512) would keep the barrier waiting ~10 ms per hop. A cut batch
 * goes on at the task's next step, after its priority work (see Task.step).
 * With a clock that stands still (tests), the cost is 0 and every batch goes whole.
 */
export class BatchSlicer {
  private spentMs = 0;
  private measured = 0;

  constructor(private readonly sliceMs: number) {}

  /** Records to feed now, of the `remaining` of a batch: all of them when they fit the slice. */
  take(remaining: number): number {
    if (this.spentMs === 0) return remaining;
    const fits = Math.floor((this.sliceMs * this.measured) / this.spentMs);
    return fits >= remaining ? remaining : Math.max(1, fits);
  }

  /** `records` were fed in `elapsedMs` of the clock. */
  record(records: number, elapsedMs: number): void {
    this.measured += records;
    this.spentMs += elapsedMs;
    if (this.spentMs > WINDOW_MS) {
      this.spentMs /= 2;
      this.measured /= 2;
    }
  }
}
