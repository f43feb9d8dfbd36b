import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';

/**
 * Claims a job for this runner: writes a new epoch token, unless another runner changed it
 * in between. Every checkpoint-metadata write then carries the returned condition, so a
 * runner whose epoch was superseded can never complete a checkpoint over the new one.
 */
export async function claimEpoch(storage: CheckpointStorage, jobName: string, token: string): Promise<{ epoch: number; fence: MetadataCondition }> {
  const key = storageLayout.epochKey(jobName);
  const current = await storage.getMetadata(key);
  const previous = current === undefined ? 0 : Number.parseInt(new TextDecoder().decode(current), 10) || 0;
  const epoch = previous + 1;
  const bytes = new TextEncoder().encode(`${epoch} ${token}`);
  await storage.putMetadata([{ key, bytes }], { key, equals: current });
  return { epoch, fence: { key, equals: bytes } };
}
