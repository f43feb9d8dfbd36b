// Storage keys as bytes whose byte order is the keys' UTF-16 code unit order (what the
// CheckpointStorage contract asks listings to follow), for stores that sort keys as bytes:
// SQLite BLOBs (Durable Objects) and Uint8Array key parts (Deno KV). Each UTF-16 code unit is
// written as UTF-8 writes a code point of that value (1–3 bytes; surrogates too, as CESU-8
// does), so lone surrogates survive and the bytes stay short; a UTF-8 string would sort by code
// point and lose lone surrogates. The encoding is prefix-free: a key starts with a prefix
// exactly when its bytes start with the prefix's bytes. Keys hold no NUL, so no byte is 0x00
// (Deno KV escapes those), and no byte is above 0xEF.
import { CorruptDataError } from '../../errors/index.js';

export function keyToBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length * 3);
  let n = 0;
  for (let i = 0; i < key.length; i++) {
    const u = key.charCodeAt(i);
    if (u < 0x80) out[n++] = u;
    else if (u < 0x800) {
      out[n++] = 0xc0 | (u >> 6);
      out[n++] = 0x80 | (u & 0x3f);
    } else {
      out[n++] = 0xe0 | (u >> 12);
      out[n++] = 0x80 | ((u >> 6) & 0x3f);
      out[n++] = 0x80 | (u & 0x3f);
    }
  }
  return out.slice(0, n);
}

export function keyFromBytes(bytes: Uint8Array): string {
  const units: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x80) {
      units.push(b);
      i += 1;
    } else if (b >= 0xc0 && b < 0xe0 && i + 1 < bytes.length) {
      units.push(((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f));
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0 && i + 2 < bytes.length) {
      units.push(((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f));
      i += 3;
    } else {
      throw new CorruptDataError(`a stored key is not in Weir's key encoding (byte ${i} is ${b})`, { offset: i });
    }
  }
  let key = '';
  for (let i = 0; i < units.length; i += 4096) key += String.fromCharCode(...units.slice(i, i + 4096));
  return key;
}

/**
 * The byte range of every key starting with `prefix`: [start, end), end undefined for the
 * empty prefix (no bound). No byte of an encoded key is 0xFF, so raising the last byte by one
 * bounds exactly the keys that start with the prefix.
 */
export function prefixRange(prefix: string): { start: Uint8Array; end: Uint8Array | undefined } {
  const start = keyToBytes(prefix);
  if (start.length === 0) return { start, end: undefined };
  const end = start.slice();
  end[end.length - 1] += 1;
  return { start, end };
}
