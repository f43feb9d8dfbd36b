// The job graph with its replays (live, after each completed checkpoint, and "Slow motion", one
// checkpoint at a time), and the checkpoint history whose rows pick the checkpoint to replay.
import type { CheckpointStats } from 'weir';
import { barrierTimeline } from './barrier-timeline.js';
import { CheckpointHistory } from './checkpoint-history.js';
import { GraphView } from './graph-view.js';
import type { PlaygroundState } from './page-state.js';

type Replayable = Pick<CheckpointStats, 'id' | 'triggerTimestamp' | 'subtasks'>;

export class GraphPanel {
  private readonly graph: GraphView;
  private readonly history: CheckpointHistory;
  private drawnPlan: unknown;
  private slowMotion = false;

  constructor(private readonly state: PlaygroundState, private readonly els: { graph: SVGSVGElement; note: HTMLElement; slowMotion: HTMLElement; checkpoints: HTMLElement; detail: HTMLElement }) {
    this.graph = new GraphView(els.graph);
    this.history = new CheckpointHistory(els.checkpoints, els.detail, (id) => {
      const c = state.checkpoints.find((x) => x.id === id);
      if (c) this.replay(c, true);
    });
    els.slowMotion.addEventListener('click', () => this.toggleSlowMotion());
  }

  /** A checkpoint completed: replay it live, unless a replay is still on. */
  checkpointCompleted(c: Replayable): void {
    this.replay(c, false);
  }

  clear(note: string): void {
    this.drawnPlan = null;
    this.graph.setPlan(null, note);
  }

  render(hasSession: boolean): void {
    const s = this.state;
    if (s.plan !== this.drawnPlan) {
      this.drawnPlan = s.plan;
      this.graph.setPlan(s.plan, hasSession ? 'waiting for the job to run' : 'no job running');
      this.els.note.textContent = s.planFromMetrics ? 'this build of Weir has no handle.plan(): tasks from the metrics, edges unknown' : '';
    }
    this.graph.setRates(s.rates);
    this.history.render(s.checkpoints, s.plan);
  }

  private replay(c: Replayable, slow: boolean): void {
    // Live, a replay is not cut short by the next checkpoint (every few are shown whole); in slow
    // motion only the chosen one plays.
    if (!this.state.plan || (!slow && (this.slowMotion || this.graph.replaying))) return;
    const timeline = barrierTimeline(this.state.plan, c);
    const span = timeline.end - timeline.start;
    // Live: a checkpoint takes milliseconds, so even live it is replayed slowed, to about a second.
    // Slow motion: six seconds for the barriers' flow, edge by edge, and two for the writes.
    const durations = slow ? { flowMs: 6000, restMs: 2000 } : { flowMs: 700, restMs: 300 };
    if (slow) this.els.note.textContent = `replaying checkpoint ${c.id} (${span.toFixed(1)} ms) in slow motion`;
    this.graph.replay(timeline, c.id, durations, () => {
      if (slow) this.els.note.textContent = `checkpoint ${c.id} replayed; click a checkpoint below and "Replay in slow motion" for another`;
    });
  }

  private toggleSlowMotion(): void {
    this.slowMotion = !this.slowMotion;
    const b = this.els.slowMotion;
    b.setAttribute('aria-pressed', String(this.slowMotion));
    b.textContent = this.slowMotion ? 'Slow motion: on (live replays paused)' : 'Slow motion: follow one checkpoint';
    // Not a job's final checkpoint: it is triggered at tasks whose input ended, no barrier flows.
    const done = [...this.state.checkpoints].reverse().filter((c) => c.status === 'completed');
    const last = done.find((c) => !c.final) ?? done[0];
    if (this.slowMotion && last) this.replay(last, true);
    if (!this.slowMotion) {
      this.graph.stopReplay();
      this.els.note.textContent = '';
    }
  }
}
