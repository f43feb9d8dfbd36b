// The page of the checkpoint-to-IndexedDB benchmark (bench/checkpoint-idb.bench.ts bundles it with
// esbuild against the built package and drives it with playwright-core). It exposes
// `window.weirIdb`, whose functions the driver calls one step at a time (page.evaluate); the
// tables stay in Node. Weir runs the job of bench/idb/state.job.ts in one Web Worker with the
// browser's default storage (IndexedDB); the raw baseline runs in bench/idb/raw-idb-worker.ts.
//
// Opened as `?resume=<json ResumeSpec>`, the page starts the job at once (resume: 'latest', the
// default) and records, on the same clock as the driver (Date.now()), when run() was called and
// resolved, when the 'restore' event fired, and when the job's keyed function processed its first
// record (its report over a BroadcastChannel); then it sets its title to 'resumed'.
// Opened as `?rawresume=<json RawResumeSpec>`, it is the raw baseline's reload instead: it starts the
// bare raw worker at once and reads the values the last raw round left, then sets 'raw-resumed'.
import { run, type CheckpointStats, type JobHandle } from 'weir';
import { commandChannel, reportChannel, stateQuery, type KeySet, type PassCommand, type Report, type StateParams } from './shared.js';

const jobUrl = (p: StateParams) => new URL(`./state.job.js?${stateQuery(p)}`, import.meta.url);
const OPTIONS = { parallelism: 1, checkpointing: { intervalMs: 3_600_000, timeoutMs: 300_000 } } as const;

let handle: JobHandle | undefined;
let params: StateParams | undefined;
let commands: BroadcastChannel | undefined;
let reports: BroadcastChannel | undefined;
let passes = 0;
const waiting: ((r: Report) => boolean)[] = [];

function listen(p: StateParams): void {
  params = p;
  commands = new BroadcastChannel(commandChannel(p.name));
  reports = new BroadcastChannel(reportChannel(p.name));
  reports.onmessage = (event: MessageEvent) => {
    const r = event.data as Report;
    for (let i = 0; i < waiting.length; i++) {
      if (waiting[i]!(r)) waiting.splice(i--, 1);
    }
  };
}

