import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import { loadStoredRecords } from './stored-records-loader.js';

/**
 * The record `jobs/<job>/attempt`: which attempt of which runner may commit now, and the least
 * id the next checkpoint may take. Sinks commit on condition that it still holds what their
 * attempt was given; the runner rewrites it (conditional on its epoch) before every deploy and at
 * the start of every failover, so a stopped attempt's commit still on its way is refused rather
 * than landing after a rollback. The id floor survives a fallback that drops the checkpoints
 * holding the highest ids, so no id is used twice.
 */
export interface AttemptRecord {
  readonly epoch: number;
  readonly attempt: number;
  /** 'starting', 'running', 'stopped': for a reader, not for the fence. */
  readonly state: string;
  readonly nextCheckpointId: number;
}

/** Writes the record; resolves with the condition an attempt's commits carry. */
export async function writeAttemptRecord(storage: CheckpointStorage, jobName: string, record: AttemptRecord, epochFence: MetadataCondition): Promise<MetadataCondition> {
  const key = storageLayout.attemptKey(jobName);
  const bytes = (await loadStoredRecords()).encodeAttemptRecord(record);
  await storage.putMetadata([{ key, bytes }], epochFence);
  return { key, equals: bytes };
}

/**
 * The id floor an earlier runner left; 0 when there is no record. Throws CorruptDataError naming
 * the key for a record this build did not write: ids could otherwise be used twice.
 */
export async function readCheckpointIdFloor(storage: CheckpointStorage, jobName: string): Promise<number> {
  const key = storageLayout.attemptKey(jobName);
  const { decodeAttemptRecord } = await loadStoredRecords();
  const bytes = await storage.getMetadata(key);
  return bytes === undefined ? 0 : decodeAttemptRecord(bytes, key).nextCheckpointId;
}
