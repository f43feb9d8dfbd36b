import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { handleKeysOf } from './checkpoint-metadata.js';
import type { CompletedCheckpointStore } from './completed-checkpoint-store.js';

/**
 * Which chunks may be deleted, as Flink's SharedStateRegistry: a chunk can be shared by several
 * checkpoints (an incremental snapshot references the chunks of an earlier one), so a chunk goes
 * only when no completed checkpoint refers to it. Chunks of subsumed checkpoints go one completion
 * later: a task may still be building a snapshot that reuses one of them (it learns of
 * completions asynchronously), and that snapshot completes, at the earliest, next.
 * Must never fail the job on a failed delete: garbage is harmless, and a restore or a fresh start
 * sweeps what is left.
 */
export class SharedStateRegistry {
  /** Chunks of subsumed checkpoints, deleted at the next completion. */
  private deferred: string[] = [];

  constructor(
    private readonly completed: CompletedCheckpointStore,
    private readonly storage: CheckpointStorage,
    private readonly fence: MetadataCondition | undefined,
    /** A delete failed: a fenced one means another runner owns the job. */
    private readonly onDeleteFailed: (error: unknown) => void,
  ) {}

  /** Deletes the chunks among `keys` that no completed checkpoint refers to (an aborted checkpoint may have reused some). */
  async deleteUnreferenced(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const used = new Set(this.completed.all.flatMap(handleKeysOf));
    const garbage = keys.filter((k) => !used.has(k));
    if (garbage.length > 0) await this.storage.deleteChunks(garbage, this.fence).catch((error: unknown) => this.onDeleteFailed(error));
  }

  /** The chunks of a subsumed checkpoint: deleted, where unreferenced, by the next `deleteDeferred`. */
  defer(keys: readonly string[]): void {
    this.deferred.push(...keys);
  }

  /** Deletes, where unreferenced, the chunks deferred so far. */
  deleteDeferred(): Promise<void> {
    const due = this.deferred;
    this.deferred = [];
    return this.deleteUnreferenced(due);
  }
}
