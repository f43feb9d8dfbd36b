import type { JobHandle, RestartEvent } from 'weir';

// Faults injected into a running job, at awaited events (never after a delay), and counted, so a
// test asserts that each fault it injected, and nothing else, restarted the job. Browser-safe (no
// node: imports): the Chromium suites use it too.
//
// A fault belongs to an attempt: the number of 'restart' events emitted before it. An attempt that
// fails restarts the job once, whatever number of faults met it before it was stopped (two
// poisoned records thrown on by two subtasks, say): its restart's cause is its first fault.

export interface Fault {
  readonly code: 'INJECTED_FAILURE' | 'USER_FUNCTION_FAILED';
  /** The 'restart' events emitted before the fault. */
  readonly attempt: number;
  /** For a kill: the completed checkpoint it followed, or undefined for a kill at an attempt's 'restore' event. */
  readonly afterCheckpoint?: number;
}

/** Where a kill lands: at the completion of an attempt's n-th periodic checkpoint (0: its first), or at its 'restore' event (while it replays). */
export type KillMoment = { readonly checkpoint: number } | 'restore';

export interface KillPlan {
  /** The moment of each kill, in order: kill i goes to the attempt after kill i - 1 (or after any other failure). */
  readonly moments: readonly KillMoment[];
  /** The worker to kill (worker executors); omitted: injectFailure() with no worker. */
  readonly worker?: () => number;
}

/**
 * Seeded kill moments: the first at the job's first or second completed checkpoint (so a checkpoint
 * is behind every restore); each later one at its attempt's first or second completed checkpoint, or
 * while it replays (its 'restore' event, a share `replayShare` of them), which makes no progress:
 * the more of those, the less input the kills use up, so more of them fit before the input ends.
 */
export function killMoments(random: () => number, count: number, replayShare = 0.35): KillMoment[] {
  return Array.from({ length: count }, (_, i): KillMoment => {
    const r = random();
    if (i === 0) return { checkpoint: r < 0.5 ? 0 : 1 };
    return r < replayShare ? 'restore' : { checkpoint: r < replayShare + (1 - replayShare) * 0.7 ? 0 : 1 };
  });
}

/**
 * Kill moments that fit a job whose attempts each use up about a checkpoint's worth of input before
 * their first checkpoint completes (workers: a restart's deploy time lets the rate-limited source run
 * ahead): after the first checkpoint, then alternately while replaying and after the attempt's first
 * checkpoint, so only half of them use input up.
 */
export function alternatingKillMoments(count: number): KillMoment[] {
  return Array.from({ length: count }, (_, i): KillMoment => (i % 2 === 1 ? 'restore' : { checkpoint: 0 }));
}

export class FaultLog {
  readonly faults: Fault[] = [];
  readonly restarts: RestartEvent[] = [];
  /** The checkpoint of each 'restore' event (undefined: the attempt started from scratch). */
  readonly restores: (number | undefined)[] = [];
  private readonly offs: (() => void)[] = [];

  constructor(private readonly handle: JobHandle) {
    this.offs.push(handle.on('restart', (e) => this.restarts.push(e)), handle.on('restore', (e) => this.restores.push(e.checkpointId)));
  }

  /** The attempt a fault seen now belongs to. */
  attempt(): number {
    return this.restarts.length;
  }

  /** Records a user function's throw (call it where the function throws, in this realm, or when told). */
  thrown(attempt = this.attempt()): void {
    this.faults.push({ code: 'USER_FUNCTION_FAILED', attempt });
  }

  get kills(): Fault[] {
    return this.faults.filter((f) => f.code === 'INJECTED_FAILURE');
  }

  /**
   * Kills the job at the planned moments. Every kill is injected synchronously in the event handler
   * of a job that is running, so it is a real fault: it always restarts the job.
   */
  killAt(plan: KillPlan): this {
    let next = 0;
    let seenThisAttempt = 0;
    const kill = (afterCheckpoint?: number) => {
      next++;
      this.faults.push({ code: 'INJECTED_FAILURE', attempt: this.attempt(), ...(afterCheckpoint !== undefined ? { afterCheckpoint } : {}) });
      this.handle.injectFailure(plan.worker ? { worker: plan.worker() } : {});
    };
    this.offs.push(
      this.handle.on('restore', () => {
        seenThisAttempt = 0;
        if (plan.moments[next] === 'restore' && this.handle.status() === 'running' && this.attempt() > 0) kill();
      }),
      this.handle.on('checkpoint', (c) => {
        const moment = plan.moments[next];
        if (c.status !== 'completed' || c.final || moment === undefined || moment === 'restore' || this.handle.status() !== 'running') return;
        if (seenThisAttempt++ === moment.checkpoint) kill(c.id);
      }),
    );
    return this;
  }

  stop(): void {
    this.offs.forEach((off) => off());
  }

  /**
   * How the 'restart' events differ from what the faults must have led to: one restart per failed
   * attempt, caused by its first fault, and a kill that followed checkpoint n restores n. Undefined
   * when they agree (every fault restarted the job, and nothing else did).
   */
  mismatch(): string | undefined {
    const first = new Map<number, Fault>();
    for (const f of this.faults) if (!first.has(f.attempt)) first.set(f.attempt, f);
    const expected = [...first.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
    const describe = (code: string | undefined, from: number | undefined) => `${code ?? '(no code)'}${from === undefined ? '' : ` from checkpoint ${from}`}`;
    const want = expected.map((f) => describe(f.code, f.afterCheckpoint));
    const got = this.restarts.map((r, i) => describe((r.cause as { code?: string } | undefined)?.code, expected[i]?.afterCheckpoint === undefined ? undefined : r.restoredCheckpointId));
    return JSON.stringify(want) === JSON.stringify(got) ? undefined : `'restart' events ${JSON.stringify(got)}; the faults injected call for ${JSON.stringify(want)}`;
  }
}
