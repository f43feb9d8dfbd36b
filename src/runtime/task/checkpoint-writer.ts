import type { SubtaskId } from '../../graph/execution-plan.js';
import type { CheckpointStorage, ChunkBatch } from '../../state/checkpoint-storage.js';
import type { Clock } from '../clock.js';
import type { TaskReport } from '../control-messages.js';
import type { StreamOperator } from '../operators/stream-operator.js';
import type { KeyedChunkReuse } from './keyed-chunk-reuse.js';
import { SubtaskSnapshot, type SubtaskIdentity } from './subtask-snapshot.js';
import type { ChannelStateChunk } from './unaligned-checkpoints.js';

/** Encoded keyed state per step while a checkpoint is in flight: small enough that records are never held up long. */
const SLICE_BYTES = 256 * 1024;

interface InFlight {
  readonly checkpointId: number;
  readonly snapshot: SubtaskSnapshot;
  /** The snapshot's chunks, where the storage batches them: ended once it is encoded or given up. */
  readonly batch: ChunkBatch | undefined;
  readonly writes: Promise<void>[];
  readonly started: number;
  readonly syncMs: number;
  readonly alignmentMs: number;
  /** After the synchronous part: what asyncDurationMs counts from. */
  readonly asyncStarted: number;
  /** An unaligned checkpoint's channel state: the ack waits for it to be complete and stored. */
  readonly channelState: ChannelStateChunk | undefined;
}

export interface CheckpointWriterSetup {
  readonly subtask: SubtaskId;
  readonly attempt: number;
  readonly storage: CheckpointStorage;
  readonly clock: Clock;
  readonly report: (report: TaskReport) => void;
  /** Per keyed operator: which chunks of completed checkpoints a snapshot may build on. */
  readonly reuse: ReadonlyMap<string, KeyedChunkReuse>;
  readonly taskName: () => string;
  /** False once the task failed or was cancelled: its acks would mean nothing. */
  readonly alive: () => boolean;
}

/**
 * A task's checkpoints from its barrier to its ack. `take` is the synchronous part: operator
 * state and timers are encoded, keyed state begins a copy-on-write snapshot (O(key groups)).
 * The keyed state is then encoded a slice per `step`, between batches of records, each chunk
 * written as soon as it is framed; one checkpoint is in flight at a time (`take` finishes the
 * previous one first).
 * Must ack only after every chunk write resolved: the ack is the coordinator's proof of durability.
 */
export class CheckpointWriter {
  private inFlight: InFlight | undefined;

  constructor(private readonly setup: CheckpointWriterSetup) {}

  get encoding(): boolean {
    return this.inFlight !== undefined;
  }

  /** `full`: a savepoint's snapshot, which reuses no chunk of an earlier checkpoint. */
  take(checkpointId: number, operators: readonly StreamOperator[], who: SubtaskIdentity, alignmentMs: number, channelState?: ChannelStateChunk, full = false): void {
    this.finish();
    const { clock, storage, reuse } = this.setup;
    const started = clock.now();
    const writes: Promise<void>[] = [];
    // The snapshot's chunks in one batch where the storage has them (IndexedDB: a transaction per
    // few MB instead of one per chunk). Every way out of this checkpoint must end it: its open
    // transaction holds the chunk store, where a restore, a delete and the next checkpoint wait.
    const batch = storage.openChunkBatch?.();
    let snapshot: SubtaskSnapshot;
    try {
      snapshot = new SubtaskSnapshot(operators, checkpointId, who, reuse, (handle, bytes, release) => {
        // The bytes are lent until the write settles (SubtaskSnapshot then takes their buffer back
        // for later chunks), or until a storage that takes lent bytes (putLentChunk, a batch) says it
        // is done with them: IndexedDB once put() cloned them, Durable Object storage on return (its
        // write runs during the call), so one or two buffers build every chunk instead of a fresh one
        // per chunk — in workerd the whole encoding runs in one turn, where no promise settles.
        const write = batch !== undefined ? batch.put(handle.key, bytes, release)
          : storage.putLentChunk === undefined ? storage.putChunk(handle.key, bytes) : storage.putLentChunk(handle.key, bytes, release);
        writes.push(write);
        return write;
      }, full);
    } catch (error) {
      giveUp(batch, writes); // an operator's state that cannot be encoded: the task fails
      throw error;
    }
    writes.push(...snapshot.durable);
    const syncMs = clock.now() - started;
    const f = (this.inFlight = { checkpointId, snapshot, batch, writes, started, syncMs, alignmentMs, asyncStarted: clock.now(), channelState });
    if (snapshot.done) this.acknowledgeWhenWritten(f);
  }

