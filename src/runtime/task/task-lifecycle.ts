import { WeirError } from '../../errors/index.js';
import type { Transitions } from '../transitions.js';

/**
 * A subtask's life: `created` → `restoring` (reading its state) → `running` → `input-ended`
 * (every input ended; it still takes the final checkpoint and commits) — and, from any of them,
 * `failed` or `cancelled`, which end it.
 */
export type TaskState = 'created' | 'restoring' | 'running' | 'input-ended' | 'failed' | 'cancelled';

/** Every allowed move of a task's lifecycle; anything else is a bug. */
export const TASK_STATE_TRANSITIONS = {
  created: ['restoring', 'failed', 'cancelled'],
  restoring: ['running', 'failed', 'cancelled'],
  running: ['input-ended', 'failed', 'cancelled'],
  'input-ended': ['failed', 'cancelled'],
  failed: [],
  cancelled: [],
} as const satisfies Transitions<TaskState>;

/** The state of one task; it moves only along TASK_STATE_TRANSITIONS. */
export class TaskLifecycle {
  #state: TaskState = 'created';

  constructor(private readonly taskName: () => string) {}

  get state(): TaskState {
    return this.#state;
  }

  /** Failed or cancelled: nothing the task does any more may reach the job master. */
  get stopped(): boolean {
    return TASK_STATE_TRANSITIONS[this.#state].length === 0;
  }

  /** Running, or its input ended: it takes mails (checkpoints, commits, timers). */
  get processing(): boolean {
    return this.#state === 'running' || this.#state === 'input-ended';
  }

  /** Must be an allowed move: anything else throws (TASK_FAILED, internal). */
  transition(to: TaskState): void {
    if (!(TASK_STATE_TRANSITIONS[this.#state] as readonly TaskState[]).includes(to)) {
      throw new WeirError('TASK_FAILED', `${this.taskName()} cannot go from ${this.#state} to ${to}`, { domain: 'internal', retryable: false });
    }
    this.#state = to;
  }

  /** Ends the task as `to` unless it already ended; returns whether this call ended it. */
  stop(to: 'failed' | 'cancelled'): boolean {
    if (this.stopped) return false;
    this.#state = to;
    return true;
  }
}
