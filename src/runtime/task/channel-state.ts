import type { RecordBatch, SpillSink } from '../../channel/index.js';
import { CorruptDataError, WeirError } from '../../errors/index.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { chunkChecksum, decodePayload, verifyChunk } from '../../state/chunk-format.js';
import { decodeValue, encodeValue } from '../../state/value-codec.js';
import type { StateHandle } from '../control-messages.js';

/**
 * The channel state of one subtask in one unaligned checkpoint (FLIP-76): per input channel, in
 * the order they would have been processed, the records that were in flight across the cut — in
 * an input batch the task was in the middle of, queued in the channel ahead of the barrier, or
 * arriving there before it. Stored as one `channel-state` chunk; a restore replays it before any
 * new input. `input` is the vertex input (edge) the channel belongs to: its key selector
 * recomputes the keys.
 */
export interface ChannelStatePayload {
  readonly channels: { readonly channel: number; readonly input: number; readonly batches: Uint8Array[] }[];
}

/** A batch as channel state keeps it: the records with their key groups and timestamps, no keys. */
export type StoredBatch = Pick<RecordBatch, 'records' | 'keyGroups' | 'timestamps'>;

/**
 * Collects one checkpoint's channel state while the spilling channels deliver it.
 * Must encode each batch as it is handed over: the task goes on to process (and may reuse) those
 * records after the snapshot, and the state must hold them as they were.
 */
export class ChannelStateCapture {
  private readonly batches = new Map<number, Uint8Array[]>();
  private open = 0;
  private sealed = false;
  private settle: (() => void) | undefined;
  private fail: ((error: unknown) => void) | undefined;
  private readonly stops: (() => void)[] = [];
  /** Resolves once every spilling channel delivered its barrier (or ended); rejects if the checkpoint is given up first. */
  readonly complete: Promise<void>;
  records = 0;
  bytes = 0;

  constructor(readonly checkpointId: number, private readonly inputOf: (channel: number) => number) {
    this.complete = new Promise((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
    this.complete.catch(() => {}); // whoever waits for it sees the rejection; nobody has to
  }

  /** Records of `channel` that precede whatever its spill will hand over (the rest of a batch in progress, restored state not yet replayed). */
  add(channel: number, batch: StoredBatch, from = 0): void {
    const n = batch.records.length - from;
    if (n <= 0) return;
    const stored: Record<string, unknown> = { records: from === 0 ? batch.records : batch.records.slice(from) };
    if (batch.keyGroups !== undefined) stored.keyGroups = from === 0 ? batch.keyGroups : batch.keyGroups.slice(from);
    if (batch.timestamps !== undefined) stored.timestamps = from === 0 ? batch.timestamps : batch.timestamps.slice(from);
    const bytes = encodeValue(stored);
    let list = this.batches.get(channel);
    if (list === undefined) this.batches.set(channel, (list = []));
    list.push(bytes);
    this.records += n;
    this.bytes += bytes.byteLength;
  }

  /** Starts the spill of `channel`: `spill` hands the sink to the channel and returns how to stop it. */
  spill(channel: number, spill: (sink: SpillSink) => () => void): void {
    this.open++;
    let ended = false;
    const stop = spill({
      batch: (b) => {
        if (!ended) this.add(channel, b);
      },
      end: () => {
        if (ended) return;
        ended = true;
        if (--this.open === 0 && this.sealed) this.settle!(); // before seal, more channels are still to start
      },
    });
    this.stops.push(stop);
  }

  /** No more spills will start: completes at once if none is open. */
  seal(): void {
    this.sealed = true;
    if (this.open === 0) this.settle!();
  }

  /** Every spilling channel delivered its barrier (`complete` resolves a microtask later). */
  get done(): boolean {
    return this.sealed && this.open === 0;
  }

  /** The checkpoint was given up: the channels stop copying. */
  cancel(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.fail!(new WeirError('CHECKPOINT_ABORTED', `checkpoint ${this.checkpointId} was given up before its channel state was complete`, { domain: 'internal', retryable: true }));
  }

  get empty(): boolean {
    return this.records === 0;
  }

  payload(): ChannelStatePayload {
    return {
      channels: [...this.batches.entries()].sort(([a], [b]) => a - b).map(([channel, batches]) => ({ channel, input: this.inputOf(channel), batches })),
    };
  }
}

/** The channel state of a restored chunk, per channel in stored order; throws CorruptDataError naming `key` if it has another shape. */
export function readChannelState(payload: unknown, key: string): { channel: number; input: number; batches: StoredBatch[] }[] {
  const bad = (why: string) => new CorruptDataError(`channel state chunk '${key}' ${why}`, { key });
  const channels = (payload as ChannelStatePayload | undefined)?.channels;
  if (!Array.isArray(channels)) throw bad('has no channels');
  return channels.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || !Number.isInteger(entry.channel) || !Number.isInteger(entry.input) || !Array.isArray(entry.batches)) {
      throw bad(`has a malformed channel at ${i}`);
    }
    const batches = entry.batches.map((bytes, j) => {
      if (!(bytes instanceof Uint8Array)) throw bad(`channel ${entry.channel}: batch ${j} is not bytes`);
      const batch = decodeValue(bytes) as StoredBatch;
      if (typeof batch !== 'object' || batch === null || !Array.isArray(batch.records)) throw bad(`channel ${entry.channel}: batch ${j} has no records`);
      return batch;
    });
    return { channel: entry.channel, input: entry.input, batches };
  });
}

/**
 * The channel state a restored subtask replays first, in stored order (channel by channel, each in
 * the order its records were in flight). Must check each chunk against its handle, as every
 * restored chunk is: a corrupt one fails the restore with CorruptDataError (the job falls back).
 */
export async function readRestoredChannelState(
  storage: CheckpointStorage, checkpointId: number, handles: readonly StateHandle[],
): Promise<{ channel: number; input: number; batches: StoredBatch[] }[]> {
  const result: { channel: number; input: number; batches: StoredBatch[] }[] = [];
  for (const handle of handles) {
    const where = `checkpoint ${checkpointId}: channel state chunk '${handle.key}'`;
    const bytes = await storage.getChunk(handle.key);
    if (bytes === undefined) throw new CorruptDataError(`${where} is missing`, { checkpointId, key: handle.key });
    const checksum = bytes.byteLength === handle.bytes ? chunkChecksum(bytes) : undefined;
    if (checksum !== handle.checksum) {
      throw new CorruptDataError(`${where} does not match the checksum its checkpoint recorded (${bytes.byteLength} bytes; recorded ${handle.bytes})`, { checkpointId, key: handle.key });
    }
    const { body } = verifyChunk(bytes, 'channel-state');
    result.push(...readChannelState(decodePayload('channel-state', body), handle.key));
  }
  return result;
}
