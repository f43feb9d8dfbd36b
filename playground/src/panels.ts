// The text panels: the job's status, the committed output and its duplicate counter, the recovery
// (restarts and restores), and the event log. Everything comes from the page state.
import { cell, fmt, rows } from './format.js';
import type { PlaygroundState } from './page-state.js';

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const from = (id: number | null) => (id === null ? 'the beginning' : `checkpoint ${id}`);

export function renderPanels(state: PlaygroundState, view: { runStartedAt: number | undefined; preview: unknown[]; hasSession: boolean }): void {
  const app = $('app');
  app.dataset.status = state.status;
  app.dataset.committed = String(state.committed ?? '');
  app.dataset.duplicates = String(state.duplicates ?? '');
  app.dataset.missing = String(state.missing ?? '');
  app.dataset.finished = String(state.finished);
  app.dataset.verified = String(state.verified);
  app.dataset.lastCheckpoint = String(state.lastCompletedCheckpoint ?? '');
  app.dataset.restarts = String(state.restarts.length);

  $('job-name').textContent = state.jobName ?? '–';
  const status = $('status');
  status.textContent = state.status;
  status.className = `badge ${state.status}`;
  const notice = $('notice');
  if (state.status === 'standby') {
    notice.textContent = 'Another tab is running this job. This tab is on standby: it takes the job over, from the latest checkpoint, when that tab closes.';
    notice.className = 'shown';
  } else if (notice.textContent?.startsWith('Another tab')) notice.className = '';
  $('rate').textContent = state.recordsPerSecond === null ? '–' : fmt(Math.round(state.recordsPerSecond));
  const restore = state.restores[state.restores.length - 1];
  const restart = state.restarts[state.restarts.length - 1];
  $('resumed').textContent = restart !== undefined && (restore === undefined || restart.at >= restore.at)
    ? `${from(restart.restoredCheckpointId)} (restart ${restart.restart}${restart.fellBackFrom !== null ? `, fell back from checkpoint ${restart.fellBackFrom}` : ''})`
    : restore !== undefined
      ? `${from(restore.checkpointId)}${restore.skipped.length ? ` (passed over ${restore.skipped.map((s) => s.checkpointId).join(', ')})` : ''}`
      : '–';
  $('restart-count').textContent = String(state.restarts.length);
  $('elapsed').textContent = view.runStartedAt === undefined ? '–' : `${((Date.now() - view.runStartedAt) / 1000).toFixed(1)} s`;
  const running = view.hasSession && (state.status === 'running' || state.status === 'restarting');
  ($('btn-checkpoint') as HTMLButtonElement).disabled = !running;
  ($('btn-kill') as HTMLButtonElement).disabled = !running;
  ($('btn-stop') as HTMLButtonElement).disabled = !view.hasSession;

  $('check-table').textContent = state.checkTable ?? '(the module exports no check)';
  $('committed').textContent = state.committed === null ? '–' : `${fmt(state.committed)}${state.expectedRows !== null ? ` of ${fmt(state.expectedRows)}` : ''}`;
  const dup = $('duplicates');
  dup.textContent = state.duplicates === null ? '–' : state.duplicates === 0 ? '0 ✓' : `${fmt(state.duplicates)} ✗`;
  dup.className = state.duplicates === null ? '' : state.duplicates === 0 ? 'good' : 'bad';
  const missing = $('missing');
  missing.textContent = state.missing === null ? '–' : state.finished ? (state.missing === 0 ? '0 ✓' : `${fmt(state.missing)} ✗`) : `${fmt(state.missing)} (not yet committed)`;
  missing.className = state.missing === null ? '' : state.finished ? (state.missing === 0 ? 'good' : 'bad') : 'muted';
  const consistent = $('consistent');
  consistent.textContent = state.committed === null ? '–' : state.problem === null ? (state.finished ? 'exact ✓' : 'consistent ✓') : state.problem;
  consistent.className = state.committed === null ? '' : state.problem === null ? 'good' : state.finished ? 'bad' : 'muted';
  $('initial-committed').textContent = fmt(state.initialCommitted);
  $('read-at').textContent = state.lastReadAt === null ? '' : `(read ${new Date(state.lastReadAt).toLocaleTimeString('en-GB')}${state.verified ? ', final' : ''})`;
  $('preview').textContent = view.preview.length ? `latest rows:\n${view.preview.map((r) => JSON.stringify(r)).join('\n')}` : '';

  const summary = $('recovery-summary');
  const lastThrown = state.thrown[state.thrown.length - 1];
  summary.textContent = restart !== undefined
    ? `Restart ${restart.restart}: restored from ${from(restart.restoredCheckpointId)}${restart.replayed !== null ? `, ≈ ${fmt(restart.replayed)} records replayed` : ''}`
      + `${lastThrown ? `; last throw: ${lastThrown.where} in ${lastThrown.worker}` : ''}. Duplicates in the committed output: ${fmt(state.duplicates)}.`
    : restore !== undefined && restore.checkpointId !== null
      ? `This page resumed the job from checkpoint ${restore.checkpointId} (what an earlier page or tab left)`
        + `${restore.replayed !== null ? `, ≈ ${fmt(restore.replayed)} records replayed` : ''}. Duplicates in the committed output: ${fmt(state.duplicates)}.`
      : 'No failure yet: kill a worker, throw once, or reload the tab.';
  rows($('restarts'), [...state.restarts].reverse().map((r) => [
    cell(String(r.restart)),
    cell(r.cause),
    cell(from(r.restoredCheckpointId)),
    cell(r.replayed === null ? '–' : `≈ ${fmt(r.replayed)}`),
    cell(r.fellBackFrom === null ? '' : `checkpoint ${r.fellBackFrom}`, r.fellBackFrom === null ? '' : 'bad'),
  ]));

  const logEl = $('log');
  const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
  logEl.textContent = state.log.join('\n');
  if (atBottom) logEl.scrollTop = logEl.scrollHeight;
}
