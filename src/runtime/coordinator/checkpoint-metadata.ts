import { CorruptDataError } from '../../errors/index.js';
import { decodeChunk, encodeChunk } from '../../state/chunk-format.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
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
  readonly operators: Record<string, { readonly parallelism: number; readonly handles: StateHandle[] }>;
}

export function encodeMetadata(metadata: CheckpointMetadata): { key: string; bytes: Uint8Array } {
  return { key: storageLayout.checkpointMetadataKey(metadata.jobName, metadata.checkpointId), bytes: encodeChunk('checkpoint-metadata', metadata) };
}

export function handleKeysOf(metadata: CheckpointMetadata): string[] {
  return Object.values(metadata.operators).flatMap((o) => o.handles.map((h) => h.key));
}

export interface LatestCheckpoint {
  readonly metadata: CheckpointMetadata | undefined;
  /** Every readable completed checkpoint, oldest first (the latest last): what a fallback can use. */
  readonly retained: CheckpointMetadata[];
  /** Newer checkpoints that could not be read, newest first. */
  readonly skipped: { checkpointId: number; error: CorruptDataError }[];
}

/** The newest readable completed checkpoint of a job; unreadable newer ones are reported, not fatal. */
export async function findLatestCheckpoint(storage: CheckpointStorage, jobName: string): Promise<LatestCheckpoint> {
  const keys = await storage.listMetadata(storageLayout.checkpointPrefix(jobName));
  const skipped: LatestCheckpoint['skipped'] = [];
  const retained: CheckpointMetadata[] = [];
  for (const key of keys.reverse()) {
    const checkpointId = storageLayout.checkpointIdFromKey(key) ?? -1;
    try {
      const bytes = await storage.getMetadata(key);
      if (bytes === undefined) continue;
      retained.unshift(decodeChunk(bytes, 'checkpoint-metadata').payload as CheckpointMetadata);
    } catch (error) {
      if (!(error instanceof CorruptDataError)) throw error;
      // Only unreadable checkpoints newer than the latest readable one were passed over.
      if (retained.length === 0) skipped.push({ checkpointId, error });
    }
  }
  return { metadata: retained[retained.length - 1], retained, skipped };
}

/** Removes everything a job stored but its runner's epoch: a fresh start begins with empty tables. */
export async function clearJobData(storage: CheckpointStorage, jobName: string): Promise<void> {
  const prefix = storageLayout.jobPrefix(jobName);
  const epoch = storageLayout.epochKey(jobName);
  await storage.deleteChunks(await storage.listChunks(prefix));
  await storage.deleteMetadata((await storage.listMetadata(prefix)).filter((key) => key !== epoch));
}

/**
 * Deletes the chunks of a job that no stored checkpoint refers to: what a crash left between
 * a chunk write and its checkpoint's metadata, or between a subsumption and its deletes.
 * Must run only while nothing of the job runs (before a restore), or it could take a chunk
 * whose checkpoint is being completed.
 */
export async function sweepOrphanChunks(storage: CheckpointStorage, jobName: string): Promise<number> {
  const used = new Set<string>();
  for (const key of await storage.listMetadata(storageLayout.checkpointPrefix(jobName))) {
    const bytes = await storage.getMetadata(key);
    if (bytes === undefined) continue;
    try {
      for (const k of handleKeysOf(decodeChunk(bytes, 'checkpoint-metadata').payload as CheckpointMetadata)) used.add(k);
    } catch (error) {
      if (error instanceof CorruptDataError) return 0; // cannot tell what it refers to: keep everything
      throw error;
    }
  }
  const orphans = (await storage.listChunks(storageLayout.chunkPrefix(jobName))).filter((k) => !used.has(k));
  if (orphans.length > 0) await storage.deleteChunks(orphans);
  return orphans.length;
}
