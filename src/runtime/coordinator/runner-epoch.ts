import { CorruptDataError } from '../../errors/index.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { crc32 } from '../../state/checksum.js';
import { storageLayout } from '../../state/storage-layout.js';

// The record `jobs/<job>/epoch`: "<epoch> <token> <crc32 of '<epoch> <token>', 8 hex digits>".
// Text, so that whatever reads it with parseInt gets the epoch; its exact bytes are the fence.

/**
 * Claims a job for this runner: writes a new epoch token, unless another runner changed it
 * in between. Every checkpoint-metadata write then carries the returned condition, so a
 * runner whose epoch was superseded can never complete a checkpoint over the new one.
 */
export async function claimEpoch(storage: CheckpointStorage, jobName: string, token: string): Promise<{ epoch: number; fence: MetadataCondition }> {
  const key = storageLayout.epochKey(jobName);
  const current = await storage.getMetadata(key);
  const previous = current === undefined ? 0 : decodeEpoch(current, key);
  const epoch = previous + 1;
  const bytes = encodeEpoch(epoch, token);
  await storage.putMetadata([{ key, bytes }], { key, equals: current });
  return { epoch, fence: { key, equals: bytes } };
}

export function encodeEpoch(epoch: number, token: string): Uint8Array {
  const text = `${epoch} ${token.replace(/\n/g, ' ')}`;
  return new TextEncoder().encode(`${text} ${crc32(new TextEncoder().encode(text)).toString(16).padStart(8, '0')}`);
}

/**
 * The epoch an epoch record holds. Throws CorruptDataError naming the key for anything this build
 * did not write: a runner cannot tell which epochs the job's data already carries then.
 */
export function decodeEpoch(bytes: Uint8Array, key: string): number {
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = undefined;
  }
  const match = text === undefined ? null : /^(\d{1,15}) ([^\n]*) ([0-9a-f]{8})$/.exec(text);
  const body = match === null ? undefined : `${match[1]} ${match[2]}`;
  if (match === null || body === undefined || crc32(new TextEncoder().encode(body)).toString(16).padStart(8, '0') !== match[3]) {
    throw new CorruptDataError(`runner epoch record '${key}' is not one this version of Weir wrote (or fails its checksum); delete it to let a runner start over`, { key });
  }
  return Number(match[1]);
}
