// The appends of one handle to one partition of an input log, committed in groups (group commit):
// the appends made while a write is in flight all go into the next write, ONE conditional write
// of one batch value (log-tail.ts), so a page that appends on every click pays one durable
// transaction per burst of clicks, not one per click.
//
// Each append of a group still gets its own consecutive offsets, resolves only once the group's
// write is durable, and is atomic: a group that fails for another reason than a lost race is
// written again one append at a time, so the append whose write fails (a full quota for its
// value) is refused alone and nothing of it lands, while the others land, in their order.
import { sameBytes, type CheckpointStorage } from '../../state/checkpoint-storage.js';
import { WeirError } from '../../errors/index.js';
import { encodeLogBatch, encodeLogEnd } from './log-records.js';
import { claimAfter, claimAtOnce, claimHeld, findTail, readFloor, type LogTail } from './log-tail.js';
import { logWakeupsFor } from './log-wakeups.js';

/** One append waiting for its write: records encoded once, at the call (count 0: the end marker). */
interface PendingAppend {
  readonly count: number;
  readonly records: Uint8Array;
  /** With the offset of its first record, or undefined when the partition has ended. */
  readonly resolve: (start: number | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/** A claim that keeps losing means something rewrites the partition's end in a loop: give up loudly. */
const MAX_APPEND_ATTEMPTS = 10_000;
/** Claims fenced while the partition's end stayed where it was: the storage misreads a condition (claim()). */
const UNMOVED_CLAIMS = 3;
/** A group is cut at this many appends or bytes, so one write never grows without bound. */
const MAX_GROUP_APPENDS = 1024;
const MAX_GROUP_BYTES = 4 * 1024 * 1024;
/** Every this many batches of a partition, an append also moves the head's hint to itself (log-tail.ts). */
const HINT_EVERY = 32;

export class PartitionAppender {
  private pending: PendingAppend[] = [];
  private draining: Promise<void> | undefined;
  /** The partition's last batch as this appender last saw it: the compare-and-set of its next write. */
  private tail: LogTail | undefined;
  /** Batches written since this appender last wrote the head's hint. */
  private sinceHint = 0;

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly log: string,
    private readonly partition: number,
  ) {}

  /**
   * Appends `count` records encoded as `records` (count 0: the end marker). Must resolve only once
   * they are durable, with the offset of the first; undefined when the partition has ended.
   */
  append(count: number, records: Uint8Array): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ count, records, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** The partition's end as this appender last saw it (after its own last write). */
  get next(): number | undefined {
    return this.tail?.next;
  }

  /** Resolves once every append made so far has settled. */
  async settled(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  private async drain(): Promise<void> {
    await undefined; // the appends of the caller's current task join the first group too
    try {
      while (this.pending.length > 0) await this.commit(this.takeGroup());
    } finally {
      this.draining = undefined;
    }
  }

  /** The oldest pending appends, in order; an end marker always goes alone (nothing can share its batch). */
  private takeGroup(): PendingAppend[] {
    let bytes = 0;
    let n = 0;
    while (n < this.pending.length && n < MAX_GROUP_APPENDS) {
      const next = this.pending[n]!;
      if (n > 0 && (next.count === 0 || bytes + next.records.byteLength > MAX_GROUP_BYTES)) break;
      bytes += next.records.byteLength;
      n++;
      if (next.count === 0) break;
    }
    return this.pending.splice(0, n);
  }

  private async commit(group: PendingAppend[]): Promise<void> {
    let start: number | undefined;
    try {
      start = await this.claim(group);
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      // Which append's write failed is unknown: each is written alone, in order.
      for (const one of group) await this.commit([one]);
      return;
    }
    for (const one of group) {
      one.resolve(start);
      if (start !== undefined) start += one.count;
    }
  }

  /**
   * Claims the partition's next offset for the group in one conditional write (log-tail.ts); a
   * lost race looks for the end again from where it lost. Resolves with the offset claimed, or
   * undefined when the partition has ended. Must resolve only once the write is durable.
   */
  private async claim(group: readonly PendingAppend[]): Promise<number | undefined> {
    const count = group.reduce((sum, one) => sum + one.count, 0);
    const end = count === 0;
    let tail = this.tail;
    let unmoved = 0;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      try {
        tail ??= await findTail(this.storage, this.log, this.partition);
      } catch (error) {
        throw this.failed(error);
      }
      if (tail.kind === 'batch' ? tail.end : tail.ended) {
        this.tail = tail;
        return undefined;
      }
      const start = tail.next;
      const bytes = end ? encodeLogEnd(start) : encodeLogBatch(start, count, group.map((one) => one.records));
      const hint = this.sinceHint + 1 >= HINT_EVERY;
      // At once where the storage can (no round trip before the commit), except with the head's
      // hint: that must never land with a stray (log-tail.ts).
      const putReading = this.storage.putMetadataReading?.bind(this.storage);
      const atOnce = tail.kind === 'batch' && !hint && putReading !== undefined ? tail : undefined;
      const write: ReturnType<typeof claimAfter> & { reads?: string[] } = atOnce !== undefined ? claimAtOnce(this.log, this.partition, atOnce, bytes) : claimAfter(this.log, this.partition, tail, bytes, count, end, hint);
      let held = true;
      try {
        if (atOnce !== undefined && write.reads !== undefined) held = claimHeld(this.log, this.partition, atOnce, (await putReading!(write.records, write.conditions, write.reads))[0]);
        else await this.storage.putMetadata(write.records, write.conditions);
      } catch (error) {
        this.tail = undefined;
        const fenced = (error as { code?: unknown }).code === 'STORAGE_FENCED';
        if (!fenced && !(await this.landed(write.records[0]!))) throw this.failed(error);
        if (fenced) {
          const lost = tail;
          try {
            tail = await findTail(this.storage, this.log, this.partition, tail);
          } catch (error) {
            throw this.failed(error);
          }
          // The same tail again: its batch is there and nothing follows, so the claim's conditions
          // held and the storage refused them all the same (one that does not know `exists`).
          if (tail === lost && ++unmoved >= UNMOVED_CLAIMS) throw this.conditionsRefused(error);
          continue;
        }
        // Landed after all: a claim at once is judged by the floor now (it only grows since).
        if (atOnce !== undefined) {
          try {
            held = atOnce.start >= await readFloor(this.storage, this.log, this.partition);
          } catch (error) {
            throw this.failed(error);
          }
        }
      }
      if (!held) {
        // A stray below the floor: this appender's tail was older than what retention deleted.
        // Never acknowledged there: removed, and the records claim the partition's end again.
        await this.storage.deleteMetadata([write.records[0]!.key]).catch(() => undefined); // else the next trim deletes it
        this.tail = undefined;
        tail = undefined;
        continue;
      }
      this.tail = { kind: 'batch', start, next: start + count, end };
      this.sinceHint = write.records.length > 1 ? 0 : this.sinceHint + 1;
      logWakeupsFor(this.storage).publish({ kind: 'weir.log-appended', log: this.log, partition: this.partition, next: start + count });
      return start;
    }
    throw new WeirError('STORAGE_FENCED', `log '${this.log}': partition ${this.partition}'s end moved under ${MAX_APPEND_ATTEMPTS} appends in a row`, { domain: 'external', retryable: true, details: { log: this.log, partition: this.partition } });
  }

  /** Whether a write that reported a failure (after its commit point: an fsync of the folder) is there all the same. */
  private async landed(batch: { key: string; bytes: Uint8Array }): Promise<boolean> {
    try {
      return sameBytes(await this.storage.getMetadata(batch.key), batch.bytes);
    } catch {
      return false;
    }
  }

  private conditionsRefused(cause: unknown): WeirError {
    return new WeirError('CHECKPOINT_STORAGE_FAILED', `log '${this.log}': the storage (${this.storage.kind}) fenced ${UNMOVED_CLAIMS} appends in a row whose conditions held: it must check a condition of the form { key, exists } (the CheckpointStorage contract)`, {
      domain: 'external', retryable: false, details: { log: this.log, partition: this.partition, backend: this.storage.kind }, cause,
    });
  }

  /** A storage failure (a full quota, a full disk) reaches the appender as itself: never a silent drop. */
  private failed(error: unknown): unknown {
    if (!(error instanceof WeirError)) return error;
    return new WeirError(error.code, `log '${this.log}': append failed: ${error.message}`, { domain: error.domain, retryable: error.retryable, details: { ...error.details, log: this.log }, cause: error });
  }
}
