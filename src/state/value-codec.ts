import { CorruptDataError, InvalidArgumentError } from '../errors/index.js';

// The one value codec of every snapshot and every backend: a snapshot written in a browser
// restores in Node. Self-describing: each value starts with a tag byte; numbers are
// little-endian. Values: undefined, null, booleans, numbers (-0, NaN and ±Infinity kept),
// bigint, strings, dense arrays, plain objects (own enumerable string keys; a null
// prototype is not kept), Map, Set, Date, Uint8Array (a Node Buffer decodes as a plain
// Uint8Array) and ArrayBuffer. Identity is not kept: an object referenced twice is written
// twice, a cycle is refused. Strings keep lone surrogates (written as raw UTF-16 then), so
// every string round-trips exactly, as with structuredClone.

const T_UNDEFINED = 0x00, T_NULL = 0x01, T_FALSE = 0x02, T_TRUE = 0x03;
const T_INT8 = 0x04, T_INT16 = 0x05, T_INT32 = 0x06, T_FLOAT64 = 0x07;
const T_BIGINT64 = 0x08, T_BIGINT = 0x09; // BIGINT: sign byte, u32 length, big-endian magnitude
const T_STR8 = 0x0a, T_STR32 = 0x0b, T_STR16 = 0x0c; // STR16: u32 count of raw UTF-16 code units
const T_ARRAY = 0x0d, T_OBJECT = 0x0e, T_MAP = 0x0f, T_SET = 0x10;
const T_DATE = 0x11, T_BYTES = 0x12, T_ARRAY_BUFFER = 0x13;
const T_FIXARRAY = 0x20, T_FIXOBJECT = 0x30; // + count 0..15
const T_FIXSTR = 0x40; // + UTF-8 byte length 0..63
const T_FIXINT = 0x80; // + value 0..127

/** Deeper nesting is refused: encoder and decoder recurse, and a stack overflow would say nothing useful. */
export const MAX_VALUE_DEPTH = 1000;
const KEEP_SCRATCH_BYTES = 8 * 1024 * 1024;

const utf8Encoder = new TextEncoder();
// ignoreBOM: a string that starts with U+FEFF must keep it; fatal: invalid UTF-8 is corruption.
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

/** Thrown inside the encoder; collects the path on its way out, then becomes an InvalidArgumentError. */
class Unsupported {
  readonly segments: string[] = [];
  constructor(readonly what: string) {}
}

// ---- encoder: one growable scratch buffer, reused across calls ----

let buf: Uint8Array = new Uint8Array(64 * 1024);
let view: DataView = new DataView(buf.buffer);
let pos = 0;
let busy = false;
const ancestors: object[] = [];
let depth = 0;

/** Encodes a value into a fresh Uint8Array. Throws InvalidArgumentError('value', …) naming what is unsupported and where. */
export function encodeValue(value: unknown): Uint8Array {
  // Re-entered only from a getter that itself encodes: it gets a buffer of its own.
  const outer = busy ? { buf, view, pos, depth, ancestors: ancestors.splice(0) } : undefined;
  if (outer !== undefined) setBuffer(new Uint8Array(1024));
  busy = true;
  pos = 0;
  depth = 0;
  try {
    write(value);
    return buf.slice(0, pos);
  } catch (error) {
    throw toArgumentError(error);
  } finally {
    ancestors.length = 0;
    if (outer !== undefined) {
      ({ buf, view, pos, depth } = outer);
      ancestors.push(...outer.ancestors);
    } else {
      busy = false;
      if (buf.length > KEEP_SCRATCH_BYTES) setBuffer(new Uint8Array(64 * 1024));
    }
  }
}

function toArgumentError(error: unknown): unknown {
  if (!(error instanceof Unsupported)) return error;
  const path = 'value' + error.segments.reverse().join('');
  const result = new InvalidArgumentError('value', `${error.what} cannot be stored in state (at ${path})`);
  result.details.path = path;
  return result;
}

function setBuffer(next: Uint8Array): void {
  buf = next;
  view = new DataView(next.buffer);
}

function grow(needed: number): void {
  const next = new Uint8Array(Math.max(buf.length * 2, pos + needed));
  next.set(buf.subarray(0, pos));
  setBuffer(next);
}

function write(value: unknown): void {
  if (pos + 9 > buf.length) grow(9);
  switch (typeof value) {
    case 'number': return writeNumber(value);
    case 'string': return writeString(value);
    case 'boolean': buf[pos++] = value ? T_TRUE : T_FALSE; return;
    case 'undefined': buf[pos++] = T_UNDEFINED; return;
    case 'bigint': return writeBigInt(value);
    case 'object': return value === null ? void (buf[pos++] = T_NULL) : writeObject(value);
    case 'function': throw new Unsupported('a function');
    default: throw new Unsupported(`a ${typeof value}`);
  }
}

function writeNumber(v: number): void {
  if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
    if (v >= 0 && v < 128) buf[pos++] = T_FIXINT | v;
    else if (v >= -128 && v < 128) { buf[pos] = T_INT8; view.setInt8(pos + 1, v); pos += 2; }
    else if (v >= -32768 && v < 32768) { buf[pos] = T_INT16; view.setInt16(pos + 1, v, true); pos += 3; }
    else { buf[pos] = T_INT32; view.setInt32(pos + 1, v, true); pos += 5; }
  } else {
    buf[pos] = T_FLOAT64; view.setFloat64(pos + 1, v, true); pos += 9;
  }
}

