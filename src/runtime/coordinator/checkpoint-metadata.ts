import { CorruptDataError } from '../../errors/index.js';
import { encodeChunk } from '../../state/chunk-format.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import { readStoredRecord, StoredFields } from '../../state/stored-record.js';
import type { StateHandle } from '../control-messages.js';

/** The record whose atomic write completes a checkpoint: every handle of every operator. */
export interface CheckpointMetadata {
  readonly jobName: string;
  readonly checkpointId: number;
  /** The runner that wrote it: a newer runner's epoch fences an older one. */
  readonly epoch: number;
  readonly triggerTimestamp: number;
  readonly completedTimestamp: number;
  readonly maxParallelism: number;
  readonly final: boolean;
  /** Event-time checkpoints: the position (a multiple of eventTimeIntervalMs) it was taken at. */
  readonly eventTimePosition?: number;
  readonly operators: Record<string, { readonly parallelism: number; readonly handles: StateHandle[] }>;
}

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

export function handleKeysOf(metadata: CheckpointMetadata): string[] {
  return Object.values(metadata.operators).flatMap((o) => o.handles.map((h) => h.key));
}

export interface StoredCheckpoints {
  /** Every readable completed checkpoint, oldest first (the latest last): what a restore and a fallback can use. */
  readonly readable: CheckpointMetadata[];
  /** Checkpoints whose metadata cannot be read (corrupt), newest first. */
  readonly unreadable: { checkpointId: number; error: CorruptDataError }[];
  /** The highest checkpoint id stored, readable or not (0: none). */
  readonly highestId: number;
}

/** Every completed checkpoint a job stored; unreadable ones are reported, not fatal. */
export async function listStoredCheckpoints(storage: CheckpointStorage, jobName: string): Promise<StoredCheckpoints> {
  const keys = await storage.listMetadata(storageLayout.checkpointPrefix(jobName));
  const unreadable: StoredCheckpoints['unreadable'] = [];
  const readable: CheckpointMetadata[] = [];
  let highestId = 0;
  for (const key of keys.reverse()) {
    const checkpointId = storageLayout.checkpointIdFromKey(key) ?? -1;
    highestId = Math.max(highestId, checkpointId);
    try {
      const bytes = await storage.getMetadata(key);
      if (bytes === undefined) continue;
      readable.unshift(decodeMetadata(bytes, key));
    } catch (error) {
      if (!(error instanceof CorruptDataError)) throw error;
      unreadable.push({ checkpointId, error });
    }
  }
  return { readable, unreadable, highestId };
}

/**
 * Removes everything a job stored but its runner's records (epoch, attempt): a fresh start
 * begins with empty tables. Conditional on the runner's fence: a superseded runner clears nothing.
 */
export async function clearJobData(storage: CheckpointStorage, jobName: string, fence: MetadataCondition): Promise<void> {
  const prefix = storageLayout.jobPrefix(jobName);
  const keep = new Set([storageLayout.epochKey(jobName), storageLayout.attemptKey(jobName)]);
  await storage.deleteChunks(await storage.listChunks(prefix), fence);
  await storage.deleteMetadata((await storage.listMetadata(prefix)).filter((key) => !keep.has(key)), fence);
}

/**
 * Deletes the chunks of a job that no stored checkpoint refers to: what a crash left between
 * a chunk write and its checkpoint's metadata, or between a subsumption and its deletes.
 * Must run only while nothing of the job runs (before a restore), or it could take a chunk
 * whose checkpoint is being completed; conditional on the runner's fence.
 */
export async function sweepOrphanChunks(storage: CheckpointStorage, jobName: string, fence: MetadataCondition): Promise<number> {
  const used = new Set<string>();
  for (const key of await storage.listMetadata(storageLayout.checkpointPrefix(jobName))) {
    const bytes = await storage.getMetadata(key);
    if (bytes === undefined) continue;
    try {
      for (const k of handleKeysOf(decodeMetadata(bytes, key))) used.add(k);
    } catch (error) {
      if (error instanceof CorruptDataError) return 0; // cannot tell what it refers to: keep everything
      throw error;
    }
  }
  const orphans = (await storage.listChunks(storageLayout.chunkPrefix(jobName))).filter((k) => !used.has(k));
  if (orphans.length > 0) await storage.deleteChunks(orphans, fence);
  return orphans.length;
}
