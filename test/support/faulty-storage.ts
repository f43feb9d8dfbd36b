import { CorruptDataError, WeirError, type CheckpointStorage } from 'weir';

// A CheckpointStorage that wraps another and injects faults a test asks for, counting each one it
// injects: a quota error on a write, a CorruptDataError on a write (a damaged journal met on the
// way), a write held until the test releases it. Browser-safe (the Chromium suites wrap IndexedDB).

type Records = ReadonlyArray<{ key: string; bytes: Uint8Array }>;
type Condition = Parameters<CheckpointStorage['putMetadata']>[1];
type DeleteCondition = Parameters<CheckpointStorage['deleteMetadata']>[1];

export type WriteOp = 'putChunk' | 'putMetadata';

export interface FaultPlan {
  /** Fails the write with a quota error (nothing stored) when it returns true. */
  quota?: (op: WriteOp, keys: readonly string[]) => boolean;
  /** Fails the write with a CorruptDataError, as the fs backend does when it meets a damaged journal of an earlier batch. */
  corrupt?: (op: WriteOp, keys: readonly string[]) => boolean;
  /** Holds the write until the returned promise resolves (the write then goes on). */
  hold?: (op: WriteOp, keys: readonly string[]) => Promise<void> | undefined;
}

export function quotaError(): WeirError {
  const cause = Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
  return new WeirError('CHECKPOINT_STORAGE_FAILED', 'storage: write failed: QuotaExceededError', { domain: 'external', retryable: true, cause, details: { reason: 'QuotaExceededError' } });
}

export class FaultyStorage implements CheckpointStorage {
  readonly kind: string;
  plan: FaultPlan = {};
  /** Faults injected so far, by kind. */
  readonly injected = { quota: 0, held: 0, corrupt: 0 };
  /** Metadata writes the backend refused because their condition no longer held (a fenced attempt or runner). */
  fenced = 0;

  constructor(readonly inner: CheckpointStorage) {
    this.kind = inner.kind;
  }

  private async before(op: WriteOp, keys: readonly string[]): Promise<void> {
    const held = this.plan.hold?.(op, keys);
    if (held !== undefined) {
      this.injected.held++;
      await held;
    }
    if (this.plan.quota?.(op, keys)) {
      this.injected.quota++;
      throw quotaError();
    }
    if (this.plan.corrupt?.(op, keys)) {
      this.injected.corrupt++;
      throw new CorruptDataError('metadata journal metadata.journal: checksum mismatch', { path: 'metadata.journal' });
    }
  }

  async putChunk(key: string, bytes: Uint8Array): Promise<void> {
    await this.before('putChunk', [key]);
    await this.inner.putChunk(key, bytes);
  }
  getChunk(key: string) { return this.inner.getChunk(key); }
  deleteChunks(keys: readonly string[], condition?: DeleteCondition) { return this.inner.deleteChunks(keys, condition); }
  listChunks(prefix: string) { return this.inner.listChunks(prefix); }
  async putMetadata(records: Records, condition?: Condition): Promise<void> {
    const keys = records.map((r) => r.key);
    await this.before('putMetadata', keys);
    try {
      await this.inner.putMetadata(records, condition);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'STORAGE_FENCED') this.fenced++;
      throw error;
    }
  }
  getMetadata(key: string) { return this.inner.getMetadata(key); }
  deleteMetadata(keys: readonly string[], condition?: DeleteCondition) { return this.inner.deleteMetadata(keys, condition); }
  listMetadata(prefix: string) { return this.inner.listMetadata(prefix); }
}

/** A promise the test resolves later. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

export const isCheckpointMetadataKey = (key: string) => key.includes('/checkpoints/');
export const isTableCommitKey = (key: string) => /\/tables\/[^/]+\/[0-9]+-[0-9]+$/.test(key);
