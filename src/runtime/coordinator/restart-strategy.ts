export type RestartStrategy =
  | { strategy: 'none' }
  | { strategy: 'fixed-delay'; attempts: number; delayMs: number }
  | {
      strategy: 'exponential-delay';
      initialDelayMs: number;
      maxDelayMs: number;
      /** Restarts allowed since the backoff was last reset (default: no limit). */
      attempts?: number;
      /** A failure this long after the previous one starts the backoff (and the attempts) over. Default one hour, as Flink's. */
      resetBackoffThresholdMs?: number;
    };

export const DEFAULT_RESET_BACKOFF_THRESHOLD_MS = 3_600_000;

export type RestartDecision = { kind: 'restart'; delayMs: number } | { kind: 'give-up'; reason: string };

/** Whether to restart after a failure, given how many restarts already happened. Pure. */
export function decideRestart(strategy: RestartStrategy, restartsSoFar: number): RestartDecision {
  switch (strategy.strategy) {
    case 'none':
      return { kind: 'give-up', reason: "the restart strategy is 'none'" };
    case 'fixed-delay':
      return restartsSoFar < strategy.attempts
        ? { kind: 'restart', delayMs: strategy.delayMs }
        : { kind: 'give-up', reason: `fixed-delay allowed ${strategy.attempts} restart(s), all used` };
    case 'exponential-delay': {
      const attempts = strategy.attempts ?? Infinity;
      if (restartsSoFar >= attempts) return { kind: 'give-up', reason: `exponential-delay allowed ${attempts} restart(s), all used` };
      return { kind: 'restart', delayMs: Math.min(strategy.maxDelayMs, strategy.initialDelayMs * 2 ** Math.min(restartsSoFar, 30)) };
    }
  }
}

/** The restarts a strategy counts, and when the last failure was. */
export interface RestartHistory {
  readonly counted: number;
  readonly lastFailureAt: number | undefined;
}

/**
 * The history as a failure at `now` finds it: exponential-delay forgets the restarts before a
 * quiet period of resetBackoffThresholdMs (Flink's reset-backoff-threshold); the other
 * strategies count every restart of the run. Pure.
 */
export function onFailure(strategy: RestartStrategy, history: RestartHistory, now: number): RestartHistory {
  const quiet = history.lastFailureAt !== undefined && now - history.lastFailureAt >= (strategy.strategy === 'exponential-delay' ? strategy.resetBackoffThresholdMs ?? DEFAULT_RESET_BACKOFF_THRESHOLD_MS : Infinity);
  return { counted: quiet ? 0 : history.counted, lastFailureAt: now };
}
