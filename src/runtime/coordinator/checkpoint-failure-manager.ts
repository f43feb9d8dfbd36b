import { WeirError } from '../../errors/index.js';

/** Why a pending checkpoint ended without completing. */
export type CheckpointFailureCode = 'CHECKPOINT_TIMEOUT' | 'CHECKPOINT_STORAGE_FAILED' | 'CHECKPOINT_DECLINED' | 'CHECKPOINT_ABORTED';

/**
 * Counts checkpoints that failed in a row, as Flink's CheckpointFailureManager, and decides when
 * the job must fail for it. Timeouts and storage failures count; a decline because a newer
 * checkpoint overtook this one, or an abort for a failover, does not. A completion resets the count.
 */
export class CheckpointFailureManager {
  private consecutive = 0;

  constructor(private readonly tolerableFailures: number) {}

  /** Whether a failure with this code counts towards the tolerable failures. */
  static counts(code: CheckpointFailureCode): boolean {
    return code === 'CHECKPOINT_TIMEOUT' || code === 'CHECKPOINT_STORAGE_FAILED';
  }

  /** A checkpoint failed with `error`: returns the error the job must fail with, if that was one too many. */
  onFailure(code: CheckpointFailureCode, reason: string, error: WeirError): WeirError | undefined {
    if (!CheckpointFailureManager.counts(code) || ++this.consecutive <= this.tolerableFailures) return undefined;
    return new WeirError('TOO_MANY_CHECKPOINT_FAILURES', `${this.consecutive} checkpoints in a row failed (tolerable: ${this.tolerableFailures}); the last: ${reason}`, {
      domain: 'external', retryable: true, cause: error,
    });
  }

  onSuccess(): void {
    this.consecutive = 0;
  }

  /** A new attempt starts counting afresh. */
  reset(): void {
    this.consecutive = 0;
  }
}
