import { CorruptDataError, InvalidArgumentError } from '../errors/index.js';
import { crc32 } from './checksum.js';
import { decodeValue, encodeValue, type AppendTarget } from './value-codec.js';

// The framing of every chunk and metadata record in CheckpointStorage, little-endian:
//
//   offset 0  "WEIR"            magic
//          4  u8                SNAPSHOT_FORMAT_VERSION
//          5  u8                kind (CHUNK_KINDS index + 1)
//          6  u32               payload length in bytes
//         10  u32               crc32 of the payload
//         14  payload           encodeValue(payload)
//
// The checksum covers the payload only; a damaged header is caught by the magic, version,
// kind and length checks (and the length check by the checksum, as the payload then shifts).

/** The version this build writes, and the only one it reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;

export const CHUNK_KINDS = [
  'operator-state',
  'keyed-state',
  'sink-transaction',
  'checkpoint-metadata',
  'table-commit',
  'log-meta',
  'log-head',
  'log-batch',
  'log-reader',
  'attempt',
  'table-snapshot',
  'table-segment',
  'channel-state',
  'log-floor',
] as const;

export type ChunkKind = (typeof CHUNK_KINDS)[number];

export const CHUNK_HEADER_BYTES = 14;
const MAGIC = [0x57, 0x45, 0x49, 0x52]; // "WEIR"

export interface DecodedChunk {
  kind: ChunkKind;
  payload: unknown;
}

/** Frames `payload` as a chunk. Throws InvalidArgumentError (from the codec) if the payload holds something unstorable. */
export function encodeChunk(kind: ChunkKind, payload: unknown): Uint8Array {
  return frameChunk(kind, encodeValue(payload));
}

/**
 * Frames a payload already encoded (encodeValue, or streamed with encodeWith), given whole or in
 * pieces that make it up in order: pieces are copied once, into the chunk.
 */
export function frameChunk(kind: ChunkKind, body: Uint8Array | readonly Uint8Array[]): Uint8Array {
  const kindByte = kindByteOf(kind);
  const pieces = body instanceof Uint8Array ? [body] : body;
  let length = 0;
  for (const p of pieces) length += p.length;
  const bytes = new Uint8Array(CHUNK_HEADER_BYTES + length);
  let at = CHUNK_HEADER_BYTES;
  for (const p of pieces) {
    bytes.set(p, at);
    at += p.length;
  }
  writeHeader(bytes, kindByte);
  return bytes;
}

/**
 * A chunk built in place, with no copy of its payload: the header's bytes are kept free at the
 * start of `bytes`, the payload is appended after them (appendWith), then sealChunk frames it.
 */
export function openChunk(bytes: Uint8Array): AppendTarget {
  if (bytes.length < CHUNK_HEADER_BYTES) bytes = new Uint8Array(CHUNK_HEADER_BYTES);
  return { bytes, length: CHUNK_HEADER_BYTES };
}

/** Writes the header of a chunk built with openChunk; returns the chunk, a view of target.bytes (the same bytes frameChunk would give). */
export function sealChunk(kind: ChunkKind, target: AppendTarget): Uint8Array {
  const bytes = target.bytes.subarray(0, target.length);
  writeHeader(bytes, kindByteOf(kind));
  return bytes;
}

function kindByteOf(kind: ChunkKind): number {
  const kindByte = CHUNK_KINDS.indexOf(kind) + 1;
  if (kindByte === 0) throw new InvalidArgumentError('kind', `expected one of ${CHUNK_KINDS.join(', ')}, got ${String(kind)}`);
  return kindByte;
}

/** The header of `bytes`, whose payload follows it. */
function writeHeader(bytes: Uint8Array, kindByte: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  bytes.set(MAGIC, 0);
  bytes[4] = SNAPSHOT_FORMAT_VERSION;
  bytes[5] = kindByte;
  view.setUint32(6, bytes.length - CHUNK_HEADER_BYTES, true);
  view.setUint32(10, crc32(bytes.subarray(CHUNK_HEADER_BYTES)), true);
}

