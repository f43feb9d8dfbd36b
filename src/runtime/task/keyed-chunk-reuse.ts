import type { KeyGroupSpan } from '../../state/heap-keyed-state-backend.js';
import type { StateHandle } from '../control-messages.js';

/**
 * A span's chunks in a checkpoint: one full chunk, then the deltas written since, in order
 * (restoring applies them so). Empty when the span held nothing.
 */
export interface SpanChain {
  readonly handles: readonly StateHandle[];
  readonly fullBytes: number;
  readonly deltaBytes: number;
}

const spanKey = (span: KeyGroupSpan) => `${span.start}-${span.end}`;

/** Full chunk first, then deltas by the checkpoint that wrote them. */
export function chainOrder(a: StateHandle, b: StateHandle): number {
  return (a.part === 'delta' ? 1 : 0) - (b.part === 'delta' ? 1 : 0) || (a.seq ?? 0) - (b.seq ?? 0);
}

export function chainOf(handles: readonly StateHandle[]): SpanChain {
  const sorted = [...handles].sort(chainOrder);
  let fullBytes = 0;
  let deltaBytes = 0;
  for (const h of sorted) {
    if (h.part === 'delta') deltaBytes += h.bytes;
    else fullBytes += h.bytes;
  }
  return { handles: sorted, fullBytes, deltaBytes };
}

/**
 * Incremental keyed snapshots, as Flink's incremental and changelog checkpoints: a span of key
 * groups is written in full, then, while few of its keys change, as deltas of those keys over
 * the chain a *completed* checkpoint holds; an unchanged span references that chain again. Only
 * chains of checkpoints this task was told are complete are built on: a chunk of a pending or
 * aborted checkpoint may still be deleted.
 */
export class KeyedChunkReuse {
  private confirmed = new Map<string, SpanChain>();
  /** The backend version the confirmed chains hold the state as of (0: the restored state). */
  private confirmedVersion = 0;
  private readonly inFlight = new Map<number, { version: number; spans: Map<string, SpanChain> }>();

  /** Restored chains that cover exactly one of this backend's spans are as good as written. */
  seed(handles: readonly StateHandle[], spans: readonly KeyGroupSpan[]): void {
    const wanted = new Set(spans.map(spanKey));
    const bySpan = new Map<string, StateHandle[]>();
    for (const handle of handles) {
      if ((handle.part !== 'state' && handle.part !== 'delta') || handle.keyGroupRange === undefined) continue;
      const key = spanKey(handle.keyGroupRange);
      if (!wanted.has(key)) continue;
      const list = bySpan.get(key);
      if (list === undefined) bySpan.set(key, [handle]);
      else list.push(handle);
    }
    for (const [key, list] of bySpan) this.confirmed.set(key, chainOf(list));
    this.confirmedVersion = 0;
  }

  /** The confirmed chain of `span`, if there is one. */
  chainFor(span: KeyGroupSpan): SpanChain | undefined {
    return this.confirmed.get(spanKey(span));
  }

  /** Changes after this version are what a delta over the confirmed chains must hold. */
  get since(): number {
    return this.confirmedVersion;
  }

  /** What snapshot `checkpointId` (of backend version `version`) holds for `span`. */
  record(checkpointId: number, version: number, span: KeyGroupSpan, chain: SpanChain): void {
    let record = this.inFlight.get(checkpointId);
    if (record === undefined) this.inFlight.set(checkpointId, (record = { version, spans: new Map() }));
    record.spans.set(spanKey(span), chain);
  }

  /**
   * Checkpoint `checkpointId` completed: its chains become the ones to build on (spans it lacks
   * are empty). Returns the backend version they hold, or undefined if this task took no part.
   */
  complete(checkpointId: number): number | undefined {
    const record = this.inFlight.get(checkpointId);
    if (record === undefined) return undefined;
    this.confirmed = record.spans;
    this.confirmedVersion = record.version;
    for (const id of this.inFlight.keys()) if (id <= checkpointId) this.inFlight.delete(id);
    return record.version;
  }

  abort(checkpointId: number): void {
    this.inFlight.delete(checkpointId);
  }
}
