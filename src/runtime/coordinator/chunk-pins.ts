import type { CheckpointMetadata } from './checkpoint-metadata.js';
import type { CheckpointStats } from './checkpoint-stats.js';

/** A completed savepoint's checkpoint; its chunks are kept (pinned) until `release()`, so they can be read out. */
export interface TakenSavepoint {
  readonly stats: CheckpointStats;
  readonly metadata: CheckpointMetadata;
  release(): void;
}

/**
 * Chunks that must outlive their checkpoint's subsumption for a while: a savepoint's, until it
 * has been read out of storage. Counted, since two savepoints may name the same chunk.
 */
export class ChunkPins {
  private readonly counts = new Map<string, number>();

  pin(keys: readonly string[]): void {
    for (const k of keys) this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  unpin(keys: readonly string[]): void {
    for (const k of keys) {
      const n = (this.counts.get(k) ?? 1) - 1;
      if (n > 0) this.counts.set(k, n);
      else this.counts.delete(k);
    }
  }

  has(key: string): boolean {
    return this.counts.has(key);
  }
}
