import type { BarrierEvent, ChannelMessage, RecordBatch } from './channel-message.js';

/** Where a channel hands the in-flight records of an unaligned checkpoint. */
export interface SpillSink {
  /** Must copy what it keeps now: the batch goes on to the task, which may reuse its records. */
  batch(batch: RecordBatch): void;
  /** The channel delivered what comes after the checkpoint's cut: its barrier, a newer one, a cancel marker, or its end. */
  end(): void;
}

/** A message as a queue holds it: a packed batch is unpacked on demand. */
export type QueuedMessage<Q> = { readonly kind: ChannelMessage['kind'] } & Q;

/** Whether `message` ends the spill of checkpoint `checkpointId`. */
function endsSpill(message: { readonly kind: string; readonly checkpointId?: number }, checkpointId: number): boolean {
  if (message.kind === 'end-of-input') return true;
  return (message.kind === 'barrier' || message.kind === 'cancel-barrier') && message.checkpointId! >= checkpointId;
}

/**
 * The unaligned-checkpoint side of one receiving channel (FLIP-76's spilling of in-flight data):
 * which barriers are queued, and the spills in progress. The channel calls `arrived` for every
 * message it queues; `spill` reads its queue as it stands.
 */
export class ChannelSpills<Q extends { readonly kind: string }> {
  /** The barriers queued, in order (the channel polls them in this order). */
  private readonly barriers: BarrierEvent[] = [];
  private readonly open = new Map<number, SpillSink>();

  constructor(private readonly unpack: (queued: Q) => ChannelMessage) {}

  arrived(queued: Q): void {
    if (queued.kind === 'barrier') this.barriers.push(queued as unknown as BarrierEvent);
    if (this.open.size === 0) return;
    const message = queued.kind === 'records' || queued.kind === 'packed' ? this.unpack(queued) : (queued as unknown as ChannelMessage);
    for (const [id, sink] of this.open) {
      if (message.kind === 'records') sink.batch(message);
      else if (endsSpill(message, id)) {
        this.open.delete(id);
        sink.end();
      }
    }
  }

  polled(message: { readonly kind: string }): void {
    if (message.kind === 'barrier') this.barriers.shift();
  }

  /** The first queued barrier of a checkpoint after `after`. */
  queuedBarrier(after: number): BarrierEvent | undefined {
    for (const b of this.barriers) if (b.checkpointId > after) return b;
    return undefined;
  }

  spill(checkpointId: number, queued: Iterable<Q>, sink: SpillSink): () => void {
    for (const q of queued) {
      if (q.kind === 'records' || q.kind === 'packed') sink.batch(this.unpack(q) as RecordBatch);
      else if (endsSpill(q as { kind: string; checkpointId?: number }, checkpointId)) {
        sink.end();
        return () => {};
      }
    }
    this.open.set(checkpointId, sink);
    return () => {
      if (this.open.get(checkpointId) === sink) this.open.delete(checkpointId);
    };
  }
}
