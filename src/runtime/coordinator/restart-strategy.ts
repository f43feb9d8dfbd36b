export type RestartStrategy =
  | { strategy: 'none' }
  | { strategy: 'fixed-delay'; attempts: number; delayMs: number }
  | { strategy: 'exponential-delay'; initialDelayMs: number; maxDelayMs: number; attempts?: number };

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
