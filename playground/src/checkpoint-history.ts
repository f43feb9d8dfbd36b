// Checkpoint history as Flink's web UI lists it: id, status, trigger time, end-to-end duration,
// state size (and bytes written), alignment; a click on a row shows that checkpoint per subtask
// (when each acked, alignment, sync and async parts, state size) and can replay it in slow motion.
import { subtaskPhases } from './barrier-timeline.js';
import { bytes, cell, clock, ms, rows } from './format.js';
import type { CheckpointSummary } from './page-state.js';
import type { PlanDescription } from './plan-types.js';

export class CheckpointHistory {
  private selected: number | undefined;

  constructor(
    private readonly body: HTMLElement,
    private readonly detail: HTMLElement,
    private readonly onReplay: (checkpointId: number) => void,
  ) {}

  render(checkpoints: readonly CheckpointSummary[], plan: PlanDescription | null): void {
    rows(this.body, [...checkpoints].reverse().slice(0, 50).map((c) => {
      const tr = document.createElement('tr');
      tr.dataset.checkpoint = String(c.id);
      tr.className = c.id === this.selected ? 'selected' : '';
      tr.append(
        cell(`${c.id}${c.final ? ' (final)' : ''}`),
        cell(c.status, c.status === 'completed' ? 'good' : c.status === 'failed' ? 'bad' : 'muted'),
        cell(clock(c.triggerTimestamp)),
        cell(ms(c.durationMs)),
        cell(bytes(c.stateSize)),
        cell(bytes(c.persistedSize)),
        cell(ms(c.alignmentMs)),
      );
      if (c.failureReason) tr.title = c.failureReason;
      tr.addEventListener('click', () => {
        this.selected = c.id;
        this.render(checkpoints, plan);
      });
      return tr;
    }));
    this.renderDetail(checkpoints.find((c) => c.id === this.selected), plan);
  }

  private renderDetail(c: CheckpointSummary | undefined, plan: PlanDescription | null): void {
    if (!c) {
      this.detail.replaceChildren();
      return;
    }
    const names = new Map(plan?.vertices.map((v) => [v.id, v.name]) ?? []);
    const title = document.createElement('div');
    title.className = 'detail-title';
    title.textContent = `Checkpoint ${c.id}: ${c.status}${c.failureReason ? ` (${c.failureReason})` : ''}, triggered ${clock(c.triggerTimestamp)}`;
    const replay = document.createElement('button');
    replay.textContent = 'Replay in slow motion';
    replay.id = 'btn-replay-selected';
    replay.disabled = c.status !== 'completed' || !plan;
    replay.addEventListener('click', () => this.onReplay(c.id));
    title.append(' ', replay);
    const table = document.createElement('table');
    table.className = 'subtasks';
    table.innerHTML = '<thead><tr><th>subtask</th><th>acked after</th><th>alignment</th><th>sync</th><th>async</th><th>state size</th><th>written</th></tr></thead>';
    const body = document.createElement('tbody');
    rows(body, [...c.subtasks].sort((a, b) => a.subtask.vertexId - b.subtask.vertexId || a.subtask.subtaskIndex - b.subtask.subtaskIndex).map((s) => {
      const p = subtaskPhases(s);
      return [
        cell(`${names.get(s.subtask.vertexId) ?? s.taskName} #${s.subtask.subtaskIndex}`),
        cell(`+${Math.round(p.acked - c.triggerTimestamp)} ms`),
        cell(ms(s.alignmentDurationMs)),
        cell(ms(s.syncDurationMs)),
        cell(ms(s.asyncDurationMs)),
        cell(bytes(s.stateSize)),
        cell(bytes(s.persistedSize)),
      ];
    }));
    table.append(body);
    this.detail.replaceChildren(title, table);
  }
}
