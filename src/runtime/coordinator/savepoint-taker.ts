import { CorruptDataError, WeirError } from '../../errors/index.js';
import type { ExecutionPlan } from '../../graph/execution-plan.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import { handleKeysOf } from './checkpoint-metadata.js';
import type { CheckpointCoordinator } from './checkpoint-coordinator.js';
import type { TakenSavepoint } from './chunk-pins.js';
import { encodeSavepoint, savepointInfoOf } from './savepoint-codec.js';

/**
 * Takes a savepoint of a running job and packs it. `last` (a stop): no periodic checkpoint follows
 * it, unless it fails and the job goes on. A job that is not running takes none.
 */
export async function takeSavepoint(job: { readonly storage: CheckpointStorage; readonly plan: ExecutionPlan }, status: () => string, coordinator: CheckpointCoordinator, last: boolean): Promise<Uint8Array> {
  if (status() !== 'running') {
    throw new WeirError('CHECKPOINT_DECLINED', `job '${job.plan.jobName}' is ${status()}; a savepoint needs a running job`, { domain: 'user', retryable: status() === 'restarting' });
  }
  try {
    return await packTakenSavepoint(job.storage, job.plan, await coordinator.triggerSavepoint(last));
  } catch (error) {
    if (last && status() === 'running') coordinator.start(); // not stopping after all: periodic checkpoints again
    throw error;
  }
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
