// The playground page: an editor holding a job module (examples to start from), which runs in Web
// Workers as any app's job module would (run(url) with the module loaded by URL in every worker),
// and views of it running: the job graph with live rates and barriers, checkpoint history, a chart,
// the recovery after a kill, a throw or a reload, and the duplicate counter over committed output.
//
// It uses only Weir's public API ('weir', the browser build). Tests read `window.__weir` (the page
// state, page-state.ts) and use `window.__weirApi`.
import { readTable } from 'weir';
import { saveCode, startingCode } from './code-source.js';
import { CommittedOutput } from './committed-output.js';
import { createEditor, type Editor } from './editor.js';
import { EXAMPLES, exampleById } from './examples.js';
import { GraphPanel } from './graph-panel.js';
import { JobCodeError, loadJobCode, type LoadedJob } from './job-loader.js';
import { startSession, type Session } from './job-session.js';
import { describeError, initialState, resetRun, type PlaygroundState } from './page-state.js';
import { renderPanels } from './panels.js';
import { SettingsForm } from './settings-form.js';
import { throwOnce } from './throw-once.js';
import { drawChart } from './throughput-chart.js';
import { savepointButtons } from './savepoint-buttons.js';

window.__weirStarted = true;
const READ_EVERY_MS = 1000;
const $ = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
};
const storage = (() => {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
})();

const search = new URLSearchParams(location.search);
// The page runs its code at once (after a reload: the job resumes), unless told not to, or the
// job was stopped with "Stop" in this browser (a reload then leaves it stopped).
const STOPPED_KEY = 'weir-playground:stopped';
const stoppedByUser = storage?.getItem(STOPPED_KEY) === '1' && !search.has('example') && ![...search.keys()].some((k) => k !== 'autorun');
const autorun = search.get('autorun') !== '0' && !stoppedByUser;
const savedParallelism = Number(storage?.getItem('weir-playground:parallelism'));
const state = initialState(Number.isInteger(savedParallelism) && savedParallelism >= 1 && savedParallelism <= 4 ? savedParallelism : 2);
window.__weir = state;

let session: Session | undefined;
/** Stops the running module's page part (its `page(panel)` export). */
let stopPagePart: (() => void) | undefined;
let output: CommittedOutput | undefined;
let runStartedAt: number | undefined;
let nextWorker = 0;
let starting: Promise<void> = Promise.resolve();

function log(line: string): void {
  state.log.push(`${new Date().toISOString().slice(11, 23)}  ${line}`);
  if (state.log.length > 300) state.log.splice(0, state.log.length - 300);
  scheduleRender();
}

function showError(message: string, error?: unknown): void {
  state.error = state.error ? `${state.error}\n${message}` : message;
  const box = $('error');
  box.textContent = state.error;
  box.className = 'shown';
  log(`error: ${message}`);
  console.error(`playground: ${message}`, error ?? '');
  scheduleRender();
}

/** Bad job code: shown beside the editor, not as a page error (nothing is broken but the code). */
function showCodeError(message: string, line?: number, status: PlaygroundState['status'] = 'idle'): void {
  state.codeError = message;
  state.status = status;
  const box = $('code-error');
  box.textContent = message + (line ? '\n(click to go to the line)' : '');
  box.className = 'shown';
  box.onclick = () => line && editor.goToLine(line);
  log(`the code ${status === 'idle' ? 'did not run' : 'failed'}: ${message}`);
  scheduleRender();
}

window.addEventListener('error', (e) => showError(`Uncaught: ${e.message}`, e.error));
window.addEventListener('unhandledrejection', (e) => showError(`Unhandled rejection: ${describeError(e.reason)}`, e.reason));

// ---------------------------------------------------------------------------------------------
// The code.

let start;
try {
  start = startingCode(search, storage);
} catch (error) {
  showError(`Bad URL parameters: ${describeError(error)}. Open the page without parameters for the first example.`);
  start = startingCode(new URLSearchParams(), storage);
}
state.example = start.example;
const exampleSelect = $('example') as HTMLSelectElement;
exampleSelect.append(...EXAMPLES.map((e) => new Option(e.title, e.id)), new Option('(your code)', ''));
exampleSelect.value = start.example ?? '';
const parallelismSelect = $('parallelism') as HTMLSelectElement;
parallelismSelect.value = String(state.parallelism);

const settings = new SettingsForm($('settings'), (code, changed) => {
  editor.setCode(code);
  // A new value of a setting that does not change the graph (a rate): the running job picks it up
  // by resuming from its latest checkpoint. Any other (a job name): it applies at the next run.
  if (session && changed !== 'NAME' && (state.status === 'running' || state.status === 'restarting')) {
    log(`setting ${changed} changed: resuming the job with it`);
    void runCode('latest');
  }
});
const editor: Editor = createEditor($('editor'), start.code, (code) => {
  saveCode(storage, code, state.example);
  settings.update(code);
}, () => void runCode('none'));
settings.update(start.code);
saveCode(storage, start.code, start.example);

