// Reads what the job committed (readTable: the same storage the job writes, IndexedDB by default)
// and keeps the duplicate counter: rows of the module's check table committed more than once.
// One read at a time; a call during a read waits for it and reads again.
import { readTable } from 'weir';
import type { OutputCheck } from './job-loader.js';
import { countDuplicates } from './output-check.js';
import type { PlaygroundState } from './page-state.js';

export class CommittedOutput {
  private reading: Promise<void> | undefined;
  /** The first rows of the check table at the last read, to show. */
  preview: unknown[] = [];

  constructor(private readonly state: PlaygroundState, private readonly jobName: string, private readonly check: OutputCheck | undefined) {}

  async refresh(final = false): Promise<void> {
    while (this.reading) await this.reading.catch(() => {});
    this.reading = this.readOnce(final);
    try {
      await this.reading;
    } finally {
      this.reading = undefined;
    }
  }

  get busy(): boolean {
    return this.reading !== undefined;
  }

  private async readOnce(final: boolean): Promise<void> {
    const check = this.check;
    if (!check) return;
    // The tables are read one after the other while sinks commit, so a commit can land between the
    // reads and make them disagree for a moment: read again (twice at most) before showing that.
    for (let attempt = 1; ; attempt++) {
      const tables: Record<string, unknown[]> = {};
      for (const t of check.tables ?? []) tables[t] = await readTable(this.jobName, t);
      const rows = await readTable(this.jobName, check.table);
      tables[check.table] = rows;
      let problem: string | null = null;
      try {
        problem = check.verify ? check.verify(tables, final) : null;
      } catch (error) {
        problem = `check.verify threw: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (problem === null || final || attempt === 3) {
        const d = countDuplicates(rows, check.id);
        const s = this.state;
        s.committed = d.rows;
        s.distinct = d.distinct;
        s.duplicates = d.duplicates;
        s.expectedRows = check.expectedRows ?? null;
        s.missing = check.expectedRows === undefined ? null : Math.max(0, check.expectedRows - d.distinct);
        s.problem = problem;
        s.reads++;
        s.lastReadAt = Date.now();
        this.preview = rows.slice(-8);
        return;
      }
    }
  }
}
