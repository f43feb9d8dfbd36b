import assert from 'node:assert/strict';
import { WeirError } from '../../../src/errors/index.js';
import type { SubtaskId } from '../../../src/graph/execution-plan.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import type { StateHandle, TaskReport } from '../../../src/runtime/control-messages.js';
import {
  CheckpointCoordinator,
  type CheckpointConfig,
  type CoordinatorGateway,
} from '../../../src/runtime/coordinator/checkpoint-coordinator.js';
import type { CheckpointMetadata } from '../../../src/runtime/coordinator/checkpoint-metadata.js';
import type { CheckpointStats } from '../../../src/runtime/coordinator/checkpoint-stats.js';
import { MemoryCheckpointStorage, type MemoryCheckpointStorageOptions } from '../../../src/state/backends/memory-storage.js';
import { storageLayout } from '../../../src/state/storage-layout.js';

// A CheckpointCoordinator driven by a ManualClock, with a gateway that records what it is told
// and a memory storage whose metadata writes can be held open. The coordinator's storage calls
// are async: after moving the clock, `advance` and `settle` let them run to the end.
export const JOB = 'cc-job';
/** Vertex 0 runs operator 'src', vertex 1 runs 'map' (stateless) chained with 'sum'; one subtask each. */
export const SUBTASKS: SubtaskId[] = [{ vertexId: 0, subtaskIndex: 0 }, { vertexId: 1, subtaskIndex: 0 }];
export const UID_OF_VERTEX = ['src', 'sum'];
export const OPERATOR_PARALLELISM = new Map([['src', 1], ['map', 1], ['sum', 1]]);

export type Ack = Extract<TaskReport, { kind: 'ack' }>;
export type Decline = Extract<TaskReport, { kind: 'decline' }>;

/** Lets the coordinator's storage calls (each yields at least once) run to the end. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** How a promise ended, without an unhandled rejection in between. */
export function outcome<T>(promise: Promise<T>): { settled: () => 'pending' | 'resolved' | 'rejected'; value: () => T; error: () => unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let value: T;
  let error: unknown;
  promise.then((v) => { state = 'resolved'; value = v; }, (e) => { state = 'rejected'; error = e; });
  return { settled: () => state, value: () => value, error: () => error };
}

/** Records every gateway call as a short line; `complete` can be held open. */
export class FakeGateway implements CoordinatorGateway {
  readonly calls: string[] = [];
  completeGate: Promise<void> | undefined;

  subtasks(): readonly SubtaskId[] {
    return SUBTASKS;
  }
  trigger(checkpointId: number, timestamp: number): void {
    this.calls.push(`trigger ${checkpointId}@${timestamp}`);
  }
  abort(checkpointId: number): void {
    this.calls.push(`abort ${checkpointId}`);
  }
  async complete(checkpointId: number): Promise<void> {
    this.calls.push(`complete ${checkpointId}`);
    if (this.completeGate !== undefined) await this.completeGate;
  }
  /** The ids of every triggered checkpoint, in order. */
  triggered(): number[] {
    return this.calls.filter((c) => c.startsWith('trigger')).map((c) => Number(c.slice(8, c.indexOf('@'))));
  }
}

/** Memory storage whose metadata writes can be held open, and which logs deletes. */
export class GatedStorage extends MemoryCheckpointStorage {
  metadataGate: Promise<void> | undefined;
  readonly deletes: string[] = [];
  /** Called before every chunk delete, while the metadata is still as it was. */
  beforeDeleteChunks: ((keys: readonly string[]) => Promise<void>) | undefined;

  constructor(options: MemoryCheckpointStorageOptions = {}) {
    super(options);
  }
  override async putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>): Promise<void> {
    if (this.metadataGate !== undefined) await this.metadataGate;
    return super.putMetadata(records);
  }
  override async deleteChunks(keys: readonly string[]): Promise<void> {
    this.deletes.push(`chunks ${keys.join(',')}`);
    if (this.beforeDeleteChunks !== undefined) await this.beforeDeleteChunks(keys);
    return super.deleteChunks(keys);
  }
  override async deleteMetadata(keys: readonly string[]): Promise<void> {
    this.deletes.push(`metadata ${keys.join(',')}`);
    return super.deleteMetadata(keys);
  }
}

