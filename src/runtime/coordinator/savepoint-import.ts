import type { ExecutionPlan } from '../../graph/execution-plan.js';
import { chunkChecksum, encodeChunk } from '../../state/chunk-format.js';
import type { CheckpointStorage, MetadataCondition } from '../../state/checkpoint-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { StateHandle } from '../control-messages.js';
import type { CheckpointMetadata } from './checkpoint-metadata.js';
import { encodeMetadata } from './stored-records.js';
import type { DecodedSavepoint } from './savepoint-codec.js';

/**
 * Writes a savepoint into this storage as a completed checkpoint of the job, under new chunk
 * keys (attempt 0 of this runner's epoch, which no attempt uses), and returns its metadata: the
 * restore then is an ordinary one, at any parallelism. Operators this job lacks are left out
 * (allowNonRestoredState was checked before). The sinks' pending committables are left out too:
 * a savepoint is handed out only once every sink committed it where it was taken, and what they
 * name (a table's staged rows) lives in that storage.
 * Must run after the attempt fence is written and the job's old checkpoints are gone; the
 * metadata write, conditional on the fence, is the commit point (a crash before it leaves
 * orphan chunks, which the next start sweeps).
 */
export async function importSavepoint(storage: CheckpointStorage, plan: ExecutionPlan, savepoint: DecodedSavepoint, epoch: number, fence: MetadataCondition): Promise<CheckpointMetadata> {
  const { metadata, chunks } = savepoint;
  const kinds = new Map(plan.vertices.flatMap((v) => v.operators.map((o) => [o.uid, o.spec.kind] as const)));
  const attemptId = storageLayout.attemptId(epoch, 0);
  const writes: Promise<void>[] = [];
  const operators: Record<string, { parallelism: number; handles: StateHandle[] }> = {};
  for (const [uid, op] of Object.entries(metadata.operators)) {
    const kind = kinds.get(uid);
    if (kind === undefined) continue;
    const handles = op.handles.map((h, i): StateHandle => {
      const bytes = kind === 'sink' && h.kind === 'operator' && h.stateName === undefined ? encodeChunk('operator-state', []) : chunks.get(h.key)!;
      const key = storageLayout.stateChunkKey(plan.jobName, metadata.checkpointId, attemptId, uid, h.subtaskIndex, `savepoint-${i}`);
      writes.push(storage.putChunk(key, bytes));
      return { ...h, key, bytes: bytes.length, checksum: chunkChecksum(bytes) };
    });
    operators[uid] = { parallelism: op.parallelism, handles };
  }
  await Promise.all(writes);
  const imported: CheckpointMetadata = { ...metadata, jobName: plan.jobName, epoch, operators };
  await storage.putMetadata([encodeMetadata(imported)], fence);
  return imported;
}
