// A custom source (README, "Writing a source"): records fetched a page at a time by any async
// call — an HTTP API, a database — read exactly once from checkpointed positions.
import type { PollStatus, Source, SourceReader, SourceSplit } from 'weir';

/** Records 0..count-1 of a paged collection; `fetchPage(from, size)` returns those records. */
export function paged<T>(count: number, pageSize: number, fetchPage: (from: number, size: number) => Promise<T[]>): Source<T> {
  return {
    kind: 'weir.source',
    name: 'paged',
    bounded: true,
    createSplits: () => [{ next: 0 }], // one split: this source reads with one subtask
    createReader: (splits) => new PagedReader<T>(splits, count, pageSize, fetchPage),
  };
}

class PagedReader<T> implements SourceReader<T> {
  private next: number; // the split's position: the index of the next record to emit
  private page: T[] = [];
  private pageStart = 0;
  private fetching: Promise<void> | undefined;
  private failure: unknown;

  constructor(splits: readonly SourceSplit[], private readonly count: number, private readonly pageSize: number,
    private readonly fetchPage: (from: number, size: number) => Promise<T[]>) {
    this.next = splits.length === 0 ? count : (splits[0]!.next as number);
  }

  // Synchronous and cheap: hand out what the last fetch brought; never await here.
  poll(max: number, emit: (value: T) => void): PollStatus {
    if (this.failure !== undefined) throw this.failure; // fails the job; the restart strategy decides
    let n = 0;
    while (n < max && this.next - this.pageStart < this.page.length && this.next >= this.pageStart) {
      emit(this.page[this.next - this.pageStart]!);
      this.next++;
      n++;
    }
    if (n > 0) return { kind: 'more' };
    if (this.next >= this.count) return { kind: 'end' };
    // Nothing here: start the fetch and tell the task to poll again once it settled (no busy polling).
    const from = this.next;
    this.fetching ??= this.fetchPage(from, Math.min(this.pageSize, this.count - from)).then(
      (records) => {
        this.page = records;
        this.pageStart = from;
        this.fetching = undefined;
      },
      (error: unknown) => {
        this.failure = error;
        this.fetching = undefined;
      },
    );
    return { kind: 'nothing', available: this.fetching };
  }

  snapshotSplits(): SourceSplit[] {
    return [{ next: this.next }];
  }
}
