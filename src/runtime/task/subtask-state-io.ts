import { CorruptDataError } from '../../errors/index.js';
import type { ExecutionVertex } from '../../graph/execution-plan.js';
import { chunkChecksum, decodePayload, verifyChunk } from '../../state/chunk-format.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import type { EncodedKeyedChunk, KeyedStatePayload } from '../../state/heap-keyed-state-backend.js';
import { checkKeyedStatePayload, checkOperatorStatePayload } from '../../state/keyed-state-payload.js';
import type { OperatorList } from '../../state/operator-state-store.js';
import type { RestoreAssignment, StateHandle } from '../control-messages.js';
import type { OperatorRestoreState, StreamOperator } from '../operators/stream-operator.js';
import { chainOrder, type KeyedChunkReuse } from './keyed-chunk-reuse.js';
import { SubtaskSnapshot, type SubtaskIdentity } from './subtask-snapshot.js';

export type { SubtaskIdentity } from './subtask-snapshot.js';

/** A subtask's snapshot taken at once: chunks to write now, and every handle it references (written or reused). */
export interface EncodedSnapshot {
  readonly write: { readonly handle: StateHandle; readonly bytes: Uint8Array }[];
  readonly handles: StateHandle[];
  /** Writes the operators started themselves (a sink's staged data): the ack waits for them too. */
  readonly durable: Promise<void>[];
}

/**
 * Snapshots and encodes every operator of a chain synchronously (see SubtaskSnapshot, which the
 * task runs a slice at a time instead): a chunk for operator state, per span of key groups a full
 * chunk, a delta or a reused chain, and one chunk for timers.
 */
export function encodeSubtaskSnapshot(
  operators: readonly StreamOperator[],
  checkpointId: number,
  who: SubtaskIdentity,
  reuse: ReadonlyMap<string, KeyedChunkReuse>,
  onChunk?: (handle: StateHandle, bytes: Uint8Array) => void,
): EncodedSnapshot {
  const write: { handle: StateHandle; bytes: Uint8Array }[] = [];
  const snapshot = new SubtaskSnapshot(operators, checkpointId, who, reuse, (handle, bytes) => {
    write.push({ handle, bytes });
    onChunk?.(handle, bytes);
  });
  snapshot.finish();
  return { write, handles: snapshot.handles, durable: snapshot.durable };
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
  const fetch = async <T>(handle: StateHandle, kind: 'keyed-state' | 'operator-state', use: (body: Uint8Array) => T): Promise<T> => {
    const bytes = await storage.getChunk(handle.key);
    const details = { checkpointId: restore.checkpointId, key: handle.key };
    const where = `checkpoint ${restore.checkpointId}: state chunk '${handle.key}'`;
    if (bytes === undefined) throw new CorruptDataError(`${where} is missing`, details);
    try {
      const checksum = bytes.byteLength === handle.bytes ? chunkChecksum(bytes) : undefined;
      if (checksum !== handle.checksum) {
        throw new CorruptDataError(`does not match the checksum its checkpoint recorded (${bytes.byteLength} bytes, checksum ${checksum ?? 'not read'}; recorded ${handle.bytes} bytes, checksum ${handle.checksum})`);
      }
      return use(verifyChunk(bytes, kind).body);
    } catch (error) {
      if (error instanceof CorruptDataError) throw new CorruptDataError(`${where}: ${error.message}`, { ...error.details, ...details });
      throw error;
    }
  };
  // Its checksum matched: a wrong shape now means another version wrote it, or it was edited with its metadata.
  const read = (handle: StateHandle, kind: 'keyed-state' | 'operator-state') => fetch(handle, kind, (body) => {
    const payload = decodePayload(kind, body);
    return kind === 'keyed-state' ? checkKeyedStatePayload(payload, handle.key) : checkOperatorStatePayload(payload, handle.key);
  });
  // Key-group state is checked now (a corrupt chunk fails the restore, as any) but decoded when first used.
  const encoded = (handle: StateHandle): Promise<EncodedKeyedChunk> => fetch(handle, 'keyed-state', (body) => ({ keyGroupRange: handle.keyGroupRange!, body }));
  const lazy = (h: StateHandle) => (h.part === 'state' || h.part === 'delta') && h.keyGroupRange !== undefined;
  const result = new Map<string, OperatorRestoreState>();
  for (const op of vertex.operators) {
    const assigned = restore.operators[op.uid];
    if (assigned === undefined) continue;
    // Each span's full chunk before its deltas, deltas in the order written (timers anywhere).
    const keyed = [...assigned.keyed].sort(chainOrder);
    const [keyedState, encodedKeyed, lists] = await Promise.all([
      Promise.all(keyed.filter((h) => !lazy(h)).map((h) => read(h, 'keyed-state'))) as Promise<KeyedStatePayload[]>,
      Promise.all(keyed.filter(lazy).map(encoded)),
      Promise.all(assigned.operator.map((h) => read(h, 'operator-state'))) as Promise<unknown[][]>,
    ]);
    const share = (entries: unknown[]) => entries.filter((_, j) => j % vertex.parallelism === subtaskIndex);
    // The operator's own state (splits, pending commits, broadcast state) per stored subtask; named lists apart.
    const ownLists = lists.filter((_, i) => assigned.operator[i]!.stateName === undefined);
    const operatorState = share(ownLists.flat());
    // Named lists: the handles come in subtask order, so a split list is dealt as the operator's own list is.
    const named = new Map<string, OperatorList & { entries: unknown[] }>();
    assigned.operator.forEach((h, i) => {
      if (h.stateName === undefined) return;
      const distribution = h.distribution ?? 'split';
      const list = named.get(h.stateName) ?? { name: h.stateName, distribution, entries: [] };
      if (list.distribution !== distribution) throw new CorruptDataError(`checkpoint ${restore.checkpointId}: operator list '${h.stateName}' of '${op.uid}' is stored as both split and union state`, { key: h.key });
      for (const entry of lists[i]!) list.entries.push(entry);
      named.set(h.stateName, list);
    });
    const operatorLists = [...named.values()].map((l) => (l.distribution === 'union' ? l : { ...l, entries: share(l.entries) }));
    result.set(op.uid, { checkpointId: restore.checkpointId, keyedState, encodedKeyed, operatorState, operatorStateBySubtask: ownLists, operatorLists });
  }
  return result;
}