exampleSelect.addEventListener('change', () => {
  const example = exampleById(exampleSelect.value);
  if (!example) return;
  state.example = example.id;
  editor.setCode(example.code);
  saveCode(storage, example.code, example.id);
  void runCode('latest');
});
parallelismSelect.addEventListener('change', () => {
  state.parallelism = Number(parallelismSelect.value);
  storage?.setItem('weir-playground:parallelism', String(state.parallelism));
  log(`parallelism ${state.parallelism}: applies at the next run (resuming rescales the job's state)`);
});

// ---------------------------------------------------------------------------------------------
// Running.

async function stopSession(): Promise<void> {
  const old = session;
  session = undefined;
  output = undefined;
  stopPage();
  graphPanel.clear('no job running');
  if (old) {
    log(`stop ${old.handle.jobName}`);
    await old.stop().catch((error: unknown) => log(`cancel failed: ${describeError(error)}`));
    // Workers import the module again at each restart, so its URL lives as long as its job.
    URL.revokeObjectURL(old.moduleUrl);
  }
}

/** Runs the editor's code: 'none' from the beginning (its tables emptied), 'latest' from its latest checkpoint, or from a savepoint. */
function runCode(resume: 'latest' | 'none' | { savepoint: Uint8Array }): Promise<void> {
  starting = starting.then(() => runCodeNow(resume));
  return starting;
}

async function runCodeNow(resume: 'latest' | 'none' | { savepoint: Uint8Array }): Promise<void> {
  storage?.removeItem(STOPPED_KEY);
  await stopSession();
  resetRun(state);
  $('code-error').className = '';
  state.status = 'loading';
  runStartedAt = undefined;
  scheduleRender();
  const code = editor.getCode();
  let loaded;
  try {
    loaded = await loadJobCode(code);
  } catch (error) {
    if (error instanceof JobCodeError) showCodeError(error.message, error.line);
    else showCodeError(describeError(error));
    return;
  }
  state.jobName = loaded.definition.name;
  state.checkTable = loaded.check?.table ?? null;
  const out = new CommittedOutput(state, loaded.definition.name, loaded.check);
  if (resume !== 'none') {
    // What an earlier page committed: after a reload the job resumes from there.
    await out.refresh().catch(() => {});
    state.initialCommitted = state.committed ?? (loaded.check ? 0 : null);
  } else state.initialCommitted = 0;
  try {
    session = await startSession(loaded, { parallelism: state.parallelism, resume }, state, {
      log,
      changed: scheduleRender,
      checkpointCompleted: (c) => graphPanel.checkpointCompleted(c),
      finished: async () => {
        await out.refresh(true).catch((e: unknown) => showError(`reading the tables failed: ${describeError(e)}`, e));
        state.finished = true;
        state.verified = true;
        if (state.duplicates === 0 && (state.missing ?? 0) === 0 && state.problem === null) log('verified: every row committed exactly once');
        else if (loaded.check) showError(`The finished job's output is wrong: ${state.duplicates} duplicate(s), ${state.missing ?? 0} missing${state.problem ? `, ${state.problem}` : ''}`);
      },
      // A user function that throws every time is the code's fault: shown beside the editor.
      failed: (error) => ((error as { domain?: string }).domain === 'user'
        ? showCodeError(`The job failed after ${state.restarts.length} restart(s) — ${describeError(error)}`, undefined, 'failed')
        : showError(`The job failed: ${describeError(error)}`, error)),
    });
  } catch (error) {
    // run() refused the job: its graph is not valid (no sink…), or the build function threw.
    URL.revokeObjectURL(loaded.url);
    const mismatch = (error as { code?: string }).code === 'STATE_MISMATCH';
    showCodeError(`run() refused the job — ${describeError(error)}`
      + (mismatch && resume === 'latest' ? '\nIts latest checkpoint is of another graph: "Run from the beginning" starts the job over.' : ''));
    return;
  }
  output = out;
  if (loaded.page) startPage(loaded.page);
  if (!loaded.check) log('this job module exports no `check`: the duplicate counter needs `export const check = { table: … }`');
  runStartedAt = Date.now();
  scheduleRender();
}

/** The module's part that runs in the page, drawn into #page-panel; a throw is the code's fault. */
function startPage(page: NonNullable<LoadedJob['page']>): void {
  const panel = $('page-panel');
  panel.replaceChildren();
  $('page-section').hidden = false;
  try {
    const stop = page(panel);
    stopPagePart = typeof stop === 'function' ? stop : undefined;
  } catch (error) {
    showCodeError(`page(panel) threw: ${describeError(error)}`, undefined, state.status);
  }
}

function stopPage(): void {
  const stop = stopPagePart;
  stopPagePart = undefined;
  try {
    stop?.();
  } catch (error) {
    log(`the page part's stop function threw: ${describeError(error)}`);
  }
  $('page-panel').replaceChildren();
  for (const key of Object.keys($('page-panel').dataset)) delete $('page-panel').dataset[key];
  $('page-section').hidden = true;
}

