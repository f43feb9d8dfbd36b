import type { CheckpointStorage } from '../../state/checkpoint-storage.js';

/**
 * What a sink writer staged at barriers and must store before its subtask acks (SinkWriter.flush):
 * each chunk is written once; a write that failed is written again at the next flush, since the
 * committable that refers to it stays pending.
 */
export class StagedChunks {
  private readonly unstored = new Map<string, { bytes: Uint8Array; write: Promise<void> | undefined }>();

  constructor(private readonly storage: CheckpointStorage) {}

  /** Starts writing `bytes` under `key` (a key unique to this attempt: it is never overwritten). */
  stage(key: string, bytes: Uint8Array): void {
    const staged = { bytes, write: undefined as Promise<void> | undefined };
    this.unstored.set(key, staged);
    staged.write = this.store(key, staged);
  }

  /** Resolves once every staged chunk is stored; rejects if one is not (it is tried again at the next flush). */
  flush(): Promise<void> {
    const writes = [...this.unstored].map(([key, staged]) => (staged.write ??= this.store(key, staged)));
    return Promise.all(writes).then(() => undefined);
  }

  private store(key: string, staged: { bytes: Uint8Array; write: Promise<void> | undefined }): Promise<void> {
    const write = this.storage.putChunk(key, staged.bytes).then(
      () => void this.unstored.delete(key),
      (error: unknown) => {
        staged.write = undefined; // the next flush writes it again
        throw error;
      },
    );
    write.catch(() => undefined); // reported through flush()
    return write;
  }
}
