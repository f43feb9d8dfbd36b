import { CorruptDataError } from '../errors/index.js';
import { MAX_VALUE_DEPTH, T_ARRAY, T_ARRAY_BUFFER, T_BIGINT, T_BIGINT64, T_BYTES, T_DATE, T_FALSE, T_FIXARRAY, T_FIXINT, T_FIXOBJECT, T_FIXSTR, T_FLOAT64, T_INT16, T_INT32, T_INT8, T_MAP, T_NULL, T_OBJECT, T_SET, T_STR16, T_STR32, T_STR8, T_TRUE, T_UNDEFINED } from './value-tags.js';

// Decodes what value-encoder.ts wrote; any byte it did not write is corruption.

// ignoreBOM: a string that starts with U+FEFF must keep it; fatal: invalid UTF-8 is corruption.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });

let input: Uint8Array = new Uint8Array(0);
let inputView: DataView = new DataView(input.buffer);
let at = 0;

/** Decodes what encodeValue wrote. Throws CorruptDataError on bytes it did not write (bad tag, truncation, trailing bytes). */
export function decodeValue(bytes: Uint8Array): unknown {
  input = bytes;
  inputView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  at = 0;
  try {
    const value = read(0);
    if (at !== bytes.length) corrupt(`${bytes.length - at} unexpected bytes after the value`);
    return value;
  } catch (error) {
    if (error instanceof CorruptDataError) throw error;
    throw new CorruptDataError(`value bytes cannot be decoded: ${String(error)}`, { offset: at, cause: error });
  } finally {
    input = new Uint8Array(0);
    inputView = new DataView(input.buffer);
  }
}

function corrupt(message: string): never {
  throw new CorruptDataError(`value bytes cannot be decoded: ${message}`, { offset: at });
}

function need(n: number): void {
  if (at + n > input.length) corrupt(`truncated (needs ${n} bytes at offset ${at}, has ${input.length - at})`);
}

function readCount(unitBytes: number): number {
  need(4);
  const n = inputView.getUint32(at, true);
  at += 4;
  if (n * unitBytes > input.length - at) corrupt(`count ${n} at offset ${at - 4} exceeds the remaining bytes`);
  return n;
}

function read(level: number): unknown {
  need(1);
  const tag = input[at++];
  if (tag >= T_FIXINT) return tag - T_FIXINT;
  if (tag >= T_FIXSTR) return readString(tag - T_FIXSTR);
  if (level === MAX_VALUE_DEPTH && (tag >= T_ARRAY && tag <= T_SET || tag >= T_FIXARRAY)) corrupt('nesting too deep');
  if (tag >= T_FIXOBJECT) return readObject(tag - T_FIXOBJECT, level);
  if (tag >= T_FIXARRAY) return readArray(tag - T_FIXARRAY, level);
  let v: unknown;
  switch (tag) {
    case T_UNDEFINED: return undefined;
    case T_NULL: return null;
    case T_FALSE: return false;
    case T_TRUE: return true;
    case T_INT8: need(1); v = inputView.getInt8(at); at += 1; return v;
    case T_INT16: need(2); v = inputView.getInt16(at, true); at += 2; return v;
    case T_INT32: need(4); v = inputView.getInt32(at, true); at += 4; return v;
    case T_FLOAT64: need(8); v = inputView.getFloat64(at, true); at += 8; return v;
    case T_BIGINT64: need(8); v = inputView.getBigInt64(at, true); at += 8; return v;
    case T_BIGINT: return readBigInt();
    case T_STR8: need(1); return readString(input[at++]);
    case T_STR32: return readString(readCount(1));
    case T_STR16: return readRawUtf16(readCount(2));
    case T_ARRAY: return readArray(readCount(1), level);
    case T_OBJECT: return readObject(readCount(2), level);
    case T_MAP: return readMap(readCount(2), level);
    case T_SET: return readSet(readCount(1), level);
    case T_DATE: need(8); v = new Date(inputView.getFloat64(at, true)); at += 8; return v;
    case T_BYTES: { const n = readCount(1); at += n; return copyOf(at - n, at); }
    case T_ARRAY_BUFFER: { const n = readCount(1); at += n; return copyOf(at - n, at).buffer; }
    default: return corrupt(`unknown tag 0x${tag.toString(16)} at offset ${at - 1}`);
  }
}

// A copy the caller owns: `input` may be a Node Buffer, whose slice() would share memory.
function copyOf(start: number, end: number): Uint8Array {
  return new Uint8Array(input.subarray(start, end));
}

function readString(n: number): string {
  need(n);
  if (n < 16) {
    // Fast path: short ASCII without a TextDecoder call or intermediate strings.
    let bits = 0;
    for (let i = at; i < at + n; i++) bits |= input[i];
    if (bits < 0x80) {
      const s = n <= 8 ? ascii(at, n) : ascii(at, 8) + ascii(at + 8, n - 8);
      at += n;
      return s;
    }
  }
  else if (n <= 4096) {
    // Mid-length ASCII: one fromCharCode call; a TextDecoder call costs ~1-2 µs in Chromium.
    let bits = 0;
    for (let i = at; i < at + n; i++) bits |= input[i];
    if (bits < 0x80) {
      const s = fromCodes.apply(null, input.subarray(at, at + n) as unknown as number[]);
      at += n;
      return s;
    }
  }
  at += n;
  return utf8Decoder.decode(input.subarray(at - n, at));
}

const fromCodes = String.fromCharCode;

function ascii(p: number, n: number): string {
  const b = input;
  switch (n) {
    case 0: return '';
    case 1: return fromCodes(b[p]);
    case 2: return fromCodes(b[p], b[p + 1]);
    case 3: return fromCodes(b[p], b[p + 1], b[p + 2]);
    case 4: return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3]);
    case 5: return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4]);
    case 6: return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5]);
    case 7: return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6]);
    default: return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
  }
}

function readRawUtf16(n: number): string {
  let s = '';
  for (let done = 0; done < n; done += 4096) {
    const units = new Array<number>(Math.min(4096, n - done));
    for (let i = 0; i < units.length; i++, at += 2) units[i] = inputView.getUint16(at, true);
    s += fromCodes(...units);
  }
  return s;
}

function readBigInt(): bigint {
  need(1);
  const sign = input[at++];
  if (sign > 1) corrupt(`bigint sign byte ${sign} at offset ${at - 1}`);
  const n = readCount(1);
  let hex = '0x0';
  for (let i = 0; i < n; i++) hex += input[at++].toString(16).padStart(2, '0');
  const magnitude = BigInt(hex);
  return sign === 1 ? -magnitude : magnitude;
}

function readArray(n: number, level: number): unknown[] {
  const array: unknown[] = [];
  for (let i = 0; i < n; i++) array.push(read(level + 1));
  return array;
}

function readMap(n: number, level: number): Map<unknown, unknown> {
  const map = new Map<unknown, unknown>();
  for (let i = 0; i < n; i++) map.set(read(level + 1), read(level + 1));
  return map;
}

function readSet(n: number, level: number): Set<unknown> {
  const set = new Set<unknown>();
  for (let i = 0; i < n; i++) set.add(read(level + 1));
  return set;
}

function readObject(n: number, level: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const key = read(level + 1);
    if (typeof key !== 'string') corrupt(`object key at offset ${at} is not a string`);
    const value = read(level + 1);
    if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
    else object[key] = value;
  }
  return object;
}
