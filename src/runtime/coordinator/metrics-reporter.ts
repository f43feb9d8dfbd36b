import type { Clock } from '../clock.js';
import type { SubtaskMetrics } from '../execution/task-executor.js';
import type { MetricsEvent } from './job-events.js';

/** Emits a 'metrics' event every intervalMs: the tasks' counters, and the sources' rate since the last event. */
export class MetricsReporter {
  private timer: unknown;
  private last = { at: 0, records: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly read: () => SubtaskMetrics[],
    private readonly emit: (event: MetricsEvent) => void,
  ) {}

  start(): void {
    this.last = { at: this.clock.now(), records: 0 };
    this.schedule();
  }

  /** A deploy's new tasks count from zero. */
  restartCounts(): void {
    this.last = { at: this.last.at, records: 0 };
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      const subtasks = this.read();
      // recordsOut is counted by source tasks only (records read); after a restart the counters start again at 0.
      const records = subtasks.reduce((n, s) => n + s.recordsOut, 0);
      const now = this.clock.now();
      const seconds = Math.max(1e-3, (now - this.last.at) / 1000);
      this.emit({ timestamp: now, recordsPerSecond: Math.max(0, records - this.last.records) / seconds, subtasks });
      this.last = { at: now, records };
      this.schedule();
    }, this.intervalMs);
  }
}
