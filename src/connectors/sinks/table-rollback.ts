import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';

/**
 * Removes the table commits of transactions after `checkpointId`: when a job falls back to
 * an older checkpoint, its tables must show that checkpoint's output, or the records replayed
 * from there would be committed a second time.
 */
export async function rollBackTables(storage: CheckpointStorage, jobName: string, checkpointId: number): Promise<number> {
  const prefix = `${storageLayout.jobPrefix(jobName)}tables/`;
  const later = (await storage.listMetadata(prefix)).filter((key) => {
    const transactionId = Number(key.slice(key.lastIndexOf('/') + 1).split('-')[0]);
    return Number.isFinite(transactionId) && transactionId > checkpointId;
  });
  if (later.length > 0) await storage.deleteMetadata(later);
  return later.length;
}
