// One run of a job module: run(url) in Web Workers, its events into the page state (checkpoints,
// restarts with what they replayed, restores, metrics per vertex, the plan), until it ends or the
// page runs something else. The page's own code, not the runtime's: only Weir's public API.
import { run, type CheckpointStats, type JobHandle, type RunOptions } from 'weir';
import type { LoadedJob } from './job-loader.js';
import { describeError, summarize, type PlaygroundState } from './page-state.js';
import type { PlanDescription, SubtaskSample } from './plan-types.js';
import { planFromMetrics } from './plan-fallback.js';
import { RateTracker } from './rates.js';
import { ReadProgress, type ProgressSample } from './read-progress.js';

/** What a page keeps in sessionStorage about its job's reading, so the page after a reload can say what its resume replays. */
interface KeptProgress {
  readonly jobName: string;
  readonly samples: ProgressSample[];
  /** Checkpoint id → trigger time. */
  readonly triggers: Record<string, number>;
  readonly at: number;
}
const PROGRESS_KEY = 'weir-playground:progress';

function keptProgress(): KeptProgress | undefined {
  try {
    const raw = sessionStorage.getItem(PROGRESS_KEY);
    return raw ? (JSON.parse(raw) as KeptProgress) : undefined;
  } catch {
    return undefined;
  }
}

export interface SessionEvents {
  log(line: string): void;
  changed(): void;
  /** A checkpoint completed (the graph replays it). */
  checkpointCompleted(c: CheckpointStats): void;
  finished(): Promise<void>;
  failed(error: unknown): void;
}

export interface Session {
  readonly handle: JobHandle;
  readonly moduleUrl: string;
  readonly throughput: { t: number; value: number }[];
  stop(): Promise<void>;
}