function writeString(s: string): void {
  const length = s.length;
  if (length < 64) {
    // Fast path: short ASCII, one byte per char, no TextEncoder call.
    if (pos + 1 + length > buf.length) grow(1 + length);
    let p = pos + 1, i = 0;
    for (; i < length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p++] = c;
    }
    if (i === length) { buf[pos] = T_FIXSTR | length; pos = p; return; }
  }
  if (!isWellFormed(s)) return writeRawUtf16(s);
  const maxBytes = length * 3;
  const header = maxBytes < 64 ? 1 : maxBytes < 256 ? 2 : 5;
  if (pos + header + maxBytes > buf.length) grow(header + maxBytes);
  const written = utf8Encoder.encodeInto(s, buf.subarray(pos + header)).written;
  if (header === 1) buf[pos] = T_FIXSTR | written;
  else if (header === 2) { buf[pos] = T_STR8; buf[pos + 1] = written; }
  else { buf[pos] = T_STR32; view.setUint32(pos + 1, written, true); }
  pos += header + written;
}

function writeRawUtf16(s: string): void {
  if (pos + 5 + s.length * 2 > buf.length) grow(5 + s.length * 2);
  buf[pos] = T_STR16;
  view.setUint32(pos + 1, s.length, true);
  pos += 5;
  for (let i = 0; i < s.length; i++, pos += 2) view.setUint16(pos, s.charCodeAt(i), true);
}

function writeBigInt(v: bigint): void {
  if (v >= -0x8000000000000000n && v <= 0x7fffffffffffffffn) {
    buf[pos] = T_BIGINT64; view.setBigInt64(pos + 1, v, true); pos += 9; return;
  }
  let hex = (v < 0n ? -v : v).toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  const n = hex.length / 2;
  if (pos + 6 + n > buf.length) grow(6 + n);
  buf[pos] = T_BIGINT;
  buf[pos + 1] = v < 0n ? 1 : 0;
  view.setUint32(pos + 2, n, true);
  pos += 6;
  for (let i = 0; i < n; i++) buf[pos++] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}

function writeHeader(fixTag: number, tag: number, count: number): void {
  if (count < 16 && fixTag !== 0) { buf[pos++] = fixTag | count; return; }
  buf[pos] = tag;
  view.setUint32(pos + 1, count, true);
  pos += 5;
}

function writeBytes(tag: number, bytes: Uint8Array): void {
  if (pos + 5 + bytes.length > buf.length) grow(5 + bytes.length);
  writeHeader(0, tag, bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}

function writeObject(value: object): void {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Date.prototype) { buf[pos] = T_DATE; view.setFloat64(pos + 1, (value as Date).getTime(), true); pos += 9; return; }
  if (value instanceof Uint8Array) return writeBytes(T_BYTES, value);
  if (proto === ArrayBuffer.prototype) return writeBytes(T_ARRAY_BUFFER, new Uint8Array(value as ArrayBuffer));
  const isArray = Array.isArray(value);
  if (!isArray && proto !== Object.prototype && proto !== null && proto !== Map.prototype && proto !== Set.prototype) {
    const ctor = (proto as { constructor?: { name?: unknown; prototype?: unknown } }).constructor;
    const name = ctor !== undefined && ctor.prototype === proto ? ctor.name : undefined;
    throw new Unsupported(typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object with a custom prototype');
  }
  for (let i = 0; i < depth; i++) if (ancestors[i] === value) throw new Unsupported('a cycle (an object that contains itself)');
  if (depth === MAX_VALUE_DEPTH) throw new Unsupported(`nesting deeper than ${MAX_VALUE_DEPTH} levels`);
  ancestors[depth++] = value;
  if (isArray) writeArray(value as unknown[]);
  else if (proto === Map.prototype) writeMap(value as Map<unknown, unknown>);
  else if (proto === Set.prototype) writeSet(value as Set<unknown>);
  else writePlainObject(value as Record<string, unknown>);
  depth--;
}

function writeArray(array: unknown[]): void {
  const n = array.length;
  writeHeader(T_FIXARRAY, T_ARRAY, n);
  let i = 0;
  try {
    for (; i < n; i++) {
      const item = array[i];
      if (item === undefined && !(i in array)) throw new Unsupported('a hole in a sparse array');
      write(item);
    }
  } catch (error) {
    throw withSegment(error, `[${i}]`);
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

function writePlainObject(object: Record<string, unknown>): void {
  // for-in walks V8's enum cache without allocating a key array; the count is patched in after.
  const start = pos++;
  let count = 0, key = '';
  try {
    for (key in object) {
      if (!hasOwn.call(object, key)) continue;
      writeString(key);
      write(object[key]);
      count++;
    }
  } catch (error) {
    throw withSegment(error, /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
  }
  if (count < 16) { buf[start] = T_FIXOBJECT | count; return; }
  if (pos + 4 > buf.length) grow(4);
  buf.copyWithin(start + 5, start + 1, pos);
  buf[start] = T_OBJECT;
  view.setUint32(start + 1, count, true);
  pos += 4;
}

function writeMap(map: Map<unknown, unknown>): void {
  writeHeader(0, T_MAP, map.size);
  let i = 0, inKey = true, key: unknown;
  try {
    for (const [k, v] of map) {
      key = k; inKey = true; write(k);
      inKey = false; write(v); i++;
    }
  } catch (error) {
    const shown = typeof key === 'string' ? JSON.stringify(key) : typeof key === 'number' ? String(key) : `<key #${i}>`;
    throw withSegment(error, inKey ? `<map key #${i}>` : `.get(${shown})`);
  }
}

function writeSet(set: Set<unknown>): void {
  writeHeader(0, T_SET, set.size);
  let i = 0;
  try {
    for (const item of set) { write(item); i++; }
  } catch (error) {
    throw withSegment(error, `<set entry #${i}>`);
  }
}

function withSegment(error: unknown, segment: string): unknown {
  if (error instanceof Unsupported) error.segments.push(segment);
  return error;
}

// ---- decoder ----

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
