import { CorruptDataError, WeirError } from '../../errors/index.js';
import type { ExecutionPlan } from '../../graph/execution-plan.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { handleKeysOf } from './checkpoint-metadata.js';
import type { TakenSavepoint } from './chunk-pins.js';
import { encodeSavepoint, savepointInfoOf } from './savepoint-codec.js';

/** A job that is not running takes no savepoint: the error savepoint() and stop() reject with. */
export function savepointDeclined(jobName: string, status: string): WeirError {
  return new WeirError('CHECKPOINT_DECLINED', `job '${jobName}' is ${status}; a savepoint needs a running job`, { domain: 'user', retryable: status === 'restarting' });
}

/**
 * Reads a completed savepoint's chunks back from storage (pinned until then) and packs them with
 * its metadata into one archive. Must release the pins however it ends.
 */
export async function packTakenSavepoint(storage: CheckpointStorage, plan: ExecutionPlan, taken: TakenSavepoint): Promise<Uint8Array> {
  try {
    const keys = handleKeysOf(taken.metadata);
    const chunks = new Map<string, Uint8Array>();
    const read = await Promise.all(keys.map((key) => storage.getChunk(key)));
    keys.forEach((key, i) => {
      const bytes = read[i];
      if (bytes === undefined) throw new CorruptDataError(`savepoint ${taken.metadata.checkpointId}: its chunk '${key}' is missing from storage`, { key });
      chunks.set(key, bytes);
    });
    return encodeSavepoint(savepointInfoOf(plan, taken.metadata.checkpointId), taken.metadata, chunks);
  } finally {
    taken.release();
  }
}