  /** Encodes one slice; returns whether more is left. */
  step(): boolean {
    const f = this.inFlight;
    if (f === undefined) return false;
    if (!f.snapshot.step(SLICE_BYTES)) return true;
    this.acknowledgeWhenWritten(f);
    return false;
  }

  /** Encodes the checkpoint in flight to its end, at once. */
  finish(): void {
    const f = this.inFlight;
    if (f === undefined) return;
    f.snapshot.finish();
    this.acknowledgeWhenWritten(f);
  }

  /** Gives up the checkpoint in flight (`checkpointId`, or any): the coordinator aborted it, or the task stops. */
  abandon(checkpointId?: number): void {
    const f = this.inFlight;
    if (f === undefined || (checkpointId !== undefined && f.checkpointId !== checkpointId)) return;
    f.snapshot.abandon();
    giveUp(f.batch, f.writes);
    this.inFlight = undefined;
  }

  private acknowledgeWhenWritten(f: InFlight): void {
    if (this.inFlight === f) this.inFlight = undefined;
    f.batch?.end();
    const { clock, attempt, subtask } = this.setup;
    const { checkpointId, snapshot, started, syncMs, alignmentMs } = f;
    const channel = f.channelState?.then(async (c) => {
      if (c !== undefined) await this.setup.storage.putChunk(c.handle.key, c.bytes);
      return c;
    });
    Promise.all([Promise.all(f.writes), channel]).then(
      ([, c]) => {
        if (!this.setup.alive()) return;
        const handles = c === undefined ? snapshot.handles : [...snapshot.handles, c.handle];
        this.setup.report({
          kind: 'ack', attempt, subtask, checkpointId, handles,
          stats: {
            subtask, taskName: this.setup.taskName(), ackTimestamp: clock.now(), alignmentDurationMs: alignmentMs,
            alignmentStartTimestamp: started - alignmentMs, snapshotTimestamp: started,
            syncDurationMs: syncMs, asyncDurationMs: clock.now() - f.asyncStarted,
            stateSize: handles.reduce((n, h) => n + h.bytes, 0),
            persistedSize: snapshot.persistedBytes + (c?.handle.bytes ?? 0),
            ...(f.channelState !== undefined ? { unaligned: true, channelStateSize: c?.handle.bytes ?? 0, channelStateRecords: c?.records ?? 0 } : {}),
          },
        });
      },
      (error) => {
        if (!this.setup.alive()) return;
        for (const r of this.setup.reuse.values()) r.abort(checkpointId);
        this.setup.report({
          kind: 'decline', attempt, subtask, checkpointId, storageFailure: true,
          reason: `writing state of ${this.setup.taskName()} failed: ${error instanceof Error ? error.message : String(error)}`,
        });
      },
    );
  }
}

/**
 * A snapshot given up: its batch commits what it took (nothing refers to those chunks: swept as
 * any chunk of an aborted checkpoint), and no one waits for its writes, whose failure is moot.
 */
function giveUp(batch: ChunkBatch | undefined, writes: readonly Promise<void>[]): void {
  batch?.end();
  for (const w of writes) w.catch(() => {});
}
