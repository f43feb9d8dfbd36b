/**
 * Where everything of a job lives in a CheckpointStorage. One layout for every backend, so
 * data written by one runtime is found by another. Names are URI-encoded so that a job or
 * table name can never forge a path; numbers are zero-padded so that keys sort numerically.
 */
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const part = (name: string) => encodeURIComponent(name);

export const storageLayout = {
  jobPrefix: (job: string) => `jobs/${part(job)}/`,
  /** The token of the runner that owns the job now (see runner-epoch.ts). */
  epochKey: (job: string) => `jobs/${part(job)}/epoch`,
  /** The attempt whose sinks may commit now (see JobMaster.fenceAttempt). */
  attemptKey: (job: string) => `jobs/${part(job)}/attempt`,

  checkpointPrefix: (job: string) => `jobs/${part(job)}/checkpoints/`,
  checkpointMetadataKey: (job: string, checkpointId: number) => `jobs/${part(job)}/checkpoints/${pad(checkpointId, 12)}`,
  checkpointIdFromKey(key: string): number | undefined {
    const id = Number(key.slice(key.lastIndexOf('/') + 1));
    return Number.isSafeInteger(id) ? id : undefined;
  },

  chunkPrefix: (job: string) => `jobs/${part(job)}/chunks/`,
  /**
   * A chunk of one subtask's snapshot. The attempt id (runner epoch and attempt) keeps apart the
   * chunks of every attempt of every runner: a killed or superseded attempt whose writes still
   * land can never overwrite a chunk of the live one.
   */
  stateChunkKey: (job: string, checkpointId: number, attemptId: string, operatorUid: string, subtaskIndex: number, kind: string) =>
    `jobs/${part(job)}/chunks/${pad(checkpointId, 12)}/${attemptId}/${part(operatorUid)}/${pad(subtaskIndex, 5)}/${kind}`,
  /** The id of one attempt of one runner, as chunk keys and sinks' staged data carry it. */
  attemptId: (epoch: number, attempt: number) => `${epoch}.${attempt}`,

  /** Where sinks keep what they stage and commit (each sink owns its layout below it: table-layout.ts). */
  sinkPrefix: (job: string, kind: string) => `jobs/${part(job)}/${part(kind)}/`,

  /** Input logs belong to no job: any job may read them, any page or process append. */
  logPrefix: (log: string) => `logs/${part(log)}/`,
  logMetaKey: (log: string) => `logs/${part(log)}/log`,
  logHeadKey: (log: string, partition: number) => `logs/${part(log)}/partitions/${pad(partition, 5)}/head`,
  /** The start of the oldest batch retention kept in a partition (log-tail.ts). */
  logFloorKey: (log: string, partition: number) => `logs/${part(log)}/partitions/${pad(partition, 5)}/floor`,
  logBatchPrefix: (log: string, partition: number) => `logs/${part(log)}/partitions/${pad(partition, 5)}/batches/`,
  /** One append's records, under the offset of its first record. */
  logBatchKey: (log: string, partition: number, start: number) => `logs/${part(log)}/partitions/${pad(partition, 5)}/batches/${pad(start, 16)}`,
  logBatchStartFromKey(key: string): number | undefined {
    const start = Number(key.slice(key.lastIndexOf('/') + 1));
    return Number.isSafeInteger(start) && start >= 0 ? start : undefined;
  },
  logReaderPrefix: (log: string) => `logs/${part(log)}/readers/`,
  /** Every registration of one reading job (or of one of its sources). */
  logReaderJobPrefix: (log: string, job: string, sourceUid?: string) =>
    `logs/${part(log)}/readers/${part(job)}/${sourceUid === undefined ? '' : `${part(sourceUid)}/`}`,
  /** The offset a reading job (by name and source uid) passed in a completed checkpoint, per partition. */
  logReaderKey: (log: string, job: string, sourceUid: string, partition: number) =>
    `logs/${part(log)}/readers/${part(job)}/${part(sourceUid)}/${pad(partition, 5)}`,
};
