import type { Transitions } from '../transitions.js';

export type JobStatus = 'running' | 'restarting' | 'standby' | 'finished' | 'failed' | 'cancelled';

/** Every allowed move of a job's lifecycle; anything else is a bug. */
export const JOB_STATUS_TRANSITIONS = {
  standby: ['running', 'failed', 'cancelled'],
  running: ['restarting', 'finished', 'failed', 'cancelled'],
  restarting: ['running', 'failed', 'cancelled'],
  finished: [],
  failed: [],
  cancelled: [],
} as const satisfies Transitions<JobStatus>;

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return (JOB_STATUS_TRANSITIONS[from] as readonly JobStatus[]).includes(to);
}

export function isTerminal(status: JobStatus): boolean {
  return JOB_STATUS_TRANSITIONS[status].length === 0;
}
