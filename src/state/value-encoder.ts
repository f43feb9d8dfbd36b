import { InvalidArgumentError } from '../errors/index.js';
import { MAX_VALUE_DEPTH, T_ARRAY, T_ARRAY_BUFFER, T_BIGINT, T_BIGINT64, T_BYTES, T_DATE, T_FALSE, T_FIXARRAY, T_FIXINT, T_FIXOBJECT, T_FIXSTR, T_FLOAT64, T_INT16, T_INT32, T_INT8, T_MAP, T_NULL, T_OBJECT, T_SET, T_STR16, T_STR32, T_STR8, T_TRUE, T_UNDEFINED } from './value-tags.js';

// Encodes values in the format of value-tags.ts into one growable scratch buffer, reused across calls.

const KEEP_SCRATCH_BYTES = 8 * 1024 * 1024;

const utf8Encoder = new TextEncoder();
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
  return encode(value, undefined);
}

function encode(value: unknown, fill: ((w: ValueWriter) => void) | undefined): Uint8Array {
  // Re-entered only from a getter that itself encodes: it gets a buffer of its own.
  const outer = busy ? { buf, view, pos, depth, ancestors: ancestors.splice(0) } : undefined;
  if (outer !== undefined) setBuffer(new Uint8Array(1024));
  busy = true;
  pos = 0;
  depth = 0;
  try {
    if (fill === undefined) write(value);
    else fill(writer);
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

/**
 * Writes one value piece by piece, for callers that stream plain data out of structures of their
 * own (keyed state: its entries wrap the values) instead of building the value first. What it
 * writes decodes with decodeValue as if encodeValue had written the assembled value.
 */
export interface ValueWriter {
  /** Writes one value, as encodeValue would. */
  value(v: unknown): void;
  /** Start a Map, array or object whose count is given later, to `close(at, count)`; return where. */
  openMap(): number;
  openArray(): number;
  openObject(): number;
  close(at: number, count: number): void;
  /** The length written so far; `rewind` drops everything written after an earlier position. */
  readonly position: number;
  rewind(to: number): void;
}

function open(tag: number): number {
  if (pos + 5 > buf.length) grow(5);
  const at = pos;
  buf[pos] = tag;
  pos += 5;
  return at;
}

const writer: ValueWriter = {
  value: (v) => write(v),
  openMap: () => open(T_MAP),
  openArray: () => open(T_ARRAY),
  openObject: () => open(T_OBJECT),
  close: (at, count) => view.setUint32(at + 1, count, true),
  get position() {
    return pos;
  },
  rewind: (to) => {
    pos = to;
  },
};

/** Encodes what `fill` writes into a fresh Uint8Array. Throws as encodeValue does (the path is relative to the value being written). */
export function encodeWith(fill: (w: ValueWriter) => void): Uint8Array {
  return encode(undefined, fill);
}

/** A growable buffer of a caller's: `bytes.subarray(0, length)` is what was appended; `bytes` may be replaced as it grows. */
export interface AppendTarget {
  bytes: Uint8Array;
  length: number;
}

/**
 * Appends what `fill` writes to `target` (its positions are offsets in target.bytes), so that a
 * caller builds one buffer from many calls with no copy per call. Throws as encodeWith does;
 * a call that throws appends nothing.
 */
export function appendWith(target: AppendTarget, fill: (w: ValueWriter) => void): void {
  const saved = { buf, view, pos, depth, busy, ancestors: ancestors.splice(0) };
  setBuffer(target.bytes);
  busy = true;
  pos = target.length;
  depth = 0;
  try {
    fill(writer);
    target.length = pos;
  } catch (error) {
    throw toArgumentError(error);
  } finally {
    target.bytes = buf; // grown or not, it holds what was appended before
    ancestors.length = 0;
    ({ buf, view, pos, depth, busy } = saved);
    ancestors.push(...saved.ancestors);
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

/** From this length on a string's header is 5 bytes whatever its encoding, and TextEncoder writes it (see writeLongString). */
const LONG_STRING = 256;

function writeString(s: string): void {
  const length = s.length;
  if (length >= LONG_STRING) return writeLongString(s);
  // Fast path: ASCII, one byte per char. A TextEncoder call costs ~1-2 µs in Chromium (0.1 µs in
  // Node), which made encoding state of many mid-length strings several times slower there.
  const header = length < 64 ? 1 : length < 256 ? 2 : 5;
  if (pos + header + length > buf.length) grow(header + length);
  let p = pos + header, i = 0;
  for (; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    buf[p++] = c;
  }
  if (i === length) {
    if (header === 1) buf[pos] = T_FIXSTR | length;
    else if (header === 2) { buf[pos] = T_STR8; buf[pos + 1] = length; }
    else { buf[pos] = T_STR32; view.setUint32(pos + 1, length, true); }
    pos = p;
    return;
  }
  if (!isWellFormed(s)) return writeRawUtf16(s);
  const maxBytes = length * 3;
  const utf8Header = maxBytes < 64 ? 1 : maxBytes < 256 ? 2 : 5;
  if (pos + utf8Header + maxBytes > buf.length) grow(utf8Header + maxBytes);
  const written = utf8Encoder.encodeInto(s, buf.subarray(pos + utf8Header)).written;
  if (utf8Header === 1) buf[pos] = T_FIXSTR | written;
  else if (utf8Header === 2) { buf[pos] = T_STR8; buf[pos + 1] = written; }
  else { buf[pos] = T_STR32; view.setUint32(pos + 1, written, true); }
  pos += utf8Header + written;
}

/**
 * Long strings are read through a fresh one-character prefix (`' ' + s`) below this length:
 * reading a rope (a concatenation V8 has not flattened, as `${n}:${pad}` is) flattens it in
 * place, into a copy allocated where the rope lives — for state that has lived a while, fresh
 * old-space pages, ~4 ns a byte here, mostly page faults (40–50 ms per 10 MB of 1 KB ropes in
 * Node, against ~2 ms for flat strings). Reading the prefixed string instead flattens that into
 * the young generation, whose pages are warm and whose garbage costs nothing to collect, and
 * leaves the stored string as it was (~5 ms per 10 MB, ropes or not). Above it, a young copy
 * would be a large object on pages of its own, which costs what flattening in place does.
 */
const PREFIXED_STRING_MAX = 64 * 1024;

/**
 * The same bytes as writeString's paths (ASCII or UTF-8 under T_STR32, raw UTF-16 if ill-formed),
 * written natively: a JS loop over a long string costs more than the call (several times more
 * in a cold isolate, and on a rope string that must be flattened char by char).
 */
function writeLongString(s: string): void {
  const length = s.length;
  // The prefix, if any, is written into the last header byte, which the header then overwrites.
  const read = length < PREFIXED_STRING_MAX ? ' ' + s : s;
  const skip = read.length - length;
  const at = pos + 5 - skip;
  // Room for ASCII first; the worst case (3 bytes per unit) only if the string did not fit.
  if (pos + 5 + length > buf.length) grow(5 + length);
  let done = utf8Encoder.encodeInto(read, buf.subarray(at));
  if (done.read !== read.length) {
    if (pos + 5 + length * 3 > buf.length) grow(5 + length * 3);
    done = utf8Encoder.encodeInto(read, buf.subarray(at));
  }
  const written = done.written - skip;
  // Every non-ASCII UTF-16 unit takes at least 2 bytes (a lone surrogate 3: U+FFFD), so `written === length` means ASCII.
  if (written !== length && !isWellFormed(read)) return writeRawUtf16(read, skip);
  buf[pos] = T_STR32;
  view.setUint32(pos + 1, written, true);
  pos += 5 + written;
}

/** The UTF-16 units of `s` after its first `skip` (a prefix writeLongString read it with). */
function writeRawUtf16(s: string, skip = 0): void {
  const length = s.length - skip;
  if (pos + 5 + length * 2 > buf.length) grow(5 + length * 2);
  buf[pos] = T_STR16;
  view.setUint32(pos + 1, length, true);
  pos += 5;
  for (let i = skip; i < s.length; i++, pos += 2) view.setUint16(pos, s.charCodeAt(i), true);
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
