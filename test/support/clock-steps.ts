import type { CheckpointStats, JobHandle } from 'weir';

// Driving a job on a ManualClock (Node: turns of the event loop by setImmediate). A source
// rate-limited on that clock releases its records only as the clock moves, so where a fault lands
// in the input is decided by the test, not by how loaded the machine is.

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs a job on a ManualClock to its end: moves the clock `stepMs` each event-loop turn until `done`
 * settles. A rate-limited source then releases its records as the clock moves, whatever the machine's
 * load, and the job's timers (checkpoints, metrics, restart delays) fire on the clock.
 */
export async function advanceUntilSettled(clock: { advance(ms: number): void }, done: Promise<unknown>, stepMs: number): Promise<void> {
  let settled = false;
  const over = done.then(() => (settled = true), () => (settled = true));
  while (!settled) {
    clock.advance(stepMs);
    await nextTurn();
  }
  await over;
}

/**
 * Moves a ManualClock one checkpoint interval at a time, each step waited out by the job's next
 * 'checkpoint' event (completed or failed), until `until` accepts one; returns it. With the job's
 * source rate-limited on that clock, its input stops where the clock stops: a fault injected then
 * comes mid-stream however loaded the machine.
 */
export async function advanceByCheckpoints(clock: { advance(ms: number): void }, handle: JobHandle, intervalMs: number, until: (c: CheckpointStats) => boolean): Promise<CheckpointStats> {
  for (;;) {
    const next = new Promise<CheckpointStats>((resolve) => {
      const off = handle.on('checkpoint', (c) => {
        off();
        resolve(c);
      });
    });
    clock.advance(intervalMs);
    const c = await next;
    if (until(c)) return c;
  }
}
