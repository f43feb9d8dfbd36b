// How many records the sources had read at a moment, integrated from the 'metrics' event's
// recordsPerSecond: what lets the page say how many records a restart replays (those read after
// the checkpoint it restores, which the sources read again). An estimate, shown with '≈': past the
// last sample it assumes the last rate went on. Pure.

export interface ProgressSample {
  readonly t: number;
  readonly total: number;
  readonly rate: number;
}

export class ReadProgress {
  constructor(private readonly samples: ProgressSample[] = []) {}

  /** The latest samples, to keep (the page keeps them across a reload). */
  recent(count: number): ProgressSample[] {
    return this.samples.slice(-count);
  }

  add(timestamp: number, recordsPerSecond: number): void {
    const last = this.samples[this.samples.length - 1];
    const total = last === undefined ? 0 : last.total + (recordsPerSecond * Math.max(0, timestamp - last.t)) / 1000;
    this.samples.push({ t: timestamp, total, rate: recordsPerSecond });
    if (this.samples.length > 2000) this.samples.splice(0, 1000);
  }

  /** Records read up to `t` (linear between samples, the last rate after the last); undefined before the first sample. */
  at(t: number): number | undefined {
    const s = this.samples;
    if (s.length === 0 || t < s[0]!.t) return undefined;
    for (let i = s.length - 1; i >= 0; i--) {
      const a = s[i]!;
      if (a.t <= t) {
        const next = s[i + 1];
        if (!next) return a.total + (a.rate * (t - a.t)) / 1000;
        return a.total + ((next.total - a.total) * (t - a.t)) / (next.t - a.t);
      }
    }
    return undefined;
  }

  /** Records read between `from` and `now`. */
  since(from: number, now: number): number | undefined {
    const start = this.at(Math.max(from, this.samples[0]?.t ?? from));
    const end = this.at(now);
    return start === undefined || end === undefined ? undefined : Math.max(0, Math.round(end - start));
  }

  /** Records read in all, up to `now`. */
  total(now: number): number {
    return Math.round(this.at(now) ?? 0);
  }
}
