// The playground page: runs demo.job.ts in Web Workers (parallelism 2, a checkpoint every 300 ms,
// storage and resume at their defaults) and shows, live, the job's status, its checkpoints and
// restarts, its throughput, and what it committed — read back with readTable once a second and
// once more when the job finishes — with the checks that make exactly-once visible: every number
// in 'seen' once, and 'counts' agreeing with 'seen'.
//
// An app like any user's: it imports only the package's public API ('weir', the browser build).
// Tests read the machine-readable state in `window.__weir` (and the data- attributes of #app), and
// call `window.__weirApi.readTable(table)` for the committed rows themselves.
import { readTable, run, type CheckpointStats, type JobHandle, type JobStatus, type RunOptions } from 'weir';
import { demoParams, demoQuery, expectedCounts, keyOf, type CountRow, type DemoParams } from './params.js';

const PARALLELISM = 2;
const CHECKPOINT_INTERVAL_MS = 300;
const READ_EVERY_MS = 1000;

export interface CheckpointSummary {
  id: number;
  status: CheckpointStats['status'];
  durationMs: number | null;
  stateSize: number;
  persistedSize: number;
  alignmentMs: number;
  final: boolean;
  failureReason: string | null;
}

export interface RestartSummary {
  restart: number;
  cause: string;
  code: string | null;
  delayMs: number;
  restoredCheckpointId: number | null;
  /** Set by the runtime when the latest checkpoint could not be restored and the job fell back from it. */
  fellBackFrom: number | null;
  at: number;
}

export interface RestoreSummary {
  checkpointId: number | null;
  skipped: { checkpointId: number; reason: string }[];
  at: number;
}

export interface PlaygroundState {
  jobName: string;
  records: number;
  rate: number;
  keys: number;
  parallelism: number;
  /** The handle's status, or 'loading' (before run() resolved), 'idle' (?autorun=0), 'error' (run() itself failed). */
  status: 'loading' | 'idle' | 'error' | JobStatus;
  /** Rows committed in 'seen' at the last read. */
  committed: number | null;
  distinct: number | null;
  duplicates: number | null;
  /** Numbers 0..records-1 not (yet) committed. */
  missing: number | null;
  /** 'counts' agrees with 'seen' (per key: count and sum of the committed numbers); while the job runs, a commit between the two reads can make it false for a moment. */
  countsConsistent: boolean | null;
  /** 'counts' is exactly the result for all the input. */
  countsExact: boolean | null;
  /** Rows in 'seen' before this page ran the job: what an earlier page (or browser session) committed. */
  initialCommitted: number | null;
  reads: number;
  lastReadAt: number | null;
  /** How long the last read of both tables took. */
  lastReadMs: number | null;
  /** The newest checkpoint of this page's job, in any status. */
  lastCheckpoint: CheckpointSummary | null;
  lastCompletedCheckpoint: number | null;
  checkpoints: CheckpointSummary[];
  restarts: RestartSummary[];
  /** From the runtime's 'restore' event, where it has one: where each (re)deployment's state came from. */
  restores: RestoreSummary[];
  recordsPerSecond: number | null;
  /** handle.done resolved with 'finished'. */
  finished: boolean;
  /** The tables were read after the job finished (the numbers above are final). */
  verified: boolean;
  /** run() calls made by this page (start over adds one). */
  runs: number;
  error: string | null;
  log: string[];
}

declare global {
  interface Window {
    __weir: PlaygroundState;
    __weirApi: {
      readTable: (table: 'seen' | 'counts') => Promise<unknown[]>;
      refresh: () => Promise<void>;
      handle: () => JobHandle | undefined;
    };
    __weirStarted?: boolean;
  }
}

window.__weirStarted = true;
const pageParams = new URLSearchParams(location.search);
let params: DemoParams;
let paramsError: unknown;
try {
  params = demoParams(pageParams);
} catch (error) {
  params = demoParams('');
  paramsError = error;
}
const autorun = pageParams.get('autorun') !== '0';
const jobUrl = new URL(`./demo.job.js?${demoQuery(params)}`, import.meta.url);

