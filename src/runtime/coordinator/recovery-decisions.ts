import type { CheckpointMetadata, StoredCheckpoints } from './checkpoint-metadata.js';
import type { RestartDecision } from './restart-strategy.js';

// What the JobMaster does when it starts and when an attempt fails, decided purely from what
// it knows; job-master.ts carries the decisions out, in the order their fields are listed.
//
// The rules:
// - A checkpoint is dropped only when it is proven unreadable: its metadata does not decode,
//   or the restore of it failed on a chunk (missing, or not matching the checksum its handle
//   recorded). Any other failure, even a CORRUPT_DATA one (a bad network batch, a damaged
//   journal met during a commit), restarts from the latest checkpoint and drops nothing.
// - Nothing is dropped or rolled back before the attempt fence is written: a killed attempt's
//   commit still on its way must be refused, not land after the rollback. A runner that finds
//   itself fenced stops; one whose fence write failed restarts from the latest checkpoint and
//   falls back (if it must) only once a fence write succeeds.
// - Every deploy rolls the sinks back to the checkpoint it restores: a no-op after an ordinary
//   failure (a commit follows its checkpoint's completion), the repair after a fallback or a
//   start that passed over unreadable checkpoints (their commits landed; the replay makes them again).
// - A checkpoint id is never used twice, even after a fallback: a sink may have committed
//   under it (an HTTP sink's idempotency key names it).

/** Where a start resumes and what it cleans up first. */
export interface StartDecision {
  /** undefined: start over (the job's data is cleared). */
  readonly restore: CheckpointMetadata | undefined;
  /** Readable checkpoints a later fallback may use, oldest first; the restored one last. */
  readonly retained: readonly CheckpointMetadata[];
  /** Unreadable checkpoints whose metadata goes (after the attempt record holds nextCheckpointId). */
  readonly drop: readonly number[];
  /** Newer checkpoints passed over, with why: the 'restore' event reports them. */
  readonly passedOver: readonly { readonly checkpointId: number; readonly reason: string }[];
  readonly nextCheckpointId: number;
  /** Sinks take back everything after this checkpoint (0: everything). */
  readonly rollBackTo: number;
}

export function decideStart(input: {
  readonly resume: 'latest' | 'none';
  readonly stored: StoredCheckpoints;
  /** What the attempt record of an earlier runner says the next id must be at least. */
  readonly idFloor: number;
}): StartDecision {
  const { resume, stored, idFloor } = input;
  const nextCheckpointId = Math.max(stored.highestId + 1, idFloor, 1);
  const restore = resume === 'latest' ? stored.readable[stored.readable.length - 1] : undefined;
  const reasons = (newerThan: number) => stored.unreadable.filter((u) => u.checkpointId > newerThan).map((u) => ({ checkpointId: u.checkpointId, reason: u.error.message }));
  // Nothing readable: start over; clearing the job's data takes the unreadable metadata too.
  if (restore === undefined) return { restore, retained: [], drop: [], passedOver: resume === 'latest' ? reasons(0) : [], nextCheckpointId, rollBackTo: 0 };
  return {
    restore,
    retained: stored.readable,
    drop: stored.unreadable.map((u) => u.checkpointId),
    passedOver: reasons(restore.checkpointId),
    nextCheckpointId,
    rollBackTo: restore.checkpointId,
  };
}

/** How the attempt fence write at the start of a failover went. */
export type FenceOutcome = 'written' | 'fenced' | 'failed';

export type FailoverDecision =
  | { readonly kind: 'stop-fenced' }
  | { readonly kind: 'give-up'; readonly reason: string }
  | {
      readonly kind: 'restart';
      readonly delayMs: number;
      /** Checkpoints to forget and whose metadata goes, newest first. */
      readonly drop: readonly number[];
      readonly restore: CheckpointMetadata | undefined;
      /** Sinks take back everything after this checkpoint; undefined: no rollback now (the fence is not written). */
      readonly rollBackTo: number | undefined;
      readonly fellBackFrom?: number;
    };

export function decideFailover(input: {
  readonly cause: unknown;
  /** Set when the failed attempt could not read the checkpoint it restored. */
  readonly unreadableCheckpoint: number | undefined;
  /** The completed checkpoints the coordinator keeps, oldest first. */
  readonly completed: readonly CheckpointMetadata[];
  readonly fence: FenceOutcome;
  readonly restart: RestartDecision;
}): FailoverDecision {
  const { cause, unreadableCheckpoint, completed, fence, restart } = input;
  if (fence === 'fenced' || (cause as { code?: unknown } | null)?.code === 'STORAGE_FENCED') return { kind: 'stop-fenced' };
  if (restart.kind === 'give-up') return { kind: 'give-up', reason: restart.reason };
  const latest = completed[completed.length - 1];
  if (fence === 'failed') return { kind: 'restart', delayMs: restart.delayMs, drop: [], restore: latest, rollBackTo: undefined };
  if (latest !== undefined && unreadableCheckpoint === latest.checkpointId) {
    const previous = completed[completed.length - 2];
    return { kind: 'restart', delayMs: restart.delayMs, drop: [latest.checkpointId], restore: previous, rollBackTo: previous?.checkpointId ?? 0, fellBackFrom: latest.checkpointId };
  }
  return { kind: 'restart', delayMs: restart.delayMs, drop: [], restore: latest, rollBackTo: latest?.checkpointId ?? 0 };
}
