// The coordinator's stored records as bytes: checkpoint metadata and the attempt record, in the
// chunk format (the value codec). Loaded with a job's start (stored-records-loader.ts), not with
// the page: a page that runs jobs in workers downloads the codec when its first job starts.
import { CorruptDataError } from '../../errors/index.js';
import { encodeChunk } from '../../state/chunk-format.js';
import { storageLayout } from '../../state/storage-layout.js';
import { readStoredRecord, StoredFields } from '../../state/stored-record.js';
import type { AttemptRecord } from './attempt-record.js';
import type { CheckpointMetadata } from './checkpoint-metadata.js';

export function encodeMetadata(metadata: CheckpointMetadata): { key: string; bytes: Uint8Array } {
  return { key: storageLayout.checkpointMetadataKey(metadata.jobName, metadata.checkpointId), bytes: encodeChunk('checkpoint-metadata', metadata) };
}

/**
 * The metadata stored under `key`, checked field by field (the fields the control plane uses;
 * others pass through). Throws CorruptDataError naming the key: the checkpoint is unreadable.
 */
export function decodeMetadata(bytes: Uint8Array, key: string): CheckpointMetadata {
  const what = 'checkpoint metadata';
  const record = readStoredRecord(bytes, 'checkpoint-metadata', key, what);
  const f = new StoredFields(record, key, what);
  const jobName = f.string('jobName');
  if (!key.startsWith(storageLayout.checkpointPrefix(jobName))) throw f.corrupt('jobName', `names job '${jobName}', which its key is not of`);
  const checkpointId = f.integer('checkpointId');
  if (storageLayout.checkpointIdFromKey(key) !== checkpointId) throw f.corrupt('checkpointId', `holds checkpoint ${checkpointId}, which its key does not say`);
  f.integer('epoch');
  f.number('triggerTimestamp');
  f.number('completedTimestamp');
  f.integer('maxParallelism', 1);
  f.boolean('final');
  if (f.has('eventTimePosition')) f.number('eventTimePosition');
  const operators = f.nested('operators');
  // A handle names a chunk the restore reads and a subsumption deletes: only chunks of this job.
  const chunks = storageLayout.chunkPrefix(jobName);
  for (const uid of Object.keys(f.object('operators'))) {
    const op = operators.nested(uid);
    op.integer('parallelism', 1);
    op.array('handles').forEach((value, i) => {
      const h = op.nested(`handles[${i}]`, value);
      if (!h.string('key').startsWith(chunks)) throw h.corrupt('key', `is not a chunk of job '${jobName}'`);
      h.oneOf('kind', ['keyed', 'operator', 'channel'] as const);
      h.string('operatorUid');
      h.integer('subtaskIndex');
      h.integer('bytes');
      h.integer('checksum', 0, 0xffffffff);
      if (h.has('stateName')) h.string('stateName');
      if (h.has('distribution')) h.oneOf('distribution', ['split', 'union'] as const);
      if (h.has('keyGroupRange')) {
        const range = h.nested('keyGroupRange');
        range.integer('start');
        range.integer('end', -1); // end < start: an empty range
      }
    });
  }
  return record as unknown as CheckpointMetadata;
}

export function encodeAttemptRecord(record: AttemptRecord): Uint8Array {
  return encodeChunk('attempt', { epoch: record.epoch, attempt: record.attempt, state: record.state, nextCheckpointId: record.nextCheckpointId });
}

/** The attempt record stored under `key`, checked field by field; CorruptDataError naming the key otherwise. */
export function decodeAttemptRecord(bytes: Uint8Array, key: string): AttemptRecord {
  const what = 'attempt record';
  const f = new StoredFields(readStoredRecord(bytes, 'attempt', key, what), key, what);
  return { epoch: f.integer('epoch'), attempt: f.integer('attempt'), state: f.string('state'), nextCheckpointId: f.integer('nextCheckpointId') };
}
