import { CorruptDataError } from '../../errors/index.js';
import type { KeyGroupRange } from '../../graph/key-groups.js';
import type { ExecutionVertex } from '../../graph/execution-plan.js';
import { chunkChecksum, decodeChunk, encodeChunk } from '../../state/chunk-format.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import type { KeyedStatePayload } from '../../state/heap-keyed-state-backend.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { RestoreAssignment, StateHandle } from '../control-messages.js';
import type { OperatorRestoreState, StreamOperator } from '../operators/stream-operator.js';

/** One encoded piece of a subtask's snapshot, ready to write. */
export interface EncodedChunk {
  readonly handle: StateHandle;
  readonly bytes: Uint8Array;
}

export interface SubtaskIdentity {
  readonly jobName: string;
  readonly attempt: number;
  readonly subtaskIndex: number;
  readonly keyGroupRange: KeyGroupRange;
}

/**
 * Snapshots and encodes every operator of a chain: one chunk for its operator state, one for
 * its keyed state (none when empty). Must run synchronously at the barrier: the operators'
 * live maps are encoded here, before the next record can change them.
 */
export function encodeSubtaskSnapshot(operators: readonly StreamOperator[], checkpointId: number, who: SubtaskIdentity): EncodedChunk[] {
  const chunks: EncodedChunk[] = [];
  for (const op of operators) {
    const snapshot = op.snapshotState(checkpointId);
    const add = (kind: 'operator' | 'keyed', bytes: Uint8Array) => {
      const key = storageLayout.stateChunkKey(who.jobName, checkpointId, who.attempt, op.uid, who.subtaskIndex, kind);
      const handle: StateHandle = {
        key, kind, operatorUid: op.uid, subtaskIndex: who.subtaskIndex, bytes: bytes.byteLength, checksum: chunkChecksum(bytes),
        ...(kind === 'keyed' ? { keyGroupRange: who.keyGroupRange } : {}),
      };
      chunks.push({ handle, bytes });
    };
    if (snapshot.operatorState !== undefined) add('operator', encodeChunk('operator-state', snapshot.operatorState));
    const keyed = snapshot.keyedState;
    if (keyed !== undefined && (keyed.groups.length > 0 || (keyed.timers?.length ?? 0) > 0)) add('keyed', encodeChunk('keyed-state', keyed));
  }
  return chunks;
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
  const read = async (handle: StateHandle, kind: 'keyed-state' | 'operator-state') => {
    const bytes = await storage.getChunk(handle.key);
    if (bytes === undefined) {
      throw new CorruptDataError(`checkpoint ${restore.checkpointId}: state chunk '${handle.key}' is missing`, { checkpointId: restore.checkpointId, key: handle.key });
    }
    return decodeChunk(bytes, kind).payload;
  };
  const result = new Map<string, OperatorRestoreState>();
  for (const op of vertex.operators) {
    const assigned = restore.operators[op.uid];
    if (assigned === undefined) continue;
    const keyedState = (await Promise.all(assigned.keyed.map((h) => read(h, 'keyed-state')))) as KeyedStatePayload[];
    const lists = (await Promise.all(assigned.operator.map((h) => read(h, 'operator-state')))) as unknown[][];
    const operatorState = lists.flat().filter((_, j) => j % vertex.parallelism === subtaskIndex);
    result.set(op.uid, { keyedState, operatorState });
  }
  return result;
}
