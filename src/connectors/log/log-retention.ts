import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import { decodeLogBatchHeader, decodeLogFloor, decodeLogReader, encodeLogFloor, encodeLogReader } from './log-records.js';
import { advanceHead } from './log-tail.js';
import type { LogPartitionPosition } from './log-partition-fetcher.js';

/**
 * A reading job's registration with a log, and the log's retention: each reader records, per
 * partition, the offset its job passed in a completed checkpoint, under its job name and source
 * uid; batches that every registered reader passed are deleted.
 *
 * The offset recorded is the one of the checkpoint completed BEFORE the latest: a job that falls
 * back to the previous checkpoint (the latest found corrupt; two are retained by default) finds
 * its records still there. A log without a registered reader keeps everything.
 *
 * Must never fail the job: retention is housekeeping, and a failed write is tried again at the
 * next completion. Every write and delete is conditional on the attempt's fence: a killed or
 * superseded attempt can neither move a registration nor delete a batch.
 */
export class LogRetention {
  /** Positions per checkpoint taken and not yet completed (or subsumed). */
  private readonly taken = new Map<number, readonly LogPartitionPosition[]>();
  private lastCompleted: readonly LogPartitionPosition[] | undefined;
  private lastTrimAt = -Infinity;
  private work: Promise<void> = Promise.resolve();
  /** Housekeeping that failed (and will be tried again); for tests and metrics. */
  failures = 0;

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly log: string,
    private readonly job: string,
    private readonly sourceUid: string,
    private readonly now: () => number,
    private readonly trimIntervalMs: number,
    private readonly fence?: MetadataCondition,
  ) {}

  /** At the reader's start: registers it where it stands, unless its job is already registered further back. */
  register(positions: readonly LogPartitionPosition[]): void {
    this.enqueue(async () => {
      const writes: { key: string; bytes: Uint8Array }[] = [];
      for (const position of positions) {
        const key = this.key(position.partition);
        const bytes = await this.storage.getMetadata(key);
        const registered = bytes === undefined ? undefined : decodeLogReader(bytes, key).next;
        const next = position.earliest === true ? 0 : position.next;
        if (registered === undefined || registered > next) writes.push({ key, bytes: encodeLogReader({ next }) });
      }
      if (writes.length > 0) await this.storage.putMetadata(writes, this.fence);
    });
  }

  snapshotTaken(checkpointId: number, positions: readonly LogPartitionPosition[]): void {
    this.taken.set(checkpointId, positions);
  }

  completed(checkpointId: number): Promise<void> {
    const positions = this.taken.get(checkpointId);
    for (const id of [...this.taken.keys()]) if (id <= checkpointId) this.taken.delete(id);
    if (positions === undefined) return this.work;
    const passed = this.lastCompleted;
    this.lastCompleted = positions;
    if (passed === undefined) return this.work;
    const trim = this.now() - this.lastTrimAt >= this.trimIntervalMs;
    if (trim) this.lastTrimAt = this.now();
    return this.enqueue(async () => {
      const writes = passed.filter((p) => p.earliest !== true).map((p) => ({ key: this.key(p.partition), bytes: encodeLogReader({ next: p.next }) }));
      if (writes.length > 0) await this.storage.putMetadata(writes, this.fence);
      if (trim) for (const p of passed) await this.trim(p.partition);
    });
  }

  /**
   * Deletes the batches of `partition` that end at or before the lowest offset any registered
   * reader passed, and the strays below the floor (log-tail.ts).
   */
  async trim(partition: number): Promise<number> {
    const readerKeys = (await this.storage.listMetadata(storageLayout.logReaderPrefix(this.log)))
      .filter((key) => Number(key.slice(key.lastIndexOf('/') + 1)) === partition);
    let lowest = Infinity;
    for (const key of readerKeys) {
      const bytes = await this.storage.getMetadata(key);
      if (bytes !== undefined) lowest = Math.min(lowest, decodeLogReader(bytes, key).next);
    }
    if (lowest === Infinity) return 0;
    // The floor before the listing: a stray listed lies below it, or it moved since and the
    // compare-and-set below fails (a stray lies below the floor of the moment it was written).
    const floorKey = storageLayout.logFloorKey(this.log, partition);
    const floorBytes = await this.storage.getMetadata(floorKey);
    const floor = decodeLogFloor(floorBytes, floorKey);
    const batchKeys = await this.storage.listMetadata(storageLayout.logBatchPrefix(this.log, partition));
    const starts = batchKeys.map((key) => ({ key, start: storageLayout.logBatchStartFromKey(key) }))
      .filter((b): b is { key: string; start: number } => b.start !== undefined)
      .sort((a, b) => a.start - b.start);
    const legit = starts.filter((b) => b.start >= floor);
    // A batch ends where the next begins: the batches before the last one starting at or below `lowest` are passed.
    let keep = 0;
    while (keep + 1 < legit.length && legit[keep + 1]!.start <= lowest) keep++;
    const kept = legit[keep];
    if (kept === undefined) return 0;
    const passed = starts.filter((b) => b.start < kept.start).map((b) => b.key);
    if (passed.length === 0) return 0;
    const keptBytes = await this.storage.getMetadata(kept.key);
    if (keptBytes === undefined) return 0; // moved under us; the next trim looks again
    if (kept.start > floor) {
      // The floor first, so that an appender's claim below it is refused and no reader takes a
      // batch below it (log-tail.ts); its compare-and-set also proves the listing was of one floor.
      try {
        await this.storage.putMetadata([{ key: floorKey, bytes: encodeLogFloor(kept.start) }], [{ key: floorKey, equals: floorBytes }, ...(this.fence !== undefined ? [this.fence] : [])]);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'STORAGE_FENCED') return 0; // another trim moved it, or this attempt is superseded
        throw error;
      }
    } else if (decodeLogFloor(await this.storage.getMetadata(floorKey), floorKey) !== floor) {
      return 0; // moved meanwhile: the batch read at the old floor may be a stray; the next trim looks again
    }
    // Then the head's hint goes past what is deleted: a reader that misses a batch below it knows
    // it was deleted, not yet to come (a trim that stopped before this does it the next time).
    const header = decodeLogBatchHeader(keptBytes, kept.key, kept.start);
    await advanceHead(this.storage, this.log, partition, { next: kept.start + header.count, last: kept.start, ended: header.end });
    // Oldest first: a waiting claim needs its predecessor, so a batch never goes before the one ahead of it.
    await this.storage.deleteMetadata(passed, this.fence);
    return passed.length;
  }

  private key(partition: number): string {
    return storageLayout.logReaderKey(this.log, this.job, this.sourceUid, partition);
  }

  private enqueue(action: () => Promise<void>): Promise<void> {
    this.work = this.work.then(action).catch(() => {
      this.failures++;
    });
    return this.work;
  }
}
