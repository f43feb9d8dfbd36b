import { CorruptDataError } from '../../errors/index.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { StateHandle } from '../control-messages.js';
import { loadStoredRecords } from './stored-records-loader.js';

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
  const { decodeMetadata } = await loadStoredRecords();
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
  const { decodeMetadata } = await loadStoredRecords();
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
