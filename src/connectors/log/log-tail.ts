// Where a partition of an input log ends, and how an append claims the next offset: one
// conditional write of one record, its batch. The batch key itself is the compare-and-set.
//
// An append at offset N writes the batch `…/batches/<N>` on two conditions, checked in the same
// atomic step: the batch before it (the one ending at N) is still there, and nothing is at N yet.
// So two appenders never get one offset (the second finds N taken), a batch never lands after a
// gap (its predecessor exists), and a batch never lands below what retention deleted (retention
// deletes the oldest batches first and never the last, so a deleted N had its predecessor deleted
// before it: the first condition fails). The very first batch of a partition has no predecessor:
// it is written with the head, on condition that there is no head yet (the head is never deleted).
// The first condition asks only whether the predecessor exists, never for its bytes (no backend
// reads its value): a batch key is written once, by the claim that found it free, and a deleted
// one is never claimed again (as just said), so the key there is the batch the appender saw.
//
// The head (`…/head`) is only a hint after that: where to start looking for the end. Appenders go
// forward from it one batch at a time and write it again now and then; retention moves it past
// what it deletes before it deletes. It never goes back and is never ahead of the partition.
import { WeirError } from '../../errors/index.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import { decodeLogBatchHeader, decodeLogHead, encodeLogHead, type LogHead } from './log-records.js';

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
 * The partition's last batch now. From `from` (the tail an append just lost with, or this
 * handle's last append) it reads forward; without it, or when `from` itself is gone (retention
 * deleted it), from the head's hint, and if the hint's batch is gone too, from a listing.
 */
export async function findTail(storage: CheckpointStorage, log: string, partition: number, from?: LogTail): Promise<LogTail> {
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