const state: PlaygroundState = {
  jobName: params.name, records: params.records, rate: params.rate, keys: params.keys, parallelism: PARALLELISM,
  status: 'loading', committed: null, distinct: null, duplicates: null, missing: null, countsConsistent: null, countsExact: null,
  initialCommitted: null, reads: 0, lastReadAt: null, lastReadMs: null, lastCheckpoint: null, lastCompletedCheckpoint: null, checkpoints: [],
  restarts: [], restores: [], recordsPerSecond: null, finished: false, verified: false, runs: 0, error: null, log: [],
};
window.__weir = state;

let handle: JobHandle | undefined;
let unsubscribe: Array<() => void> = [];
let runStartedAt: number | undefined;
let runEndedAt: number | undefined;
/** When this page's run() returned (in standby, the wait for another tab starts there). */
let waitingSince: number | undefined;
let nextWorker = 0;

window.__weirApi = {
  readTable: (table) => readTable(params.name, table),
  refresh: () => refreshTables(),
  handle: () => handle,
};

// ---------------------------------------------------------------------------------------------
// Errors: never a blank page.

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}${(error as { code?: string }).code ? ` [${(error as { code?: string }).code}]` : ''}: ${error.message}`;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const e = error as { name?: string; code?: string; message: string };
    return `${e.name ?? 'Error'}${e.code ? ` [${e.code}]` : ''}: ${e.message}`;
  }
  return String(error);
}

function showError(message: string, error?: unknown): void {
  state.error = state.error ? `${state.error}\n${message}` : message;
  const box = $('error');
  box.textContent = state.error + (error instanceof Error && error.stack ? `\n\n${error.stack}` : '');
  box.className = 'shown';
  log(`error: ${message}`);
  console.error(`playground: ${message}`, error ?? '');
  render();
}

function notice(message: string | null): void {
  const box = $('notice');
  box.textContent = message ?? '';
  box.className = message ? 'shown' : '';
}

window.addEventListener('error', (e) => showError(`Uncaught: ${e.message}`, e.error));
window.addEventListener('unhandledrejection', (e) => showError(`Unhandled rejection: ${describe(e.reason)}`, e.reason));

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

function log(line: string): void {
  const t = new Date().toISOString().slice(11, 23);
  state.log.push(`${t}  ${line}`);
  if (state.log.length > 200) state.log.splice(0, state.log.length - 200);
  scheduleRender();
}

// ---------------------------------------------------------------------------------------------
// Reading the committed tables.

let reading: Promise<void> | undefined;

/** Reads 'seen' and 'counts' (one read at a time; a call during a read waits for it and reads again). */
async function refreshTables(): Promise<void> {
  while (reading) await reading.catch(() => {});
  reading = readOnce();
  try {
    await reading;
  } finally {
    reading = undefined;
  }
}

async function readOnce(): Promise<void> {
  // The two tables are read one after the other while sinks commit, so a commit can land between the
  // reads and make them disagree for a moment: read again (twice at most) before showing that. Once
  // the job has finished nothing commits any more, and the check is final.
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    const counts = await readTable<CountRow>(params.name, 'counts');
    const seen = await readTable<number>(params.name, 'seen');
    const result = check(seen, counts);
    if (result.consistent || attempt === 3) {
      apply(seen, counts, result, Math.round(performance.now() - started));
      return;
    }
  }
}

function check(seen: number[], counts: CountRow[]) {
  const distinct = new Set(seen);
  const fromSeen = new Map<string, { count: number; sum: number }>();
  for (const n of distinct) {
    const cell = fromSeen.get(keyOf(n, params.keys)) ?? fromSeen.set(keyOf(n, params.keys), { count: 0, sum: 0 }).get(keyOf(n, params.keys))!;
    cell.count++;
    cell.sum += n;
  }
  const byKey = new Map(counts.map((r) => [r.key, r]));
  let consistent = byKey.size === fromSeen.size;
  for (const [key, s] of fromSeen) {
    const c = byKey.get(key);
    if (!c || c.count !== s.count || c.sum !== s.sum) consistent = false;
  }
  const expected = expectedCounts(params);
  let exact = byKey.size === expected.size;
  for (const [key, e] of expected) {
    const c = byKey.get(key);
    if (!c || c.count !== e.count || c.sum !== e.sum) exact = false;
  }
  let inRange = 0;
  for (const n of distinct) if (Number.isInteger(n) && n >= 0 && n < params.records) inRange++;
  return { distinct: distinct.size, consistent, exact, missing: params.records - inRange, fromSeen };
}

let lastCounts: CountRow[] = [];
let lastFromSeen = new Map<string, { count: number; sum: number }>();

function apply(seen: number[], counts: CountRow[], r: ReturnType<typeof check>, ms: number): void {
  const hadDuplicates = (state.duplicates ?? 0) > 0;
  state.committed = seen.length;
  state.distinct = r.distinct;
  state.duplicates = seen.length - r.distinct;
  state.missing = r.missing;
  state.countsConsistent = r.consistent;
  state.countsExact = r.exact;
  state.reads++;
  state.lastReadAt = Date.now();
  state.lastReadMs = ms;
  lastCounts = counts;
  lastFromSeen = r.fromSeen;
  if (state.duplicates > 0 && !hadDuplicates) showError(`Exactly-once violated: ${state.duplicates} number(s) committed more than once in 'seen'`);
  render();
}

// ---------------------------------------------------------------------------------------------
// Running the job.

function summarize(c: CheckpointStats): CheckpointSummary {
  return {
    id: c.id, status: c.status, durationMs: c.durationMs ?? null, stateSize: c.stateSize, persistedSize: c.persistedSize,
    alignmentMs: c.alignmentDurationMs, final: c.final, failureReason: c.failureReason ?? null,
  };
}

function noteCheckpoint(c: CheckpointStats): void {
  const s = summarize(c);
  const i = state.checkpoints.findIndex((x) => x.id === s.id);
  if (i >= 0) state.checkpoints[i] = s;
  else state.checkpoints.push(s);
  state.checkpoints.sort((a, b) => a.id - b.id);
  if (state.checkpoints.length > 100) state.checkpoints.splice(0, state.checkpoints.length - 100);
  state.lastCheckpoint = state.checkpoints[state.checkpoints.length - 1] ?? null;
  const completed = state.checkpoints.filter((x) => x.status === 'completed');
  state.lastCompletedCheckpoint = completed.length > 0 ? completed[completed.length - 1]!.id : state.lastCompletedCheckpoint;
}

function setStatus(status: PlaygroundState['status']): void {
  if (state.status !== status) log(`status: ${status}`);
  if (status === 'running' && runStartedAt === undefined && handle !== undefined) runStartedAt = Date.now();
  state.status = status;
  notice(
    status === 'standby'
      ? 'Another tab is running this job. This tab is on standby: it takes the job over, from the latest checkpoint, when that tab closes.'
      : status === 'idle'
        ? 'Not started (?autorun=0). Press "Start over" to run the job from the beginning, or remove autorun=0 from the URL to resume it.'
        : null,
  );
  render();
}

async function start(resume: 'latest' | 'none'): Promise<void> {
  const options: RunOptions = { parallelism: PARALLELISM, checkpointing: { intervalMs: CHECKPOINT_INTERVAL_MS } };
  if (resume === 'none') options.resume = 'none';
  state.runs++;
  log(`run(${jobUrl.pathname}${jobUrl.search}, { parallelism: ${PARALLELISM}, checkpointing: { intervalMs: ${CHECKPOINT_INTERVAL_MS} }${resume === 'none' ? ", resume: 'none'" : ''} })`);
  let h: JobHandle;
  try {
    h = await run(jobUrl, options);
  } catch (error) {
    setStatus('error');
    showError(`run() failed: ${describe(error)}`, error);
    return;
  }
  handle = h;
  runStartedAt = undefined;
  runEndedAt = undefined;
  waitingSince = Date.now();
  const mine = () => handle === h;
  unsubscribe.push(
    h.on('status', (s) => mine() && setStatus(s)),
    h.on('checkpoint', (c) => {
      if (!mine()) return;
      noteCheckpoint(c);
      if (c.status === 'failed') log(`checkpoint ${c.id} failed: ${c.failureReason ?? ''}`);
      scheduleRender();
    }),
    h.on('restart', (r) => {
      if (!mine()) return;
      const fellBackFrom = (r as { fellBackFrom?: number }).fellBackFrom;
      state.restarts.push({
        restart: r.restart, cause: describe(r.cause), code: (r.cause as { code?: string } | undefined)?.code ?? null, delayMs: r.delayMs,
        restoredCheckpointId: r.restoredCheckpointId ?? null, fellBackFrom: fellBackFrom ?? null, at: Date.now(),
      });
      log(`restart ${r.restart} in ${r.delayMs} ms from ${r.restoredCheckpointId === undefined ? 'the beginning' : `checkpoint ${r.restoredCheckpointId}`}`
        + `${fellBackFrom !== undefined ? ` (fell back from checkpoint ${fellBackFrom})` : ''}: ${describe(r.cause)}`);
      scheduleRender();
    }),
    h.on('metrics', (m) => {
      if (!mine()) return;
      state.recordsPerSecond = m.recordsPerSecond;
      scheduleRender();
    }),
  );
  // 'restore' (where a deployment's state came from) is not in the fixed API; use it where the runtime has it.
  try {
    type RestoreEvent = { checkpointId?: number; skipped?: { checkpointId: number; reason: string }[] };
    const on = h.on as unknown as (event: string, listener: (e: RestoreEvent) => void) => () => void;
    unsubscribe.push(on('restore', (e) => {
      if (!mine()) return;
      state.restores.push({ checkpointId: e.checkpointId ?? null, skipped: [...(e.skipped ?? [])], at: Date.now() });
      const skipped = (e.skipped ?? []).map((s) => `passed over checkpoint ${s.checkpointId}: ${s.reason}`).join('; ');
      log(`restored ${e.checkpointId === undefined ? 'nothing (started from the beginning)' : `from checkpoint ${e.checkpointId}`}${skipped ? ` — ${skipped}` : ''}`);
      scheduleRender();
    }));
  } catch {
    // this runtime has no 'restore' event
  }
  for (const c of h.checkpoints()) noteCheckpoint(c);
  setStatus(h.status());
  h.done.then(
    async (result) => {
      if (!mine()) return;
      runEndedAt = Date.now();
      log(`done: ${result.status}, ${result.restarts} restart(s)`);
      setStatus(result.status);
      if (result.status === 'finished') {
        await refreshTables().catch((e: unknown) => showError(`reading the tables failed: ${describe(e)}`, e));
        state.finished = true;
        state.verified = true;
        if (state.duplicates === 0 && state.missing === 0 && state.countsExact) log('verified: every number committed exactly once, counts exact');
        else showError(`The finished job's output is wrong: ${state.duplicates} duplicate(s), ${state.missing} missing, counts ${state.countsExact ? 'exact' : 'NOT exact'}`);
      }
      render();
    },
    (error: unknown) => {
      if (!mine()) return;
      runEndedAt = Date.now();
      setStatus(h.status());
      showError(`The job failed: ${describe(error)}`, error);
    },
  );
  render();
}

