// The page's machine-readable state, `window.__weir`: what the page shows, in one object, so the
// e2e tests (test/e2e/playground*.ts) read what a user sees without scraping the DOM.
import type { CheckpointStats, JobHandle, JobStatus } from 'weir';
import type { PlanDescription } from './plan-types.js';
import type { VertexRates } from './rates.js';

export interface CheckpointSummary {
  id: number;
  status: CheckpointStats['status'];
  triggerTimestamp: number;
  durationMs: number | null;
  stateSize: number;
  persistedSize: number;
  alignmentMs: number;
  final: boolean;
  failureReason: string | null;
  subtasks: CheckpointStats['subtasks'];
}

export interface RestartSummary {
  restart: number;
  cause: string;
  code: string | null;
  delayMs: number;
  restoredCheckpointId: number | null;
  /** Set by the runtime when the latest checkpoint could not be restored and the job fell back from it. */
  fellBackFrom: number | null;
  /** Records the sources had read since the restored checkpoint, read again after the restart (an estimate from the metrics). */
  replayed: number | null;
  at: number;
}

export interface RestoreSummary {
  checkpointId: number | null;
  skipped: { checkpointId: number; reason: string }[];
  /** After a reload: records the previous page's sources had read since that checkpoint (an estimate; null when unknown). */
  replayed: number | null;
  at: number;
}

export interface PlaygroundState {
  /** The example the code came from (null: the user's own code from localStorage). */
  example: string | null;
  /** The running (or last run) job's name, from the job module. */
  jobName: string | null;
  parallelism: number;
  /** The handle's status, or 'loading' (the page is starting), 'idle' (nothing runs), 'error' (run() or the page failed). */
  status: 'loading' | 'idle' | 'error' | JobStatus;
  /** What is wrong with the code in the editor (a syntax error, a graph run() refuses…), shown beside it; null when it ran. */
  codeError: string | null;
  /** The append table checked for duplicates (the job module's `check.table`), or null when the module has no check. */
  checkTable: string | null;
  /** Rows in the check table at the last read. */
  committed: number | null;
  distinct: number | null;
  duplicates: number | null;
  /** Rows not (yet) committed, when the module says how many to expect. */
  missing: number | null;
  expectedRows: number | null;
  /** What the module's check.verify found wrong at the last read (null: nothing). */
  problem: string | null;
  /** Rows in the check table before this page ran the job: what an earlier page committed. */
  initialCommitted: number | null;
  reads: number;
  lastReadAt: number | null;
  lastCheckpoint: CheckpointSummary | null;
  lastCompletedCheckpoint: number | null;
  checkpoints: CheckpointSummary[];
  restarts: RestartSummary[];
  restores: RestoreSummary[];
  recordsPerSecond: number | null;
  /** handle.plan(), when this build of Weir has it. */
  plan: PlanDescription | null;
  /** This Weir has no handle.plan(): the plan above is what the metrics tell (tasks, no edges). */
  planFromMetrics: boolean;
  /** Per vertex, from the last 'metrics' event. */
  rates: VertexRates[];
  /** User functions that threw on purpose ("Throw once"), as the workers reported them. */
  thrown: { id: string; where: string; worker: string; at: number }[];
  /** handle.done resolved with 'finished'. */
  finished: boolean;
  /** The tables were read after the job finished (the numbers above are final). */
  verified: boolean;
  /** run() calls made by this page. */
  runs: number;
  /** Something went wrong in the page or the job (not in the code: see codeError). */
  error: string | null;
  log: string[];
}

export function initialState(parallelism: number): PlaygroundState {
  return {
    example: null, jobName: null, parallelism, status: 'loading', codeError: null, checkTable: null,
    committed: null, distinct: null, duplicates: null, missing: null, expectedRows: null, problem: null, initialCommitted: null,
    reads: 0, lastReadAt: null, lastCheckpoint: null, lastCompletedCheckpoint: null, checkpoints: [], restarts: [], restores: [],
    recordsPerSecond: null, plan: null, planFromMetrics: false, rates: [], thrown: [], finished: false, verified: false, runs: 0, error: null, log: [],
  };
}

/** Clears what belongs to one run of a job (a new run starts with an empty history). */
export function resetRun(state: PlaygroundState): void {
  Object.assign(state, {
    checkpoints: [], restarts: [], restores: [], lastCheckpoint: null, lastCompletedCheckpoint: null, recordsPerSecond: null, plan: null, planFromMetrics: false,
    rates: [], thrown: [], finished: false, verified: false, initialCommitted: null, committed: null, distinct: null, duplicates: null,
    missing: null, problem: null, codeError: null,
  } satisfies Partial<PlaygroundState>);
}

export function summarize(c: CheckpointStats): CheckpointSummary {
  return {
    id: c.id, status: c.status, triggerTimestamp: c.triggerTimestamp, durationMs: c.durationMs ?? null, stateSize: c.stateSize,
    persistedSize: c.persistedSize, alignmentMs: c.alignmentDurationMs, final: c.final, failureReason: c.failureReason ?? null, subtasks: c.subtasks,
  };
}

export function describeError(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const e = error as { name?: string; code?: string; message: string };
    return `${e.name ?? 'Error'}${e.code ? ` [${e.code}]` : ''}: ${e.message}`;
  }
  return String(error);
}

declare global {
  interface Window {
    __weir: PlaygroundState;
    __weirApi: {
      readTable: (table: string) => Promise<unknown[]>;
      refresh: () => Promise<void>;
      handle: () => JobHandle | undefined;
      getCode: () => string;
      setCode: (code: string) => void;
      /** As the buttons: run the editor's code from the beginning, or resuming. */
      run: (resume: 'latest' | 'none' | { savepoint: Uint8Array }) => Promise<void>;
    };
    __weirStarted?: boolean;
  }
}
