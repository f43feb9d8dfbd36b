// A value a backend clones or serialises whole (IndexedDB's put(), Deno KV's V8 serialisation) must
// span its whole buffer: the clone takes the whole ArrayBuffer under a view (a chunk built in a
// pooled buffer is a view of a larger one). IndexedDB chunks are stored as Blobs, which copy only
// the view's bytes (indexeddb-chunk-value.ts); metadata and Deno KV's inline heads ask this first.

/** Whether `bytes` spans its whole, unshared buffer: a clone of it is exactly its bytes. */
export function isWholeBuffer(bytes: Uint8Array): boolean {
  const buffer = bytes.buffer;
  return bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer && Object.getPrototypeOf(bytes) === Uint8Array.prototype;
}