async function startOver(): Promise<void> {
  const old = handle;
  handle = undefined;
  for (const u of unsubscribe.splice(0)) u();
  if (old) await old.cancel();
  Object.assign(state, {
    checkpoints: [], restarts: [], restores: [], lastCheckpoint: null, lastCompletedCheckpoint: null,
    recordsPerSecond: null, finished: false, verified: false, initialCommitted: null,
  });
  setStatus('loading');
  log('start over');
  await start('none');
  await refreshTables();
}

// ---------------------------------------------------------------------------------------------
// Buttons.

function button(id: string, action: () => Promise<void> | void): void {
  $(id).addEventListener('click', () => {
    void (async () => {
      try {
        await action();
      } catch (error) {
        showError(`${$(id).textContent}: ${describe(error)}`, error);
      }
    })();
  });
}

button('btn-checkpoint', async () => {
  if (!handle) return;
  log('trigger a checkpoint');
  try {
    const c = await handle.triggerCheckpoint();
    noteCheckpoint(c);
    log(`checkpoint ${c.id} ${c.status}${c.durationMs !== undefined ? ` in ${c.durationMs} ms` : ''}`);
  } catch (error) {
    // e.g. declined while the job restarts: worth a line, not an error
    log(`the checkpoint was not taken: ${describe(error)}`);
  }
  render();
});