// ---------------------------------------------------------------------------------------------
// Views.

const graphPanel = new GraphPanel(state, {
  graph: $('graph') as unknown as SVGSVGElement, note: $('slowmo-note'), slowMotion: $('btn-slowmo'), checkpoints: $('checkpoints'), detail: $('checkpoint-detail'),
});

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    render();
  }, 50);
}

function render(): void {
  try {
    graphPanel.render(session !== undefined);
    renderPanels(state, { runStartedAt, preview: output?.preview ?? [], hasSession: session !== undefined });
    const failPoints = /\bfailPoint\s*\(/.test(editor.getCode());
    ($('btn-throw') as HTMLButtonElement).disabled = !session || state.status !== 'running' || !failPoints;
    $('btn-throw').title = failPoints ? 'arms failPoint() in the job\'s user functions: the next call throws, once' : "the code calls no failPoint() (import { failPoint } from 'playground')";
    drawChart($('chart') as unknown as SVGSVGElement, {
      throughput: session?.throughput ?? [],
      checkpoints: state.checkpoints.filter((c) => c.durationMs !== null).map((c) => ({ t: c.triggerTimestamp, durationMs: c.durationMs!, failed: c.status === 'failed' })),
      restarts: state.restarts.map((r) => r.at),
    }, Date.now());
  } catch (error) {
    if (!state.error?.includes('rendering failed')) showError(`rendering failed: ${describeError(error)}`, error);
  }
}

// ---------------------------------------------------------------------------------------------
// Buttons.

function button(id: string, action: () => Promise<void> | void): void {
  $(id).addEventListener('click', () => {
    void (async () => {
      try {
        await action();
      } catch (error) {
        showError(`${$(id).textContent}: ${describeError(error)}`, error);
      }
    })();
  });
}

const thrower = throwOnce((m) => {
  state.thrown.push({ ...m, at: Date.now() });
  log(`${m.where} threw on purpose in ${m.worker || 'a worker'}`);
});

button('btn-start-over', () => runCode('none'));
button('btn-resume', () => runCode('latest'));
button('btn-stop', async () => {
  storage?.setItem(STOPPED_KEY, '1');
  await stopSession();
  state.status = 'idle';
  scheduleRender();
});
button('btn-checkpoint', async () => {
  if (!session) return;
  log('trigger a checkpoint');
  try {
    const c = await session.handle.triggerCheckpoint();
    log(`checkpoint ${c.id} ${c.status}${c.durationMs !== undefined ? ` in ${c.durationMs} ms` : ''}`);
  } catch (error) {
    log(`the checkpoint was not taken: ${describeError(error)}`); // e.g. declined while the job restarts
  }
});
button('btn-kill', () => {
  if (!session) return;
  const worker = nextWorker++ % state.parallelism;
  log(`kill worker ${worker}`);
  session.handle.injectFailure({ worker });
});
button('btn-throw', () => {
  const worker = nextWorker++ % state.parallelism;
  log(`throw once: armed failPoint() in worker ${worker} (${thrower.arm(worker)})`);
});
button('btn-reload', () => location.reload());
savepointButtons({ download: $('btn-savepoint'), start: $('btn-from-savepoint'), file: $('savepoint-file') as HTMLInputElement }, {
  handle: () => (session && state.status === 'running' ? session.handle : undefined), log, run: (savepoint) => runCode({ savepoint }), failed: showError,
});

window.__weirApi = {
  // The job's name comes from its module, known once the page loaded it (a moment after startup).
  readTable: async (table) => {
    for (let i = 0; state.jobName === null && i < 200; i++) await new Promise((ok) => setTimeout(ok, 50));
    if (state.jobName === null) throw new Error('no job module loaded yet');
    return readTable(state.jobName, table);
  },
  refresh: () => output?.refresh() ?? Promise.resolve(),
  handle: () => session?.handle,
  getCode: () => editor.getCode(),
  setCode: (code) => editor.setCode(code),
  run: (resume) => runCode(resume),
};

// ---------------------------------------------------------------------------------------------
// Start: run the code (resuming: after a reload the job goes on from its latest checkpoint).

setInterval(() => {
  if (output && !output.busy && !state.finished) output.refresh().catch((e: unknown) => showError(`reading the tables failed: ${describeError(e)}`, e)).then(scheduleRender);
  scheduleRender();
}, READ_EVERY_MS);

log(`code: ${start.from === 'url' ? `example '${start.example}' from the URL` : start.from === 'saved' ? 'as last edited in this browser' : `example '${start.example}'`}`);
if (autorun) void runCode('latest');
else {
  state.status = 'idle';
  $('notice').textContent = stoppedByUser
    ? 'The job was stopped. "Run, resuming" goes on from its latest checkpoint; "Run from the beginning" starts it over.'
    : 'Not started (?autorun=0). Press "Run" to run the code.';
  $('notice').className = 'shown';
}
render();
