// How IndexedDB storage keeps a chunk: as a Blob of its bytes. The Blob constructor copies exactly
// the bytes of the view it is given, once, on the calling thread, and the browser takes them to
// its storage process asynchronously; put() then clones only the Blob's handle. A Uint8Array value
// costs the calling thread more: put() serialises it (the whole ArrayBuffer under the view, so a
// pooled view needed a copy of its own first), and Chromium wraps a serialised value over 64 kB
// into a blob again. Measured in a Chromium worker (docs/decisions.md, "Chunks are stored as Blobs").
//
// Stored form: a chunk value is a Blob (this build), a Uint8Array (the builds before it; read as
// they are, so their checkpoints restore) or an ArrayBuffer (a foreign writer). Anything else is
// refused as corrupt data, as a Blob the browser can no longer read (its file gone or damaged).
// The checkpoint layer checks each chunk's checksum after the read, whatever its stored form.
import { CorruptDataError, type WeirError } from '../../errors/index.js';

export type ChunkValue = Blob | Uint8Array;

const HAS_BLOB = typeof Blob === 'function';

/** What put() stores for `bytes`: a Blob of exactly its bytes (copied now; `bytes` is free on return). */
export function chunkValue(bytes: Uint8Array): ChunkValue {
  if (HAS_BLOB) return new Blob([bytes as Uint8Array<ArrayBuffer>]);
  return bytes.slice(); // no Blob in this runtime: a copy of exactly its bytes, as the builds before
}

/** The size in bytes of a value chunkValue() made. */
export function chunkValueSize(value: ChunkValue): number {
  return value instanceof Uint8Array ? value.byteLength : value.size;
}

/**
 * The bytes of a stored chunk value, or undefined for none. Must reject with a CorruptDataError
 * for a value that holds no bytes this storage wrote, and for a Blob whose bytes cannot be read
 * back: a committed chunk whose file is gone or damaged is damaged data, not a passing failure.
 */
export async function chunkBytes(value: unknown, key: string): Promise<Uint8Array | undefined> {
  if (value === undefined) return undefined;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (HAS_BLOB && value instanceof Blob) {
    let buffer: ArrayBuffer;
    try {
      buffer = await value.arrayBuffer();
    } catch (error) {
      throw unreadable(key, error);
    }
    if (buffer.byteLength !== value.size) throw unreadable(key, new Error(`read ${buffer.byteLength} of its ${value.size} bytes`));
    return new Uint8Array(buffer);
  }
  throw new CorruptDataError(`indexeddb storage: the value under '${key}' is not bytes`, { key });
}

function unreadable(key: string, cause: unknown): WeirError {
  const reason = (cause as { name?: unknown })?.name;
  const error = new CorruptDataError(`indexeddb storage: the stored bytes of chunk '${key}' cannot be read back (${cause instanceof Error ? cause.message : String(cause)})`, { key, ...(typeof reason === 'string' ? { reason } : {}) });
  (error as { cause?: unknown }).cause = cause;
  return error;
}
