// Where a partition of an input log ends, and how an append claims the next offset: one
// conditional write of one record, its batch. The batch key itself is the compare-and-set.
//
// An append at offset N writes the batch `…/batches/<N>` after the batch it saw last (its tail,
// ending at N), on condition that nothing is at N yet: so two appenders never get one offset (the
// second finds N taken). The claim must also not land after a gap or below what retention deleted.
// Two ways, both checked in the write's atomic step:
// - waiting (claimAfter): the tail's batch is still there, a condition of the write. Retention
//   deletes the oldest batches first and never the last, so a deleted N had its predecessor
//   deleted first. Only whether it exists is asked, never its bytes: a batch key is written once,
//   by the claim that found it free. In IndexedDB the answer must reach the page before commit().
// - at once (claimAtOnce, where the storage has putMetadataReading): the write commits whatever
//   the partition's floor is (`…/floor`, the oldest batch retention kept, written before it
//   deletes below it), reading the floor in the same step; the append counts only if its tail
//   started at or above it (claimHeld). A tail at or above the floor is still there (retention
//   moves the floor past a batch before deleting it), so the claim is the partition's next batch.
//   A tail below it is gone or about to go, and the batch that committed (a stray) lies below the
//   floor too: the legit batch after the tail is kept or was deleted after the floor passed it.
//   The stray is never acknowledged, never read (below: findTail; log-partition-fetcher.ts), and
//   deleted (by its appender, else by the next trim: log-retention.ts).
// Strays therefore only ever lie below the floor, and nothing is ever claimed after one: a tail
// comes from an acknowledged write or from findTail, which checks it against a floor read after
// it found it (a stray's floor passed it before it was written, and the floor only grows).
// The very first batch of a partition is written with the head, on condition that there is no
// head yet (the head is never deleted).
//
// The head (`…/head`) is only a hint after that: where to start looking for the end. Appenders go
// forward from it one batch at a time and write it again now and then (a waiting claim: the hint
// must never point at a stray); retention moves it past what it deletes before it deletes. It
// never goes back and is never ahead of the partition.
import { WeirError } from '../../errors/index.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import { decodeLogBatchHeader, decodeLogFloor, decodeLogHead, encodeLogHead, type LogHead } from './log-records.js';

/** The last batch of a partition as an appender saw it, or no batch yet (then the head, if any, is the condition). */
export type LogTail =
  | { readonly kind: 'batch'; readonly start: number; readonly next: number; readonly end: boolean }
  | { readonly kind: 'none'; readonly next: number; readonly head: Uint8Array | undefined; readonly ended: boolean };

/**
 * One write that claims offset `tail.next` for `bytes` (a batch or the end marker of `count`
 * records); the batch is its first record. With `moveHead`, the head's hint moves to this batch in
 * the same write: safe without a condition on the head, because the write's conditions make this
 * batch the partition's last when it lands, so the hint is then exactly the partition's end (never
 * ahead of it) and no less than any hint before (none is ever ahead of the partition).
 */
export function claimAfter(log: string, partition: number, tail: LogTail, bytes: Uint8Array, count: number, end: boolean, moveHead = false): {
  records: { key: string; bytes: Uint8Array }[];
  conditions: MetadataCondition[];
} {
  const key = storageLayout.logBatchKey(log, partition, tail.next);
  const headKey = storageLayout.logHeadKey(log, partition);
  const head = () => ({ key: headKey, bytes: encodeLogHead({ next: tail.next + count, last: tail.next, ended: end }) });
  if (tail.kind === 'batch') {
    return {
      records: moveHead ? [{ key, bytes }, head()] : [{ key, bytes }],
      conditions: [{ key: storageLayout.logBatchKey(log, partition, tail.start), exists: true }, { key, equals: undefined }],
    };
  }
  return { records: [{ key, bytes }, head()], conditions: [{ key: headKey, equals: tail.head }] };
}

/**
 * A claim of `tail.next` (tail: a batch) that commits without waiting for any answer: its one
 * condition is that nothing is at the key (IndexedDB: the batch's add()), and it reads the floor
 * in the same step, to be judged by claimHeld. Never moves the head: a stray's hint would point
 * below the floor.
 */
export function claimAtOnce(log: string, partition: number, tail: LogTail & { kind: 'batch' }, bytes: Uint8Array): {
  records: { key: string; bytes: Uint8Array }[];
  conditions: MetadataCondition[];
  reads: string[];
} {
  const key = storageLayout.logBatchKey(log, partition, tail.next);
  return { records: [{ key, bytes }], conditions: [{ key, exists: false }], reads: [storageLayout.logFloorKey(log, partition)] };
}

/** Whether a claim at once after `tail` holds, given the floor it read: else its batch is a stray below the floor. */
export function claimHeld(log: string, partition: number, tail: LogTail & { kind: 'batch' }, floorBytes: Uint8Array | undefined): boolean {
  return tail.start >= decodeLogFloor(floorBytes, storageLayout.logFloorKey(log, partition));
}

