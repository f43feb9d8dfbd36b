import type { KeyGroupSpan } from '../../state/heap-keyed-state-backend.js';
import type { StateHandle } from '../control-messages.js';

interface ReusableChunk {
  readonly handle: StateHandle;
  /** The backend version the chunk was taken at: it holds every write up to this version. */
  readonly takenAt: number;
}

const spanKey = (span: KeyGroupSpan) => `${span.start}-${span.end}`;

/**
 * Incremental keyed snapshots, as Flink's incremental checkpoints: a span of key groups that
 * did not change since it was last written in a *completed* checkpoint is referenced again
 * instead of rewritten. Only chunks of checkpoints this task was told are complete are
 * reused: a chunk of a pending or aborted checkpoint may still be deleted.
 */
export class KeyedChunkReuse {
  private confirmed = new Map<string, ReusableChunk>();
  private readonly inFlight = new Map<number, Map<string, ReusableChunk>>();

  /** Restored chunks that cover exactly one of this backend's spans are as good as written. */
  seed(handles: readonly StateHandle[], spans: readonly KeyGroupSpan[]): void {
    const wanted = new Set(spans.map(spanKey));
    for (const handle of handles) {
      if (handle.part !== 'state' || handle.keyGroupRange === undefined) continue;
      const key = spanKey(handle.keyGroupRange);
      if (wanted.has(key)) this.confirmed.set(key, { handle, takenAt: -1 });
    }
  }

  /** The chunk to reference for `span`, if it is unchanged since a confirmed snapshot; else undefined. */
  reusable(span: KeyGroupSpan, lastModified: number): StateHandle | undefined {
    const chunk = this.confirmed.get(spanKey(span));
    return chunk !== undefined && lastModified <= chunk.takenAt ? chunk.handle : undefined;
  }

  /** What snapshot `checkpointId` holds for `span` (written now, or reused). */
  record(checkpointId: number, span: KeyGroupSpan, handle: StateHandle, takenAt: number): void {
    let spans = this.inFlight.get(checkpointId);
    if (spans === undefined) this.inFlight.set(checkpointId, (spans = new Map()));
    const reused = this.confirmed.get(spanKey(span));
    spans.set(spanKey(span), reused?.handle === handle ? reused : { handle, takenAt });
  }

  /** Checkpoint `checkpointId` completed: its chunks become the reusable ones (spans it lacks are empty). */
  complete(checkpointId: number): void {
    const spans = this.inFlight.get(checkpointId);
    if (spans === undefined) return;
    this.confirmed = spans;
    for (const id of this.inFlight.keys()) if (id <= checkpointId) this.inFlight.delete(id);
  }

  abort(checkpointId: number): void {
    this.inFlight.delete(checkpointId);
  }
}
