// How many records the sources had read at a moment, integrated from the 'metrics' event's
// recordsPerSecond: what lets the page say how many records a restart replays (those read after
// the checkpoint it restores, which the sources read again). An estimate, shown with '≈'. Pure.

export class ReadProgress {
  private readonly samples: { t: number; total: number }[] = [];

  add(timestamp: number, recordsPerSecond: number): void {
    const last = this.samples[this.samples.length - 1];
    const total = last === undefined ? 0 : last.total + (recordsPerSecond * Math.max(0, timestamp - last.t)) / 1000;
    this.samples.push({ t: timestamp, total });
    if (this.samples.length > 2000) this.samples.splice(0, 1000);
  }

  /** Records read up to `t` (linear between samples); undefined before the first sample. */
  at(t: number): number | undefined {
    const s = this.samples;
    if (s.length === 0 || t < s[0]!.t) return undefined;
    for (let i = s.length - 1; i >= 0; i--) {
      if (s[i]!.t <= t) {
        const next = s[i + 1];
        if (!next) return s[i]!.total;
        return s[i]!.total + ((next.total - s[i]!.total) * (t - s[i]!.t)) / (next.t - s[i]!.t);
      }
    }
    return undefined;
  }

  /** Records read between `from` and the last sample. */
  since(from: number): number | undefined {
    const start = this.at(from);
    const last = this.samples[this.samples.length - 1];
    return start === undefined || last === undefined ? undefined : Math.max(0, Math.round(last.total - start));
  }

  /** Records read in all (since the first sample). */
  total(): number {
    return Math.round(this.samples[this.samples.length - 1]?.total ?? 0);
  }
}