export async function startSession(
  loaded: LoadedJob,
  options: { parallelism: number; resume: 'latest' | 'none' | { savepoint: Uint8Array } },
  state: PlaygroundState,
  on: SessionEvents,
): Promise<Session> {
  let created = 0;
  const workerUrl = new URL('./weir-worker.js', import.meta.url);
  const runOptions: RunOptions = {
    parallelism: options.parallelism,
    resume: options.resume,
    // A bug that throws every time fails the job in seconds, not minutes.
    restart: { strategy: 'fixed-delay', attempts: 8, delayMs: 200 },
    // Workers report their counters with their heartbeat: twice per 'metrics' event, so each event
    // has fresh counters (at equal intervals every other event would repeat the last ones, a rate of 0).
    metricsIntervalMs: 1000,
    heartbeat: { intervalMs: 500 },
    // The bundled worker, started by the page so each gets a name: which attempt, which slot.
    createWorker: () => {
      const i = created++;
      return new Worker(workerUrl, { type: 'module', name: `attempt ${Math.floor(i / options.parallelism) + 1}, worker ${i % options.parallelism}` });
    },
  };
  const previous = keptProgress();
  state.runs++;
  const resume = typeof options.resume === 'string' ? `'${options.resume}'` : `{ savepoint: ${options.resume.savepoint.length} bytes }`;
  on.log(`run(${loaded.definition.name}, { parallelism: ${options.parallelism}, resume: ${resume} })`);
  const handle = await run(loaded.url, runOptions);
  let live = true;
  const rates = new RateTracker();
  const progress = new ReadProgress();
  const throughput: { t: number; value: number }[] = [];
  // The first event's counters count from the start of the run.
  let lastMetricsAt: number | undefined = Date.now();
  const unsubscribe: (() => void)[] = [];

  const noteCheckpoint = (c: CheckpointStats) => {
    const s = summarize(c);
    const i = state.checkpoints.findIndex((x) => x.id === s.id);
    if (i >= 0) state.checkpoints[i] = s;
    else state.checkpoints.push(s);
    state.checkpoints.sort((a, b) => a.id - b.id);
    if (state.checkpoints.length > 200) state.checkpoints.splice(0, state.checkpoints.length - 200);
    state.lastCheckpoint = state.checkpoints[state.checkpoints.length - 1] ?? null;
    const completed = state.checkpoints.filter((x) => x.status === 'completed');
    if (completed.length > 0) state.lastCompletedCheckpoint = completed[completed.length - 1]!.id;
  };

  unsubscribe.push(
    handle.on('status', (s) => {
      if (!live) return;
      if (state.status !== s) on.log(`status: ${s}`);
      state.status = s;
      if (s === 'running') void loadPlan();
      on.changed();
    }),
    handle.on('checkpoint', (c) => {
      if (!live) return;
      noteCheckpoint(c);
      if (c.status === 'failed') on.log(`checkpoint ${c.id} failed: ${c.failureReason ?? ''}`);
      if (c.status === 'completed') on.checkpointCompleted(c);
      on.changed();
    }),
    handle.on('restart', (r) => {
      if (!live) return;
      const from = r.restoredCheckpointId;
      const trigger = from === undefined ? undefined : state.checkpoints.find((c) => c.id === from)?.triggerTimestamp;
      // Read since the restored checkpoint's barriers left the sources: read again now. From the
      // beginning: everything read so far.
      const now = Date.now();
      const replayed = from === undefined ? progress.total(now) : trigger === undefined ? null : progress.since(trigger, now) ?? null;
      state.restarts.push({
        restart: r.restart, cause: describeError(r.cause), code: (r.cause as { code?: string } | undefined)?.code ?? null, delayMs: r.delayMs,
        restoredCheckpointId: from ?? null, fellBackFrom: r.fellBackFrom ?? null, replayed, at: Date.now(),
      });
      rates.reset();
      on.log(`restart ${r.restart} from ${from === undefined ? 'the beginning' : `checkpoint ${from}`}`
        + `${r.fellBackFrom !== undefined ? ` (fell back from checkpoint ${r.fellBackFrom})` : ''}`
        + `${replayed !== null ? `, replaying ≈ ${replayed} records` : ''}: ${describeError(r.cause)}`);
      on.changed();
    }),
    handle.on('restore', (e) => {
      if (!live) return;
      // The first deployment of this page's run, from a checkpoint an earlier page (this tab before
      // a reload) took: what that page read after the checkpoint is read again.
      const trigger = state.restores.length === 0 && e.checkpointId !== undefined && previous?.jobName === handle.jobName ? previous.triggers[e.checkpointId] : undefined;
      const replayed = trigger === undefined ? null : new ReadProgress(previous!.samples).since(trigger, previous!.at) ?? null;
      state.restores.push({ checkpointId: e.checkpointId ?? null, skipped: e.skipped.map((s) => ({ ...s })), replayed, at: Date.now() });
      const skipped = e.skipped.map((s) => `passed over checkpoint ${s.checkpointId}: ${s.reason}`).join('; ');
      on.log(`restored ${e.checkpointId === undefined ? 'nothing (started from the beginning)' : `from checkpoint ${e.checkpointId}`}${skipped ? ` — ${skipped}` : ''}`);
      on.changed();
    }),
    handle.on('metrics', (m) => {
      if (!live) return;
      state.rates = rates.update(m.timestamp, m.subtasks as readonly SubtaskSample[], lastMetricsAt);
      lastMetricsAt = m.timestamp;
      if (!hasPlan && m.subtasks.length > 0 && state.plan?.vertices.length !== new Set(m.subtasks.map((x) => x.subtask.vertexId)).size) {
        state.plan = planFromMetrics(m.subtasks as readonly SubtaskSample[]);
        state.planFromMetrics = true;
      }
      // Records out of the source tasks, from their own counters (which rates.ts follows through a
      // restart): the event's recordsPerSecond adds up every task's output, and reads 0 while a
      // restarted job's counters start again.
      const sources = new Set(state.planFromMetrics ? [] : state.plan?.vertices.filter((v) => v.inputs.length === 0).map((v) => v.id) ?? []);
      const perSecond = sources.size > 0 ? state.rates.filter((r) => sources.has(r.vertexId)).reduce((n, r) => n + r.outPerSecond, 0) : m.recordsPerSecond;
      state.recordsPerSecond = perSecond;
      progress.add(m.timestamp, perSecond);
      throughput.push({ t: m.timestamp, value: perSecond });
      if (throughput.length > 600) throughput.splice(0, 300);
      keepProgress(m.timestamp);
      on.changed();
    }),
  );

  const plan = (handle as { plan?: () => PlanDescription | Promise<PlanDescription> }).plan;
  const hasPlan = typeof plan === 'function';
  function keepProgress(at: number): void {
    const triggers: Record<string, number> = {};
    for (const c of state.checkpoints.slice(-30)) triggers[c.id] = c.triggerTimestamp;
    try {
      sessionStorage.setItem(PROGRESS_KEY, JSON.stringify({ jobName: handle.jobName, samples: progress.recent(300), triggers, at } satisfies KeptProgress));
    } catch {
      // no session storage: a resume after a reload just does not say what it replays
    }
  }

  async function loadPlan(): Promise<void> {
    if (state.plan || !hasPlan) return;
    try {
      state.plan = await plan!.call(handle);
      state.planFromMetrics = false;
      on.changed();
    } catch (error) {
      on.log(`handle.plan() failed: ${describeError(error)}`);
    }
  }

  // The reading goes on until the page goes away: keep how far it got then.
  const onPageHide = () => live && keepProgress(Date.now());
  addEventListener('pagehide', onPageHide);
  unsubscribe.push(() => removeEventListener('pagehide', onPageHide));

  for (const c of handle.checkpoints()) noteCheckpoint(c);
  state.jobName = handle.jobName;
  state.status = handle.status();
  if (state.status === 'running') void loadPlan();
  handle.done.then(
    async (result) => {
      if (!live) return;
      on.log(`done: ${result.status}, ${result.restarts} restart(s)`);
      state.status = result.status;
      if (result.status === 'finished') await on.finished();
      on.changed();
    },
    (error: unknown) => {
      if (!live) return;
      state.status = handle.status();
      on.failed(error);
    },
  );
  return {
    handle,
    moduleUrl: loaded.url,
    throughput,
    stop: async () => {
      live = false;
      for (const u of unsubscribe) u();
      await handle.cancel();
    },
  };
}
