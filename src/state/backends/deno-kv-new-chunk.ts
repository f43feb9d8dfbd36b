// A chunk's first commit in Deno KV, handed to KV in the caller's own turn.
import { isWholeBuffer } from './exact-bytes.js';
import { KV_LIMITS, splitParts, type DenoKvLike, type KvKey } from './deno-kv-values.js';

/**
 * Sets the head of a chunk whose key is most likely new (a checkpoint's chunk keys are unique),
 * with its parts, in one atomic operation that checks the head is absent (versionstamp null): no
 * read before the write. `commit()` is called before this returns, so KV has the write while the
 * caller goes on encoding the next chunk (KV copies the bytes in that call), not only after the
 * caller's turn ends and the microtasks of an async path run. Undefined for a chunk of more than
 * 12 parts (its parts are staged first); else true when it landed, false when the head existed
 * (nothing written: the caller reads and tries again).
 * Must not throw, nor leave a rejection unhandled: the caller awaits it after the sweep (which
 * takes turns), and lets its guard judge the error.
 */
export function commitNewChunk(kv: DenoKvLike, head: KvKey, part: (version: string, i: number) => KvKey, bytes: Uint8Array): Promise<boolean> | undefined {
  let sent: Promise<boolean> | undefined;
  try {
    sent = send(kv, head, part, bytes);
  } catch (error) {
    sent = Promise.reject(error);
  }
  sent?.catch(() => undefined);
  return sent;
}

function send(kv: DenoKvLike, head: KvKey, part: (version: string, i: number) => KvKey, bytes: Uint8Array): Promise<boolean> | undefined {
  const parts = bytes.byteLength <= KV_LIMITS.inlineBytes ? undefined : splitParts(bytes);
  if (parts !== undefined && parts.length > KV_LIMITS.partsPerAtomic) return undefined;
  const atomic = kv.atomic().check({ key: head, versionstamp: null });
  if (parts === undefined) {
    // A head is an object, which KV clones whole: a view inside it would take its entire buffer along.
    atomic.set(head, { b: isWholeBuffer(bytes) ? bytes : bytes.slice() });
  } else {
    const version = crypto.randomUUID();
    parts.forEach((p, i) => atomic.set(part(version, i), p));
    atomic.set(head, { v: version, n: parts.length, s: bytes.byteLength });
  }
  return atomic.commit().then((result) => result.ok);
}
