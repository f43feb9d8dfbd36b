// The buffers keyed snapshots build their chunks in (chunk-format.ts: openChunk). A chunk is
// lent to its storage write and its buffer taken back when the write settles (a backend copies
// what it keeps: the storage contract), so a checkpoint of many spans fills the same few
// buffers again instead of fresh pages for every span, and leaves the collector little to do.

/**
 * Buffers kept for the next chunks, the largest kept, and all kept together: enough for the
 * chunks lent at once (a chunk batch holds those a task slice built until its transaction takes
 * them: 2–3 of ~600 kB in the checkpoint bench), little held while idle.
 */
const MAX_KEPT = 4;
const MAX_KEPT_BYTES = 4 * 1024 * 1024;
const MAX_KEPT_TOTAL = 8 * 1024 * 1024;
const FIRST_BYTES = 64 * 1024;

const kept: Uint8Array[] = [];

/**
 * A buffer to build a chunk of about `bytes` in (it grows as needed, at the price of a copy): one
 * given back, or a new one with a margin, since chunks of neighbouring spans differ a little.
 */
export function takeChunkBuffer(bytes = 0): Uint8Array {
  const wanted = bytes + (bytes >>> 3) + FIRST_BYTES;
  for (let i = kept.length - 1; i >= 0; i--) if (kept[i]!.length >= wanted) return kept.splice(i, 1)[0]!;
  return new Uint8Array(wanted);
}

/** Must be called only once nothing reads `buffer` any more (its write settled). */
export function giveBackChunkBuffer(buffer: Uint8Array): void {
  if (buffer.length > MAX_KEPT_BYTES || kept.includes(buffer)) return;
  kept.push(buffer);
  // Over either limit: the smallest go first (a larger buffer serves any chunk a smaller one would).
  let total = kept.reduce((n, b) => n + b.length, 0);
  while (kept.length > MAX_KEPT || total > MAX_KEPT_TOTAL) {
    const smallest = kept.reduce((s, b, i) => (b.length < kept[s]!.length ? i : s), 0);
    total -= kept.splice(smallest, 1)[0]!.length;
  }
}
