// A value IndexedDB clones at put() must span its whole buffer: the clone takes the whole
// ArrayBuffer under a view (a chunk built in a pooled buffer is a view of a larger one). Copying
// it into a fresh buffer of its size is what costs, not the copy: on the project's VMs a fresh
// multi-MB buffer costs ~6 ms per MB in page faults, a copy into memory already touched ~0.1 ms.
// So a view is copied into one staging buffer, resizable, resized to the value's size (only the
// pages it grows by are new) and reused for the next value once put() has cloned it.

type Resizable = ArrayBuffer & { readonly resizable?: boolean; readonly maxByteLength?: number; resize?(bytes: number): void };

const RESIZABLE = typeof (ArrayBuffer.prototype as Resizable).resize === 'function';
/** The smallest reservation, and the largest value staged (a larger one is copied into a buffer of its own). */
const MIN_RESERVED = 1024 * 1024;
const MAX_STAGED = 64 * 1024 * 1024;
/** What the staging buffer may hold between values (the last value's size otherwise stays committed). */
const MAX_IDLE = 8 * 1024 * 1024;

let staging: Resizable | undefined;
let inUse = false;

/** Whether `bytes` spans its whole, unshared buffer: a clone of it is exactly its bytes. */
export function isWholeBuffer(bytes: Uint8Array): boolean {
  const buffer = bytes.buffer;
  return bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer && Object.getPrototypeOf(bytes) === Uint8Array.prototype;
}

/**
 * Calls `put` with `bytes` as a Uint8Array spanning its whole buffer: `bytes` itself if it does,
 * else a copy (in the staging buffer where the runtime has resizable ArrayBuffers). Must be given
 * a `put` that clones synchronously (IndexedDB's put() does): the staged copy is reused after it
 * returns. Returns what `put` returns.
 */
export function withWholeBuffer<T>(bytes: Uint8Array, put: (whole: Uint8Array) => T): T {
  if (isWholeBuffer(bytes)) return put(bytes);
  const length = bytes.byteLength;
  if (!RESIZABLE || inUse || length > MAX_STAGED) return put(bytes.slice());
  if (staging === undefined || staging.maxByteLength! < length) {
    let reserved = MIN_RESERVED;
    while (reserved < length) reserved *= 2;
    staging = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => Resizable)(0, { maxByteLength: reserved });
  }
  const buffer = staging;
  buffer.resize!(length);
  const whole = new Uint8Array(buffer, 0, length);
  whole.set(bytes);
  inUse = true;
  try {
    return put(whole);
  } finally {
    inUse = false;
    if (length > MAX_IDLE) buffer.resize!(0);
  }
}
