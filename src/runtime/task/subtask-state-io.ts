import { CorruptDataError } from '../../errors/index.js';
import type { KeyGroupRange } from '../../graph/key-groups.js';
import type { ExecutionVertex } from '../../graph/execution-plan.js';
import { chunkChecksum, decodeChunk, encodeChunk } from '../../state/chunk-format.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import type { KeyedStatePayload } from '../../state/heap-keyed-state-backend.js';
import { checkKeyedStatePayload, checkOperatorStatePayload } from '../../state/keyed-state-payload.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { RestoreAssignment, StateHandle } from '../control-messages.js';
import type { OperatorRestoreState, StreamOperator } from '../operators/stream-operator.js';
import type { KeyedChunkReuse } from './keyed-chunk-reuse.js';

/** A subtask's snapshot: chunks to write now, and every handle it references (written or reused). */
export interface EncodedSnapshot {
  readonly write: { readonly handle: StateHandle; readonly bytes: Uint8Array }[];
  readonly handles: StateHandle[];
  /** Writes the operators started themselves (a sink's staged data): the ack waits for them too. */
  readonly durable: Promise<void>[];
}

export interface SubtaskIdentity {
  readonly jobName: string;
  readonly attemptId: string;
  readonly subtaskIndex: number;
  readonly keyGroupRange: KeyGroupRange;
}

/**
 * Snapshots and encodes every operator of a chain: a chunk for its operator state, one per
 * changed span of key groups (unchanged spans reuse a completed checkpoint's chunk), and one
 * for its timers. Must run synchronously at the barrier: the operators' live maps are encoded
 * here, before the next record can change them.
 */
export function encodeSubtaskSnapshot(
  operators: readonly StreamOperator[],
  checkpointId: number,
  who: SubtaskIdentity,
  reuse: ReadonlyMap<string, KeyedChunkReuse>,
  /** Called with each chunk as soon as it is encoded, so its write overlaps the encoding of the next. */
  onChunk?: (handle: StateHandle, bytes: Uint8Array) => void,
): EncodedSnapshot {
  const snapshot: EncodedSnapshot = { write: [], handles: [], durable: [] };
  for (const op of operators) {
    const taken = op.snapshotState(checkpointId);
    if (taken.durable !== undefined) snapshot.durable.push(taken.durable);
    const add = (kind: 'operator' | 'keyed', name: string, bytes: Uint8Array, extra: Partial<StateHandle> = {}) => {
      const key = storageLayout.stateChunkKey(who.jobName, checkpointId, who.attemptId, op.uid, who.subtaskIndex, name);
      const handle: StateHandle = { key, kind, operatorUid: op.uid, subtaskIndex: who.subtaskIndex, bytes: bytes.byteLength, checksum: chunkChecksum(bytes), ...extra };
      snapshot.write.push({ handle, bytes });
      onChunk?.(handle, bytes);
      snapshot.handles.push(handle);
      return handle;
    };
    if (taken.operatorState !== undefined) add('operator', 'operator', encodeChunk('operator-state', taken.operatorState));
    const backend = taken.keyedBackend;
    if (backend !== undefined) {
      const tracker = reuse.get(op.uid);
      const version = backend.beginSnapshot();
      for (const span of backend.spans()) {
        const lastModified = backend.lastModified(span);
        const reused = tracker?.reusable(span, lastModified);
        if (reused !== undefined) {
          snapshot.handles.push(reused);
          tracker?.record(checkpointId, span, reused, version);
          continue;
        }
        const payload = backend.snapshot(span);
        if (payload.groups.length === 0) continue; // an empty span needs no chunk: restoring nothing is right
        const handle = add('keyed', `keyed-${span.start}-${span.end}`, encodeChunk('keyed-state', payload), { keyGroupRange: span, part: 'state' });
        tracker?.record(checkpointId, span, handle, version);
      }
    }
    if (taken.keyedExtra !== undefined) {
      add('keyed', 'timers', encodeChunk('keyed-state', taken.keyedExtra), { keyGroupRange: who.keyGroupRange, part: 'timers' });
    }
  }
  return snapshot;
}

/**
 * Reads a subtask's share of a restored checkpoint, per operator uid: the keyed chunks that
 * overlap its key groups (the backend keeps its own groups), and the operator-state entries
 * dealt round-robin over the new parallelism.
 */
export async function readSubtaskRestore(
  storage: CheckpointStorage,
  restore: RestoreAssignment,
  vertex: ExecutionVertex,
  subtaskIndex: number,
): Promise<Map<string, OperatorRestoreState>> {
  // Must check each chunk against its handle, not only against its own checksum: a well-formed
  // chunk of another checkpoint or subtask under this key would otherwise restore silently.
  const read = async (handle: StateHandle, kind: 'keyed-state' | 'operator-state') => {
    const bytes = await storage.getChunk(handle.key);
    const details = { checkpointId: restore.checkpointId, key: handle.key };
    const where = `checkpoint ${restore.checkpointId}: state chunk '${handle.key}'`;
    if (bytes === undefined) throw new CorruptDataError(`${where} is missing`, details);
    let payload: unknown;
    try {
      const checksum = bytes.byteLength === handle.bytes ? chunkChecksum(bytes) : undefined;
      if (checksum !== handle.checksum) {
        throw new CorruptDataError(`does not match the checksum its checkpoint recorded (${bytes.byteLength} bytes, checksum ${checksum ?? 'not read'}; recorded ${handle.bytes} bytes, checksum ${handle.checksum})`);
      }
      payload = decodeChunk(bytes, kind).payload;
    } catch (error) {
      if (error instanceof CorruptDataError) throw new CorruptDataError(`${where}: ${error.message}`, { ...error.details, ...details });
      throw error;
    }
    // Its checksum matched: a wrong shape now means another version wrote it, or it was edited with its metadata.
    return kind === 'keyed-state' ? checkKeyedStatePayload(payload, handle.key) : checkOperatorStatePayload(payload, handle.key);
  };
  const result = new Map<string, OperatorRestoreState>();
  for (const op of vertex.operators) {
    const assigned = restore.operators[op.uid];
    if (assigned === undefined) continue;
    const keyedState = (await Promise.all(assigned.keyed.map((h) => read(h, 'keyed-state')))) as KeyedStatePayload[];
    const lists = (await Promise.all(assigned.operator.map((h) => read(h, 'operator-state')))) as unknown[][];
    const operatorState = lists.flat().filter((_, j) => j % vertex.parallelism === subtaskIndex);
    result.set(op.uid, { checkpointId: restore.checkpointId, keyedState, operatorState });
  }
  return result;
}