/**
 * Checks and decodes a chunk. Throws CorruptDataError, with `details`, on a wrong magic,
 * an unknown version, an unknown or unexpected kind, a truncated or overlong chunk, a
 * checksum mismatch, or a payload the codec cannot decode.
 */
export function decodeChunk(bytes: Uint8Array, expectedKind?: ChunkKind): DecodedChunk {
  const { kind, body } = verifyChunk(bytes, expectedKind);
  return { kind, payload: decodePayload(kind, body) };
}

/**
 * Checks a chunk (magic, version, kind, length, checksum) and returns its payload bytes,
 * undecoded: a caller may decode them later (decodePayload). Throws as decodeChunk does.
 */
export function verifyChunk(bytes: Uint8Array, expectedKind?: ChunkKind): { kind: ChunkKind; body: Uint8Array } {
  const header = readHeader(bytes);
  if (expectedKind !== undefined && header.kind !== expectedKind) {
    throw new CorruptDataError(`expected a ${expectedKind} chunk, found a ${header.kind} chunk`, {
      expectedKind,
      foundKind: header.kind,
    });
  }
  const body = bytes.subarray(CHUNK_HEADER_BYTES);
  const actual = crc32(body);
  if (actual !== header.checksum) {
    throw new CorruptDataError(
      `${header.kind} chunk fails its checksum (stored 0x${hex(header.checksum, 8)}, computed 0x${hex(actual, 8)})`,
      { kind: header.kind, storedChecksum: header.checksum, computedChecksum: actual },
    );
  }
  return { kind: header.kind, body };
}

/** Decodes the payload bytes verifyChunk returned. Throws CorruptDataError if they do not decode. */
export function decodePayload(kind: ChunkKind, body: Uint8Array): unknown {
  try {
    return decodeValue(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CorruptDataError(`${kind} chunk passes its checksum but cannot be decoded: ${reason}`, { kind, cause: error });
  }
}

/** The payload checksum a chunk carries, for handles to record. Checks the header, not the payload. */
export function chunkChecksum(bytes: Uint8Array): number {
  return readHeader(bytes).checksum;
}

function readHeader(bytes: Uint8Array): { kind: ChunkKind; checksum: number } {
  if (bytes.length < CHUNK_HEADER_BYTES) {
    throw new CorruptDataError(`chunk is truncated: ${bytes.length} bytes, shorter than its ${CHUNK_HEADER_BYTES}-byte header`, {
      length: bytes.length,
    });
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new CorruptDataError('not a Weir chunk: the first bytes are not "WEIR"', {
        foundMagic: Array.from(bytes.subarray(0, 4), (b) => hex(b, 2)).join(''),
      });
    }
  }
  const version = bytes[4];
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new CorruptDataError(
      `chunk has snapshot format version ${version}; this build of Weir reads version ${SNAPSHOT_FORMAT_VERSION} only`,
      { foundVersion: version, supportedVersion: SNAPSHOT_FORMAT_VERSION },
    );
  }
  const kind = CHUNK_KINDS[bytes[5] - 1];
  if (kind === undefined) {
    throw new CorruptDataError(`chunk has an unknown kind byte ${bytes[5]}`, { kindByte: bytes[5] });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(6, true);
  const actualLength = bytes.length - CHUNK_HEADER_BYTES;
  if (length !== actualLength) {
    const what = actualLength < length ? 'truncated' : 'longer than its header says';
    throw new CorruptDataError(`${kind} chunk is ${what}: header says ${length} payload bytes, found ${actualLength}`, {
      kind,
      expectedLength: length,
      actualLength,
    });
  }
  return { kind, checksum: view.getUint32(10, true) };
}

function hex(n: number, digits: number): string {
  return n.toString(16).padStart(digits, '0');
}