/** The partition's floor now: no batch below it is ever read (0 until retention first deleted). */
export async function readFloor(storage: CheckpointStorage, log: string, partition: number): Promise<number> {
  const key = storageLayout.logFloorKey(log, partition);
  return decodeLogFloor(await storage.getMetadata(key), key);
}

/**
 * The partition's last batch now. From `from` (the tail an append just lost with, or this
 * handle's last append) it reads forward; without it, or when `from` itself is gone (retention
 * deleted it), from the head's hint, and if the hint's batch is gone too, from a listing. Never a
 * batch below the floor (a stray, or one retention passed while this looked): the floor is read
 * after the batch was found, so a stray's floor has passed it; then it looks again from the floor.
 */
export async function findTail(storage: CheckpointStorage, log: string, partition: number, from?: LogTail): Promise<LogTail> {
  let found = await lastBatch(storage, log, partition, from);
  let belowSameFloor = 0;
  let lastFloor = -1;
  for (;;) {
    if (found.kind !== 'batch') return found;
    const floor = await readFloor(storage, log, partition);
    if (found.start >= floor) return found;
    // Each look after the floor moved finds a batch at or above it unless retention moved it again;
    // the same floor twice with nothing at or above it is a storage out of step with its floor.
    belowSameFloor = floor === lastFloor ? belowSameFloor + 1 : 0;
    lastFloor = floor;
    if (belowSameFloor >= 2) {
      throw new WeirError('CORRUPT_DATA', `log '${log}' partition ${partition}: no batch at or after its floor (offset ${floor})`, { domain: 'external', retryable: false, details: { log, partition, floor } });
    }
    const kept = await readBatch(storage, log, partition, floor);
    found = kept === undefined ? await lastBatch(storage, log, partition) : await forward(storage, log, partition, kept);
  }
}

async function lastBatch(storage: CheckpointStorage, log: string, partition: number, from?: LogTail): Promise<LogTail> {
  if (from?.kind === 'batch') {
    const after = await readBatch(storage, log, partition, from.next);
    if (after !== undefined) return forward(storage, log, partition, after);
    const still = await storage.getMetadata(storageLayout.logBatchKey(log, partition, from.start));
    if (still !== undefined) return from; // written once: still there is still the same batch
  }
  const headKey = storageLayout.logHeadKey(log, partition);
  const headBytes = await storage.getMetadata(headKey);
  if (headBytes === undefined) return { kind: 'none', next: 0, head: undefined, ended: false };
  const head = decodeLogHead(headBytes, headKey);
  const hinted = head.last === undefined ? undefined : await readBatch(storage, log, partition, head.last);
  if (hinted !== undefined) return forward(storage, log, partition, hinted);
  const starts = (await storage.listMetadata(storageLayout.logBatchPrefix(log, partition)))
    .map((key) => storageLayout.logBatchStartFromKey(key))
    .filter((s): s is number => s !== undefined)
    .sort((a, b) => a - b);
  for (let i = starts.length - 1; i >= 0; i--) {
    const last = await readBatch(storage, log, partition, starts[i]!);
    if (last !== undefined) return forward(storage, log, partition, last);
  }
  // No batch at all: a log written before batches were their own compare-and-set, or one whose head was written alone.
  return { kind: 'none', next: head.next, head: headBytes, ended: head.ended };
}

/**
 * Moves the head's hint forward to `to` (never back): a compare-and-set on the head, given up
 * when the head already says as much. Must only be given a batch end that exists (or existed).
 */
export async function advanceHead(storage: CheckpointStorage, log: string, partition: number, to: LogHead): Promise<void> {
  const key = storageLayout.logHeadKey(log, partition);
  for (let attempt = 0; attempt < 16; attempt++) {
    const bytes = await storage.getMetadata(key);
    const current = bytes === undefined ? undefined : decodeLogHead(bytes, key);
    if (current !== undefined && (current.next > to.next || (current.next === to.next && (current.ended || !to.ended)))) return;
    try {
      await storage.putMetadata([{ key, bytes: encodeLogHead(to) }], { key, equals: bytes });
      return;
    } catch (error) {
      if (!(error instanceof WeirError) || error.code !== 'STORAGE_FENCED') throw error;
    }
  }
}

async function forward(storage: CheckpointStorage, log: string, partition: number, tail: LogTail & { kind: 'batch' }): Promise<LogTail> {
  let at = tail;
  for (;;) {
    if (at.end) return at;
    const after = await readBatch(storage, log, partition, at.next);
    if (after === undefined) return at;
    at = after;
  }
}

async function readBatch(storage: CheckpointStorage, log: string, partition: number, start: number): Promise<(LogTail & { kind: 'batch' }) | undefined> {
  const key = storageLayout.logBatchKey(log, partition, start);
  const bytes = await storage.getMetadata(key);
  if (bytes === undefined) return undefined;
  const header = decodeLogBatchHeader(bytes, key, start);
  return { kind: 'batch', start, next: start + header.count, end: header.end };
}
