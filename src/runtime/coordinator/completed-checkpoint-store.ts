import type { CheckpointMetadata } from './checkpoint-metadata.js';

/**
 * The completed checkpoints a job keeps, oldest first, as Flink's CompletedCheckpointStore: the
 * latest is what a restore resumes from, the one before it what a fallback uses. It holds the
 * list only; the coordinator deletes the stored metadata of what leaves it.
 */
export class CompletedCheckpointStore {
  private readonly checkpoints: CheckpointMetadata[];

  /** `retained`: the completed checkpoints in storage, oldest first (the restored one last). */
  constructor(retained: readonly CheckpointMetadata[]) {
    this.checkpoints = [...retained];
  }

  get latest(): CheckpointMetadata | undefined {
    return this.checkpoints[this.checkpoints.length - 1];
  }

  /** Every completed checkpoint kept, oldest first. */
  get all(): readonly CheckpointMetadata[] {
    return this.checkpoints;
  }

  has(checkpointId: number): boolean {
    return this.checkpoints.some((c) => c.checkpointId === checkpointId);
  }

  add(metadata: CheckpointMetadata): void {
    this.checkpoints.push(metadata);
  }

  /** Forgets the given checkpoints (proven unreadable). */
  remove(checkpointIds: ReadonlySet<number>): void {
    for (let i = this.checkpoints.length - 1; i >= 0; i--) if (checkpointIds.has(this.checkpoints[i]!.checkpointId)) this.checkpoints.splice(i, 1);
  }

  /**
   * Takes the oldest checkpoint off while more than `retained` (at least one) are kept: it is
   * subsumed. One at a time, so the others stay referenced while its metadata is deleted.
   */
  subsumeOldest(retained: number): CheckpointMetadata | undefined {
    return this.checkpoints.length > Math.max(1, retained) ? this.checkpoints.shift() : undefined;
  }
}