button('btn-kill', () => {
  if (!handle) return;
  const worker = nextWorker++ % PARALLELISM;
  log(`kill worker ${worker}`);
  handle.injectFailure({ worker });
});

button('btn-reload', () => location.reload());
button('btn-start-over', () => startOver());

// ---------------------------------------------------------------------------------------------
// Rendering.

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    render();
  }, 50);
}

const fmt = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));
const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`);

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function rows(tbody: HTMLElement, data: HTMLTableCellElement[][]): void {
  tbody.replaceChildren(...data.map((cells) => {
    const tr = document.createElement('tr');
    tr.append(...cells);
    return tr;
  }));
}

function render(): void {
  try {
    const app = $('app');
    app.dataset.status = state.status;
    app.dataset.committed = String(state.committed ?? '');
    app.dataset.distinct = String(state.distinct ?? '');
    app.dataset.duplicates = String(state.duplicates ?? '');
    app.dataset.missing = String(state.missing ?? '');
    app.dataset.consistent = String(state.countsConsistent ?? '');
    app.dataset.finished = String(state.finished);
    app.dataset.verified = String(state.verified);
    app.dataset.lastCheckpoint = String(state.lastCompletedCheckpoint ?? '');
    app.dataset.restarts = String(state.restarts.length);

    $('job-name').textContent = state.jobName;
    const status = $('status');
    status.textContent = state.status;
    status.className = `badge ${state.status}`;
    $('input').textContent = `numbers 0..${fmt(state.records - 1)} at ${fmt(state.rate)}/s, ${state.keys} keys, parallelism ${state.parallelism}`;
    $('rate').textContent = state.recordsPerSecond === null ? '–' : fmt(Math.round(state.recordsPerSecond));
    // The latest deployment's state: a 'restore' event (where the runtime has it), or a later restart's.
    const restore = state.restores[state.restores.length - 1];
    const restart = state.restarts[state.restarts.length - 1];
    const from = (id: number | null) => (id === null ? 'the beginning' : `checkpoint ${id}`);
    $('resumed').textContent = restart !== undefined && (restore === undefined || restart.at >= restore.at)
      ? `${from(restart.restoredCheckpointId)} (restart ${restart.restart}${restart.fellBackFrom !== null ? `, fell back from checkpoint ${restart.fellBackFrom}` : ''})`
      : restore !== undefined
        ? `${from(restore.checkpointId)}${restore.skipped.length ? ` (passed over ${restore.skipped.map((s) => s.checkpointId).join(', ')})` : ''}`
        : '–';
    $('restart-count').textContent = String(state.restarts.length);
    $('elapsed').textContent = runStartedAt !== undefined
      ? `${(((runEndedAt ?? Date.now()) - runStartedAt) / 1000).toFixed(1)} s`
      : state.status === 'standby' && waitingSince !== undefined ? `– (on standby for ${((Date.now() - waitingSince) / 1000).toFixed(1)} s)` : '–';

    const running = handle !== undefined && (state.status === 'running' || state.status === 'restarting');
    ($('btn-checkpoint') as HTMLButtonElement).disabled = !running;
    ($('btn-kill') as HTMLButtonElement).disabled = !running;
    ($('btn-start-over') as HTMLButtonElement).disabled = state.status === 'loading';

    $('committed').textContent = state.committed === null ? '–' : `${fmt(state.committed)} of ${fmt(state.records)}`;
    $('distinct').textContent = fmt(state.distinct);
    const dup = $('duplicates');
    dup.textContent = state.duplicates === null ? '–' : state.duplicates === 0 ? '0 ✓' : `${fmt(state.duplicates)} ✗`;
    dup.className = state.duplicates === null ? '' : state.duplicates === 0 ? 'good' : 'bad';
    const missing = $('missing');
    missing.textContent = state.missing === null ? '–' : state.finished ? (state.missing === 0 ? '0 ✓' : `${fmt(state.missing)} ✗`) : `${fmt(state.missing)} (not yet committed)`;
    missing.className = state.finished ? (state.missing === 0 ? 'good' : 'bad') : 'muted';
    const consistent = $('consistent');
    if (state.countsConsistent === null) {
      consistent.textContent = '–';
      consistent.className = '';
    } else if (state.finished) {
      consistent.textContent = state.countsConsistent ? (state.countsExact ? 'yes, and exact ✓' : 'yes, but not exact ✗') : 'no ✗';
      consistent.className = state.countsConsistent && state.countsExact ? 'good' : 'bad';
    } else {
      consistent.textContent = state.countsConsistent ? 'yes ✓' : 'not at this read (commits landed between the two reads)';
      consistent.className = state.countsConsistent ? 'good' : 'muted';
    }
    $('initial-committed').textContent = fmt(state.initialCommitted);
    $('read-at').textContent = state.lastReadAt === null ? '' : `(read ${new Date(state.lastReadAt).toLocaleTimeString('en-GB')} in ${state.lastReadMs} ms${state.verified ? ', final' : ''})`;

    const expected = expectedCounts(params);
    rows($('counts'), [...lastCounts].sort((a, b) => Number(a.key.slice(1)) - Number(b.key.slice(1))).map((r) => {
      const s = lastFromSeen.get(r.key);
      const agrees = s !== undefined && s.count === r.count && s.sum === r.sum;
      const exact = expected.get(r.key)?.count === r.count;
      return [cell(r.key), cell(fmt(r.count), exact ? 'good' : ''), cell(fmt(r.sum)), cell(agrees ? '✓' : s ? `${fmt(s.count)} / ${fmt(s.sum)}` : '–', agrees ? 'good' : 'bad')];
    }));

    rows($('checkpoints'), [...state.checkpoints].reverse().slice(0, 40).map((c) => [
      cell(`${c.id}${c.final ? ' (final)' : ''}`),
      cell(c.status, c.status === 'completed' ? 'good' : c.status === 'failed' ? 'bad' : 'muted'),
      cell(c.durationMs === null ? '…' : `${c.durationMs} ms`),
      cell(bytes(c.stateSize)),
      cell(bytes(c.persistedSize)),
      cell(`${c.alignmentMs} ms`),
    ]));
    rows($('restarts'), [...state.restarts].reverse().map((r) => [
      cell(String(r.restart)),
      cell(r.cause),
      cell(r.restoredCheckpointId === null ? 'the beginning' : `checkpoint ${r.restoredCheckpointId}`),
      cell(r.fellBackFrom === null ? '' : `checkpoint ${r.fellBackFrom}`, r.fellBackFrom === null ? '' : 'bad'),
    ]));

    const logEl = $('log');
    const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
    logEl.textContent = state.log.join('\n');
    if (atBottom) logEl.scrollTop = logEl.scrollHeight;
  } catch (error) {
    // A rendering bug must not take the page down: show it once.
    if (!state.error?.includes('rendering failed')) showError(`rendering failed: ${describe(error)}`, error);
  }
}

// ---------------------------------------------------------------------------------------------
// Start.

async function main(): Promise<void> {
  render();
  if (paramsError !== undefined) {
    setStatus('error');
    showError(`Bad URL parameters: ${describe(paramsError)}. Fix the URL, or open the page without parameters for the default demo.`);
    return;
  }
  // What is committed before this page runs anything: after a reload, with checkpoints in IndexedDB,
  // the previous page's output (the job resumes from there); in memory storage, nothing.
  await refreshTables();
  state.initialCommitted = state.committed;
  log(`committed before this page ran the job: ${fmt(state.committed)} row(s) in 'seen'`);
  setInterval(() => {
    if (state.finished || state.status === 'error') return;
    if (!reading) refreshTables().catch((error: unknown) => showError(`reading the tables failed: ${describe(error)}`, error));
    if (handle) for (const c of handle.checkpoints()) noteCheckpoint(c);
    render();
  }, READ_EVERY_MS);
  if (!autorun) {
    setStatus('idle');
    return;
  }
  await start('latest');
}

main().catch((error: unknown) => {
  if (state.status === 'loading') setStatus('error');
  showError(`The playground failed to start: ${describe(error)}`, error);
});