export interface Setup {
  config?: Partial<CheckpointConfig>;
  firstCheckpointId?: number;
  restored?: CheckpointMetadata;
  failWrites?: MemoryCheckpointStorageOptions['failWrites'];
  /** A storage of the test's own (failWrites then does not apply). */
  storage?: GatedStorage;
  start?: boolean;
}

export function setup(options: Setup = {}) {
  const clock = new ManualClock(0);
  const storage = options.storage ?? new GatedStorage({ failWrites: options.failWrites });
  const gateway = new FakeGateway();
  const stats: CheckpointStats[] = [];
  const tooMany: WeirError[] = [];
  const config: CheckpointConfig = { intervalMs: 100, timeoutMs: 1000, minPauseMs: 0, tolerableFailures: 100, retained: 1, ...options.config };
  const coordinator = new CheckpointCoordinator({
    jobName: JOB, epoch: 3, maxParallelism: 128, operatorParallelism: OPERATOR_PARALLELISM, config, clock, storage, gateway,
    onStats: (s) => stats.push(s),
    onTooManyFailures: (e) => tooMany.push(e),
    firstCheckpointId: options.firstCheckpointId ?? 1,
    retained: options.restored === undefined ? [] : [options.restored],
  });
  if (options.start !== false) coordinator.start();
  return { clock, storage, gateway, stats, tooMany, coordinator, config };
}
export type Harness = ReturnType<typeof setup>;

export const chunkKey = (checkpointId: number, s: SubtaskId) => storageLayout.stateChunkKey(JOB, checkpointId, '1.1', UID_OF_VERTEX[s.vertexId]!, s.subtaskIndex, 'operator');
export const metadataKey = (checkpointId: number) => storageLayout.checkpointMetadataKey(JOB, checkpointId);

export function handle(key: string, s: SubtaskId): StateHandle {
  return { key, kind: 'operator', operatorUid: UID_OF_VERTEX[s.vertexId]!, subtaskIndex: s.subtaskIndex, bytes: 10, checksum: 7 };
}

export function ackOf(checkpointId: number, s: SubtaskId, keys: string[] = [chunkKey(checkpointId, s)], ackTimestamp = 0): Ack {
  return {
    kind: 'ack', attempt: 1, subtask: s, checkpointId, handles: keys.map((k) => handle(k, s)),
    stats: { subtask: s, taskName: `task-${s.vertexId}`, ackTimestamp, alignmentStartTimestamp: 0, snapshotTimestamp: 0, alignmentDurationMs: 2 + s.vertexId * 3, syncDurationMs: 1, asyncDurationMs: 4, stateSize: 10 * keys.length, persistedSize: 10 * keys.length },
  };
}

/** A subtask writes its chunks (as a task would, before it acks) and acks them. */
export async function writeAndAck(h: Harness, checkpointId: number, s: SubtaskId, keys: string[] = [chunkKey(checkpointId, s)]): Promise<void> {
  for (const key of keys) await h.storage.putChunk(key, new Uint8Array([checkpointId]));
  h.coordinator.onAck(ackOf(checkpointId, s, keys, h.clock.now()));
}

/** Every subtask writes and acks checkpoint `id`; then the coordinator's storage calls run. */
export async function ackAll(h: Harness, checkpointId: number, keysOf: (s: SubtaskId) => string[] = (s) => [chunkKey(checkpointId, s)]): Promise<void> {
  for (const s of SUBTASKS) await writeAndAck(h, checkpointId, s, keysOf(s));
  await settle();
}

export async function advance(h: Harness, ms: number): Promise<void> {
  h.clock.advance(ms);
  await settle();
}

export function decline(checkpointId: number, reason: string, storageFailure: boolean): Decline {
  return { kind: 'decline', attempt: 1, subtask: SUBTASKS[1]!, checkpointId, reason, storageFailure };
}

/** Read through a function: an assertion on the getter must not narrow later reads. */
export const latestId = (h: Harness): number | undefined => h.coordinator.latestCompleted?.checkpointId;

export const statusOf = (stats: readonly CheckpointStats[]) => stats.map((s) => `${s.id}:${s.status}`);

export function assertWeirError(error: unknown, code: string, message: RegExp | string, details?: Record<string, unknown>): void {
  assert.ok(error instanceof WeirError, `expected a WeirError, got ${String(error)}`);
  assert.equal(error.code, code);
  if (typeof message === 'string') assert.equal(error.message, message);
  else assert.match(error.message, message);
  if (details !== undefined) assert.deepEqual(error.details, details);
}
