import { CorruptDataError, WeirError } from '../../errors/index.js';
import type { ExecutionPlan } from '../../graph/execution-plan.js';
import { chunkChecksum, verifyChunk } from '../../state/chunk-format.js';
import { crc32 } from '../../state/checksum.js';
import { describeSection, packSavepoint, unpackSavepoint, type SavepointSection } from '../../state/savepoint-archive.js';
import { storageLayout } from '../../state/storage-layout.js';
import { isPlainRecord, StoredFields } from '../../state/stored-record.js';
import { decodeValue, encodeValue } from '../../state/value-codec.js';
import type { CheckpointMetadata } from './checkpoint-metadata.js';
import { decodeMetadata, encodeMetadata } from './stored-records.js';

/** The info section: what the savepoint is of, readable before any state. */
export interface SavepointInfo {
  readonly jobName: string;
  readonly checkpointId: number;
  /** The job graph's shape (operator uids, kinds, edges; not parallelism): informational. */
  readonly graphFingerprint: string;
  /** Per operator uid of the job that took it: its name and kind ('source', 'sink', 'window', …). */
  readonly operators: Record<string, { readonly name: string; readonly kind: string }>;
}

/** A savepoint read back and checked: its info, its metadata, and every chunk its metadata names. */
export interface DecodedSavepoint {
  readonly info: SavepointInfo;
  readonly metadata: CheckpointMetadata;
  /** By the key the metadata's handles name (the key in the storage it was taken from). */
  readonly chunks: ReadonlyMap<string, Uint8Array>;
}

/** The topology of a plan without parallelism, hashed: the same across a rescale. */
export function planFingerprint(plan: ExecutionPlan): string {
  const shape = plan.vertices.map((v) => `${v.operators.map((o) => `${o.uid}:${o.spec.kind}`).join('>')}<${v.inputs.map((i) => `${i.fromVertex}/${i.partitioner.kind}`).join(',')}`).join(';');
  return crc32(new TextEncoder().encode(shape)).toString(16).padStart(8, '0');
}

export function savepointInfoOf(plan: ExecutionPlan, checkpointId: number): SavepointInfo {
  const operators: Record<string, { name: string; kind: string }> = {};
  for (const v of plan.vertices) for (const o of v.operators) operators[o.uid] = { name: o.name, kind: o.spec.kind };
  return { jobName: plan.jobName, checkpointId, graphFingerprint: planFingerprint(plan), operators };
}

/** Packs a completed checkpoint: its metadata and the bytes of every chunk it names, as stored. */
export function encodeSavepoint(info: SavepointInfo, metadata: CheckpointMetadata, chunks: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const sections: SavepointSection[] = [
    { type: 'info', name: '', body: encodeValue(info) },
    { type: 'metadata', name: '', body: encodeMetadata(metadata).bytes },
  ];
  for (const [name, body] of chunks) sections.push({ type: 'chunk', name, body });
  return packSavepoint(sections);
}

/**
 * Reads an archive: the container (savepoint-archive.ts), then the info's fields, the metadata
 * as a stored checkpoint's (decodeMetadata), and every chunk against the size and checksum its
 * handle recorded; each handle must have its chunk and each chunk a handle. Throws CORRUPT_DATA
 * naming the section, STATE_MISMATCH for another format version.
 */
export function decodeSavepoint(bytes: Uint8Array): DecodedSavepoint {
  const sections = unpackSavepoint(bytes);
  const info = decodeInfo(sections[0]!.body);
  const metadataKey = storageLayout.checkpointMetadataKey(info.jobName, info.checkpointId);
  let metadata: CheckpointMetadata;
  try {
    metadata = decodeMetadata(sections[1]!.body, metadataKey);
  } catch (error) {
    throw inSection(1, sections[1]!, error);
  }
  if (metadata.jobName !== info.jobName) throw inSection(1, sections[1]!, new CorruptDataError(`names job '${metadata.jobName}', the info '${info.jobName}'`));
  const handles = new Map(Object.values(metadata.operators).flatMap((o) => o.handles.map((h) => [h.key, h] as const)));
  const chunks = new Map<string, Uint8Array>();
  sections.forEach((section, i) => {
    if (i < 2) return;
    const handle = handles.get(section.name);
    try {
      if (handle === undefined) throw new CorruptDataError('is not named by the checkpoint metadata');
      if (chunks.has(section.name)) throw new CorruptDataError('comes twice');
      const { body } = section;
      const checksum = body.length === handle.bytes ? chunkChecksum(body) : undefined;
      if (checksum !== handle.checksum) {
        throw new CorruptDataError(`does not match its handle (${body.length} bytes, checksum ${checksum ?? 'not read'}; recorded ${handle.bytes} bytes, checksum ${handle.checksum})`);
      }
      verifyChunk(body, handle.kind === 'keyed' ? 'keyed-state' : 'operator-state');
    } catch (error) {
      throw inSection(i, section, error);
    }
    chunks.set(section.name, section.body);
  });
  const missing = [...handles.keys()].filter((k) => !chunks.has(k));
  if (missing.length > 0) {
    throw new CorruptDataError(`savepoint archive: truncated or incomplete: ${missing.length} chunk(s) the metadata names are not in it, the first '${missing[0]}'`, { part: 'archive', section: 'chunks', missing: missing.length });
  }
  return { info, metadata, chunks };
}

function decodeInfo(body: Uint8Array): SavepointInfo {
  const where = describeSection(0, 'info');
  let value: unknown;
  try {
    value = decodeValue(body);
  } catch (error) {
    throw new CorruptDataError(`savepoint archive: ${where} cannot be decoded: ${error instanceof Error ? error.message : String(error)}`, { part: 'archive', section: 1 });
  }
  if (!isPlainRecord(value)) throw new CorruptDataError(`savepoint archive: ${where} is not a record`, { part: 'archive', section: 1 });
  const f = new StoredFields(value, where, 'savepoint archive');
  f.string('jobName');
  f.integer('checkpointId', 1);
  f.string('graphFingerprint');
  const operators = f.nested('operators');
  for (const uid of Object.keys(f.object('operators'))) {
    const op = operators.nested(uid);
    op.string('name');
    op.string('kind');
  }
  return value as unknown as SavepointInfo;
}

function inSection(index: number, section: SavepointSection, error: unknown): unknown {
  if (!(error instanceof WeirError) || error.code !== 'CORRUPT_DATA') return error;
  return new CorruptDataError(`savepoint archive: ${describeSection(index, section.type, section.name)} ${error.message}`, { ...error.details, part: 'archive', section: index + 1 });
}
