import type { CheckpointStorage, MetadataCondition } from '../state/checkpoint-storage.js';

export interface SinkContext {
  readonly jobName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly storage: CheckpointStorage;
  /** The attempt's fence: commits into the job's own storage carry it, so a replaced attempt cannot commit. */
  readonly fence?: MetadataCondition;
}

/**
 * A two-phase-commit sink writer (Flink's Sink V2 shape).
 * Must stage what it receives until `prepareCommit`, which closes the transaction at a
 * checkpoint barrier and returns it as plain data that is stored with that checkpoint.
 * Must make `commit` idempotent: after a restore it is called again with the committables
 * the restored checkpoint recorded, some of which may have been committed already.
 */
export interface SinkWriter<T> {
  write(value: T): void;
  prepareCommit(checkpointId: number): unknown;
  commit(committables: readonly unknown[]): Promise<void>;
}

export interface Sink<T> {
  readonly kind: 'weir.sink';
  readonly name: string;
  readonly guarantee: 'exactly-once' | 'at-least-once';
  createWriter(ctx: SinkContext): SinkWriter<T>;
}

export function isSink(value: unknown): value is Sink<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'weir.sink';
}