function report<T extends Report['kind']>(kind: T, test: (r: Extract<Report, { kind: T }>) => boolean = () => true, timeoutMs = 120_000): Promise<Extract<Report, { kind: T }>> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no '${kind}' report from the job in ${timeoutMs} ms`)), timeoutMs);
    waiting.push((r) => {
      if (r.kind !== kind || !test(r as Extract<Report, { kind: T }>)) return false;
      clearTimeout(timer);
      ok(r as Extract<Report, { kind: T }>);
      return true;
    });
  });
}

/** Starts the job afresh and waits until its first pass (every key) was processed. */
async function start(p: StateParams): Promise<{ runMs: number; fillMs: number }> {
  listen(p);
  passes = 1; // pass 0 is the source's own, on a fresh start
  const filled = report('pass-done', (r) => r.pass === 0);
  const t0 = Date.now();
  handle = await run(jobUrl(p), { ...OPTIONS, resume: 'none' });
  const runMs = Date.now() - t0;
  await filled;
  return { runMs, fillMs: Date.now() - t0 };
}

/** One more pass over `which` keys (new values for each); resolves once the keyed function processed it. */
async function pass(which: KeySet): Promise<{ ms: number; updated: number }> {
  const n = passes++;
  const finished = report('pass-done', (r) => r.pass === n);
  const t0 = Date.now();
  commands!.postMessage({ cmd: 'pass', pass: n, which } satisfies PassCommand);
  const r = await finished;
  return { ms: Date.now() - t0, updated: r.updated };
}

async function checkpoint(): Promise<CheckpointStats> {
  if (handle === undefined) throw new Error('no job is running');
  return handle.triggerCheckpoint();
}

async function cancel(): Promise<void> {
  await handle?.cancel();
  handle = undefined;
}

// ---- the raw baseline ----

let rawWorker: Worker | undefined;
function raw<T>(command: unknown): Promise<T> {
  rawWorker ??= new Worker(new URL('./raw-idb-worker.js', import.meta.url), { type: 'module' });
  const w = rawWorker;
  return new Promise((ok, fail) => {
    const onMessage = (event: MessageEvent) => {
      w.removeEventListener('message', onMessage);
      const d = event.data as { ok?: T; error?: string };
      if (d.error !== undefined) fail(new Error(`raw IndexedDB worker: ${d.error}`));
      else ok(d.ok!);
    };
    w.addEventListener('message', onMessage);
    w.postMessage(command);
  });
}

// ---- resume after a reload ----

export interface ResumeSpec {
  readonly params: StateParams;
  /** Passes the previous page ran (so pass() keeps counting after the resume). */
  readonly passes: number;
}

export interface ResumeResult {
  readonly runCalledAt: number;
  readonly runResolvedAt: number;
  readonly restoreAt?: number;
  readonly restoredCheckpointId?: number;
  readonly firstRecordAt: number;
  readonly restored: boolean;
  readonly timeOrigin: number;
  readonly error?: string;
}

async function resume(spec: ResumeSpec): Promise<ResumeResult> {
  listen(spec.params);
  passes = spec.passes;
  const first = report('first');
  const runCalledAt = Date.now();
  const h = await run(jobUrl(spec.params), OPTIONS);
  handle = h;
  const runResolvedAt = Date.now();
  let restoreAt: number | undefined;
  let restoredCheckpointId: number | undefined;
  h.on('restore', (e) => {
    restoreAt = Date.now();
    restoredCheckpointId = e.checkpointId;
  });
  const r = await first;
  await new Promise((ok) => setTimeout(ok, 0)); // let a 'restore' event due now arrive
  return {
    runCalledAt, runResolvedAt, firstRecordAt: r.at, restored: r.restored, timeOrigin: performance.timeOrigin,
    ...(restoreAt !== undefined ? { restoreAt } : {}), ...(restoredCheckpointId !== undefined ? { restoredCheckpointId } : {}),
  };
}

// ---- the raw baseline's resume after a reload ----

/** What a page opened as `?rawresume=<json RawResumeSpec>` measured: the raw read from a fresh worker, as soon as the page's script runs. */
export interface RawResumeSpec {
  readonly round: number;
  readonly count: number;
  /** Read the round's Blob values (arrayBuffer() of each) instead of its Uint8Array values. */
  readonly blob?: boolean;
}
export interface RawResumeResult {
  /** Date.now() when the script started (the page loaded), and when the read's values were all in the worker. */
  readonly scriptAt: number;
  readonly readDoneAt: number;
  /** The read alone (the worker's own clock), and the bytes it got. */
  readonly readMs: number;
  readonly bytes: number;
  readonly error?: string;
}

async function rawResume(spec: RawResumeSpec): Promise<RawResumeResult> {
  const scriptAt = Date.now();
  const got = await raw<{ ms: number; bytes: number }>({ op: 'read', round: spec.round, count: spec.count, txPerValue: false, blob: spec.blob === true });
  return { scriptAt, readDoneAt: Date.now(), readMs: got.ms, bytes: got.bytes };
}

/** What the page offers the driver. */
export interface WeirIdbPage {
  start: typeof start;
  pass: typeof pass;
  checkpoint: typeof checkpoint;
  cancel: typeof cancel;
  raw: typeof raw;
  resumed?: ResumeResult;
  rawResumed?: RawResumeResult;
}

const api: WeirIdbPage = { start, pass, checkpoint, cancel, raw };
(globalThis as unknown as { weirIdb: WeirIdbPage }).weirIdb = api;

const resumeSpec = new URLSearchParams(location.search).get('resume');
const rawResumeSpec = new URLSearchParams(location.search).get('rawresume');
if (rawResumeSpec !== null) {
  const started = Date.now();
  rawResume(JSON.parse(rawResumeSpec) as RawResumeSpec).then(
    (result) => {
      api.rawResumed = result;
      document.title = 'raw-resumed';
    },
    (error: unknown) => {
      api.rawResumed = { scriptAt: started, readDoneAt: NaN, readMs: NaN, bytes: 0, error: error instanceof Error ? error.message : String(error) };
      document.title = 'raw-resumed';
    },
  );
} else if (resumeSpec !== null) {
  const started = Date.now();
  resume(JSON.parse(resumeSpec) as ResumeSpec).then(
    (result) => {
      api.resumed = result;
      document.title = 'resumed';
    },
    (error: unknown) => {
      api.resumed = { runCalledAt: started, runResolvedAt: NaN, firstRecordAt: NaN, restored: false, timeOrigin: performance.timeOrigin, error: error instanceof Error ? error.message : String(error) };
      document.title = 'resumed';
    },
  );
} else {
  document.title = 'ready';
}
