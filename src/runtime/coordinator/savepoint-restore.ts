import { InvalidArgumentError, WeirError } from '../../errors/index.js';
import type { StoredCheckpoints } from './checkpoint-metadata.js';
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
