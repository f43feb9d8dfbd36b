import { InvalidArgumentError, WeirError } from '../../errors/index.js';
import type { ExecutionPlan } from '../../graph/execution-plan.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import { clearJobData, sweepOrphanChunks, type CheckpointMetadata, type StoredCheckpoints } from './checkpoint-metadata.js';
import { decideStart, type StartDecision } from './recovery-decisions.js';
import type { DecodedSavepoint } from './savepoint-codec.js';

/** Where a run starts: its latest checkpoint, nothing, a savepoint's archive, or a retained checkpoint chosen by id. */
export type StartPoint = 'latest' | 'none' | { readonly savepoint: DecodedSavepoint } | { readonly checkpoint: number };

/**
 * decideStart for every start point. A savepoint replaces the job's checkpoints in this storage
 * (all are dropped; the savepoint is imported once the attempt fence is written, see
 * importSavepoint); a chosen checkpoint drops the newer ones, so no fallback goes past it. Either
 * way the sinks roll back to it, and the next id is above every id stored or taken before.
 */
export function decideStartPoint(input: { readonly start: StartPoint; readonly stored: StoredCheckpoints; readonly idFloor: number; readonly jobName: string }): StartDecision & { readonly savepoint?: DecodedSavepoint } {
  const { start, stored, idFloor, jobName } = input;
  if (typeof start === 'string') return decideStart({ resume: start, stored, idFloor });
  const allIds = [...stored.readable.map((c) => c.checkpointId), ...stored.unreadable.map((u) => u.checkpointId)];
  if ('savepoint' in start) {
    const { metadata, info } = start.savepoint;
    if (info.jobName !== jobName) {
      throw new WeirError('STATE_MISMATCH', `the savepoint is of job '${info.jobName}', not of job '${jobName}'; a savepoint restores only the job that took it`, {
        domain: 'user', retryable: false, details: { savepointJob: info.jobName, job: jobName },
      });
    }
    return {
      restore: metadata, retained: [metadata], drop: allIds, passedOver: [], savepoint: start.savepoint,
      nextCheckpointId: Math.max(stored.highestId + 1, idFloor, metadata.checkpointId + 1), rollBackTo: metadata.checkpointId,
    };
  }
  const restore = stored.readable.find((c) => c.checkpointId === start.checkpoint);
  if (restore === undefined) {
    const retained = stored.readable.map((c) => c.checkpointId);
    throw new InvalidArgumentError('run(job, options).resume.checkpoint', `job '${jobName}' has no readable checkpoint ${start.checkpoint} in this storage; it retains ${retained.length === 0 ? 'none' : retained.join(', ')}`);
  }
  return {
    restore, retained: stored.readable.filter((c) => c.checkpointId <= restore.checkpointId), drop: allIds.filter((id) => id > restore.checkpointId || stored.unreadable.some((u) => u.checkpointId === id)),
    passedOver: [], nextCheckpointId: Math.max(stored.highestId + 1, idFloor, 1), rollBackTo: restore.checkpointId,
  };
}

/**
 * Readies the storage for the start decided, once the attempt fence is written: a fresh start
 * clears the job's data; a restore drops the checkpoints decided, sweeps orphan chunks and imports
 * a savepoint (savepoint-import.ts, loaded on first use). Resolves with what to restore and the
 * checkpoints a fallback may use. Every write and delete is conditional on the runner's fence.
 */
export async function prepareStorage(
  storage: CheckpointStorage, plan: ExecutionPlan, decision: ReturnType<typeof decideStartPoint>, epoch: number, fence: MetadataCondition,
): Promise<{ restore: CheckpointMetadata | undefined; retained: readonly CheckpointMetadata[] }> {
  if (decision.restore === undefined) {
    await clearJobData(storage, plan.jobName, fence);
    return { restore: undefined, retained: decision.retained };
  }
  if (decision.drop.length > 0) await storage.deleteMetadata(decision.drop.map((id) => storageLayout.checkpointMetadataKey(plan.jobName, id)), fence);
  await sweepOrphanChunks(storage, plan.jobName, fence).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'STORAGE_FENCED') throw error; // garbage otherwise: the next start sweeps it
  });
  if (decision.savepoint === undefined) return { restore: decision.restore, retained: decision.retained };
  const imported = await (await import('./savepoint-import.js')).importSavepoint(storage, plan, decision.savepoint, epoch, fence);
  return { restore: imported, retained: [imported] };
}
