import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';

/**
 * The oldest completed checkpoint the job keeps in storage (undefined: none). A restore resumes
 * from a stored checkpoint and a rollback takes back only what came after it, so the output of
 * every transaction up to this one can no longer be taken back — short of a fresh start, which
 * clears the job's output.
 */
export async function settledCheckpointId(storage: CheckpointStorage, jobName: string): Promise<number | undefined> {
  let settled: number | undefined;
  for (const key of await storage.listMetadata(storageLayout.checkpointPrefix(jobName))) {
    const id = storageLayout.checkpointIdFromKey(key);
    if (id !== undefined && id > 0 && (settled === undefined || id < settled)) settled = id;
  }
  return settled;
}
