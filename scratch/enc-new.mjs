// src/errors/weir-error.ts
var WeirError = class extends Error {
  code;
  domain;
  retryable;
  details;
  constructor(code, message, options) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "WeirError";
    this.code = code;
    this.domain = options.domain;
    this.retryable = options.retryable;
    this.details = options.details ?? {};
  }
};
var InvalidArgumentError = class extends WeirError {
  argument;
  constructor(argument, message, options = {}) {
    super("INVALID_ARGUMENT", `${argument}: ${message}`, {
      domain: "user",
      retryable: false,
      details: { argument },
      cause: options.cause
    });
    this.name = "InvalidArgumentError";
    this.argument = argument;
  }
};
var CorruptDataError = class extends WeirError {
  constructor(message, details = {}) {
    super("CORRUPT_DATA", message, { domain: "external", retryable: false, details });
    this.name = "CorruptDataError";
  }
};

// src/errors/argument-checks.ts
function describeValue(value) {
  if (value === null) return "null";
  if (value === void 0) return "undefined";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "\u2026" : value)}`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  return `${typeof value}`;
}

// src/state/value-tags.ts
var T_UNDEFINED = 0;
var T_NULL = 1;
var T_FALSE = 2;
var T_TRUE = 3;
var T_INT8 = 4;
var T_INT16 = 5;
var T_INT32 = 6;
var T_FLOAT64 = 7;
var T_BIGINT64 = 8;
var T_BIGINT = 9;
var T_STR8 = 10;
var T_STR32 = 11;
var T_STR16 = 12;
var T_ARRAY = 13;
var T_OBJECT = 14;
var T_MAP = 15;
var T_SET = 16;
var T_DATE = 17;
var T_BYTES = 18;
var T_ARRAY_BUFFER = 19;
var T_FIXARRAY = 32;
var T_FIXOBJECT = 48;
var T_FIXSTR = 64;
var T_FIXINT = 128;
var MAX_VALUE_DEPTH = 1e3;

// src/state/value-encoder.ts
var KEEP_SCRATCH_BYTES = 8 * 1024 * 1024;
var utf8Encoder = new TextEncoder();
var isWellFormed = typeof String.prototype.isWellFormed === "function" ? (s) => s.isWellFormed() : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
var Unsupported = class {
  constructor(what) {
    this.what = what;
  }
  what;
  segments = [];
};
var buf = new Uint8Array(64 * 1024);
var view = new DataView(buf.buffer);
var pos = 0;
var busy = false;
var ancestors = [];
var depth = 0;
function encodeValue(value) {
  return encode(value, void 0);
}
function encode(value, fill) {
  const outer = busy ? { buf, view, pos, depth, ancestors: ancestors.splice(0) } : void 0;
  if (outer !== void 0) setBuffer(new Uint8Array(1024));
  busy = true;
  pos = 0;
  depth = 0;
  try {
    if (fill === void 0) write(value);
    else fill(writer);
    return buf.slice(0, pos);
  } catch (error) {
    throw toArgumentError(error);
  } finally {
    ancestors.length = 0;
    if (outer !== void 0) {
      ({ buf, view, pos, depth } = outer);
      ancestors.push(...outer.ancestors);
    } else {
      busy = false;
      if (buf.length > KEEP_SCRATCH_BYTES) setBuffer(new Uint8Array(64 * 1024));
    }
  }
}
function open(tag) {
  if (pos + 5 > buf.length) grow(5);
  const at2 = pos;
  buf[pos] = tag;
  pos += 5;
  return at2;
}
var writer = {
  value: (v2) => write(v2),
  openMap: () => open(T_MAP),
  openArray: () => open(T_ARRAY),
  openObject: () => open(T_OBJECT),
  close: (at2, count) => view.setUint32(at2 + 1, count, true),
  get position() {
    return pos;
  },
  rewind: (to) => {
    pos = to;
  }
};
function encodeWith(fill) {
  return encode(void 0, fill);
}
function toArgumentError(error) {
  if (!(error instanceof Unsupported)) return error;
  const path = "value" + error.segments.reverse().join("");
  const result = new InvalidArgumentError("value", `${error.what} cannot be stored in state (at ${path})`);
  result.details.path = path;
  return result;
}
function setBuffer(next) {
  buf = next;
  view = new DataView(next.buffer);
}
function grow(needed) {
  const next = new Uint8Array(Math.max(buf.length * 2, pos + needed));
  next.set(buf.subarray(0, pos));
  setBuffer(next);
}
function write(value) {
  if (pos + 9 > buf.length) grow(9);
  switch (typeof value) {
    case "number":
      return writeNumber(value);
    case "string":
      return writeString(value);
    case "boolean":
      buf[pos++] = value ? T_TRUE : T_FALSE;
      return;
    case "undefined":
      buf[pos++] = T_UNDEFINED;
      return;
    case "bigint":
      return writeBigInt(value);
    case "object":
      return value === null ? void (buf[pos++] = T_NULL) : writeObject(value);
    case "function":
      throw new Unsupported("a function");
    default:
      throw new Unsupported(`a ${typeof value}`);
  }
}
function writeNumber(v2) {
  if ((v2 | 0) === v2 && (v2 !== 0 || 1 / v2 > 0)) {
    if (v2 >= 0 && v2 < 128) buf[pos++] = T_FIXINT | v2;
    else if (v2 >= -128 && v2 < 128) {
      buf[pos] = T_INT8;
      view.setInt8(pos + 1, v2);
      pos += 2;
    } else if (v2 >= -32768 && v2 < 32768) {
      buf[pos] = T_INT16;
      view.setInt16(pos + 1, v2, true);
      pos += 3;
    } else {
      buf[pos] = T_INT32;
      view.setInt32(pos + 1, v2, true);
      pos += 5;
    }
  } else {
    buf[pos] = T_FLOAT64;
    view.setFloat64(pos + 1, v2, true);
    pos += 9;
  }
}
function writeString(s) {
  const length = s.length;
  const header = length < 64 ? 1 : length < 256 ? 2 : 5;
  if (pos + header + length > buf.length) grow(header + length);
  let p = pos + header, i = 0;
  for (; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) break;
    buf[p++] = c;
  }
  if (i === length) {
    if (header === 1) buf[pos] = T_FIXSTR | length;
    else if (header === 2) {
      buf[pos] = T_STR8;
      buf[pos + 1] = length;
    } else {
      buf[pos] = T_STR32;
      view.setUint32(pos + 1, length, true);
    }
    pos = p;
    return;
  }
  if (!isWellFormed(s)) return writeRawUtf16(s);
  const maxBytes = length * 3;
  const utf8Header = maxBytes < 64 ? 1 : maxBytes < 256 ? 2 : 5;
  if (pos + utf8Header + maxBytes > buf.length) grow(utf8Header + maxBytes);
  const written = utf8Encoder.encodeInto(s, buf.subarray(pos + utf8Header)).written;
  if (utf8Header === 1) buf[pos] = T_FIXSTR | written;
  else if (utf8Header === 2) {
    buf[pos] = T_STR8;
    buf[pos + 1] = written;
  } else {
    buf[pos] = T_STR32;
    view.setUint32(pos + 1, written, true);
  }
  pos += utf8Header + written;
}
function writeRawUtf16(s) {
  if (pos + 5 + s.length * 2 > buf.length) grow(5 + s.length * 2);
  buf[pos] = T_STR16;
  view.setUint32(pos + 1, s.length, true);
  pos += 5;
  for (let i = 0; i < s.length; i++, pos += 2) view.setUint16(pos, s.charCodeAt(i), true);
}
function writeBigInt(v2) {
  if (v2 >= -0x8000000000000000n && v2 <= 0x7fffffffffffffffn) {
    buf[pos] = T_BIGINT64;
    view.setBigInt64(pos + 1, v2, true);
    pos += 9;
    return;
  }
  let hex2 = (v2 < 0n ? -v2 : v2).toString(16);
  if (hex2.length % 2 === 1) hex2 = "0" + hex2;
  const n = hex2.length / 2;
  if (pos + 6 + n > buf.length) grow(6 + n);
  buf[pos] = T_BIGINT;
  buf[pos + 1] = v2 < 0n ? 1 : 0;
  view.setUint32(pos + 2, n, true);
  pos += 6;
  for (let i = 0; i < n; i++) buf[pos++] = parseInt(hex2.slice(i * 2, i * 2 + 2), 16);
}
function writeHeader(fixTag, tag, count) {
  if (count < 16 && fixTag !== 0) {
    buf[pos++] = fixTag | count;
    return;
  }
  buf[pos] = tag;
  view.setUint32(pos + 1, count, true);
  pos += 5;
}
function writeBytes(tag, bytes) {
  if (pos + 5 + bytes.length > buf.length) grow(5 + bytes.length);
  writeHeader(0, tag, bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}
function writeObject(value) {
  const proto = Object.getPrototypeOf(value);
  if (proto === Date.prototype) {
    buf[pos] = T_DATE;
    view.setFloat64(pos + 1, value.getTime(), true);
    pos += 9;
    return;
  }
  if (value instanceof Uint8Array) return writeBytes(T_BYTES, value);
  if (proto === ArrayBuffer.prototype) return writeBytes(T_ARRAY_BUFFER, new Uint8Array(value));
  const isArray = Array.isArray(value);
  if (!isArray && proto !== Object.prototype && proto !== null && proto !== Map.prototype && proto !== Set.prototype) {
    const ctor = proto.constructor;
    const name = ctor !== void 0 && ctor.prototype === proto ? ctor.name : void 0;
    throw new Unsupported(typeof name === "string" && name !== "" ? `an instance of ${name}` : "an object with a custom prototype");
  }
  for (let i = 0; i < depth; i++) if (ancestors[i] === value) throw new Unsupported("a cycle (an object that contains itself)");
  if (depth === MAX_VALUE_DEPTH) throw new Unsupported(`nesting deeper than ${MAX_VALUE_DEPTH} levels`);
  ancestors[depth++] = value;
  if (isArray) writeArray(value);
  else if (proto === Map.prototype) writeMap(value);
  else if (proto === Set.prototype) writeSet(value);
  else writePlainObject(value);
  depth--;
}
function writeArray(array) {
  const n = array.length;
  writeHeader(T_FIXARRAY, T_ARRAY, n);
  let i = 0;
  try {
    for (; i < n; i++) {
      const item = array[i];
      if (item === void 0 && !(i in array)) throw new Unsupported("a hole in a sparse array");
      write(item);
    }
  } catch (error) {
    throw withSegment(error, `[${i}]`);
  }
}
var hasOwn = Object.prototype.hasOwnProperty;
function writePlainObject(object) {
  const start = pos++;
  let count = 0, key = "";
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
  if (count < 16) {
    buf[start] = T_FIXOBJECT | count;
    return;
  }
  if (pos + 4 > buf.length) grow(4);
  buf.copyWithin(start + 5, start + 1, pos);
  buf[start] = T_OBJECT;
  view.setUint32(start + 1, count, true);
  pos += 4;
}
function writeMap(map) {
  writeHeader(0, T_MAP, map.size);
  let i = 0, inKey = true, key;
  try {
    for (const [k, v2] of map) {
      key = k;
      inKey = true;
      write(k);
      inKey = false;
      write(v2);
      i++;
    }
  } catch (error) {
    const shown = typeof key === "string" ? JSON.stringify(key) : typeof key === "number" ? String(key) : `<key #${i}>`;
    throw withSegment(error, inKey ? `<map key #${i}>` : `.get(${shown})`);
  }
}
function writeSet(set) {
  writeHeader(0, T_SET, set.size);
  let i = 0;
  try {
    for (const item of set) {
      write(item);
      i++;
    }
  } catch (error) {
    throw withSegment(error, `<set entry #${i}>`);
  }
}
function withSegment(error, segment) {
  if (error instanceof Unsupported) error.segments.push(segment);
  return error;
}

// src/state/value-decoder.ts
var utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
var input = new Uint8Array(0);
var inputView = new DataView(input.buffer);
var at = 0;
function decodeValue(bytes) {
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
function corrupt(message) {
  throw new CorruptDataError(`value bytes cannot be decoded: ${message}`, { offset: at });
}
function need(n) {
  if (at + n > input.length) corrupt(`truncated (needs ${n} bytes at offset ${at}, has ${input.length - at})`);
}
function readCount(unitBytes) {
  need(4);
  const n = inputView.getUint32(at, true);
  at += 4;
  if (n * unitBytes > input.length - at) corrupt(`count ${n} at offset ${at - 4} exceeds the remaining bytes`);
  return n;
}
function read(level) {
  need(1);
  const tag = input[at++];
  if (tag >= T_FIXINT) return tag - T_FIXINT;
  if (tag >= T_FIXSTR) return readString(tag - T_FIXSTR);
  if (level === MAX_VALUE_DEPTH && (tag >= T_ARRAY && tag <= T_SET || tag >= T_FIXARRAY)) corrupt("nesting too deep");
  if (tag >= T_FIXOBJECT) return readObject(tag - T_FIXOBJECT, level);
  if (tag >= T_FIXARRAY) return readArray(tag - T_FIXARRAY, level);
  let v2;
  switch (tag) {
    case T_UNDEFINED:
      return void 0;
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_INT8:
      need(1);
      v2 = inputView.getInt8(at);
      at += 1;
      return v2;
    case T_INT16:
      need(2);
      v2 = inputView.getInt16(at, true);
      at += 2;
      return v2;
    case T_INT32:
      need(4);
      v2 = inputView.getInt32(at, true);
      at += 4;
      return v2;
    case T_FLOAT64:
      need(8);
      v2 = inputView.getFloat64(at, true);
      at += 8;
      return v2;
    case T_BIGINT64:
      need(8);
      v2 = inputView.getBigInt64(at, true);
      at += 8;
      return v2;
    case T_BIGINT:
      return readBigInt();
    case T_STR8:
      need(1);
      return readString(input[at++]);
    case T_STR32:
      return readString(readCount(1));
    case T_STR16:
      return readRawUtf16(readCount(2));
    case T_ARRAY:
      return readArray(readCount(1), level);
    case T_OBJECT:
      return readObject(readCount(2), level);
    case T_MAP:
      return readMap(readCount(2), level);
    case T_SET:
      return readSet(readCount(1), level);
    case T_DATE:
      need(8);
      v2 = new Date(inputView.getFloat64(at, true));
      at += 8;
      return v2;
    case T_BYTES: {
      const n = readCount(1);
      at += n;
      return copyOf(at - n, at);
    }
    case T_ARRAY_BUFFER: {
      const n = readCount(1);
      at += n;
      return copyOf(at - n, at).buffer;
    }
    default:
      return corrupt(`unknown tag 0x${tag.toString(16)} at offset ${at - 1}`);
  }
}
function copyOf(start, end) {
  return new Uint8Array(input.subarray(start, end));
}
function readString(n) {
  need(n);
  if (n < 16) {
    let bits = 0;
    for (let i = at; i < at + n; i++) bits |= input[i];
    if (bits < 128) {
      const s = n <= 8 ? ascii(at, n) : ascii(at, 8) + ascii(at + 8, n - 8);
      at += n;
      return s;
    }
  } else if (n <= 4096) {
    let bits = 0;
    for (let i = at; i < at + n; i++) bits |= input[i];
    if (bits < 128) {
      const s = fromCodes.apply(null, input.subarray(at, at + n));
      at += n;
      return s;
    }
  }
  at += n;
  return utf8Decoder.decode(input.subarray(at - n, at));
}
var fromCodes = String.fromCharCode;
function ascii(p, n) {
  const b2 = input;
  switch (n) {
    case 0:
      return "";
    case 1:
      return fromCodes(b2[p]);
    case 2:
      return fromCodes(b2[p], b2[p + 1]);
    case 3:
      return fromCodes(b2[p], b2[p + 1], b2[p + 2]);
    case 4:
      return fromCodes(b2[p], b2[p + 1], b2[p + 2], b2[p + 3]);
    case 5:
      return fromCodes(b2[p], b2[p + 1], b2[p + 2], b2[p + 3], b2[p + 4]);
    case 6:
      return fromCodes(b2[p], b2[p + 1], b2[p + 2], b2[p + 3], b2[p + 4], b2[p + 5]);
    case 7:
      return fromCodes(b2[p], b2[p + 1], b2[p + 2], b2[p + 3], b2[p + 4], b2[p + 5], b2[p + 6]);
    default:
      return fromCodes(b2[p], b2[p + 1], b2[p + 2], b2[p + 3], b2[p + 4], b2[p + 5], b2[p + 6], b2[p + 7]);
  }
}
function readRawUtf16(n) {
  let s = "";
  for (let done = 0; done < n; done += 4096) {
    const units = new Array(Math.min(4096, n - done));
    for (let i = 0; i < units.length; i++, at += 2) units[i] = inputView.getUint16(at, true);
    s += fromCodes(...units);
  }
  return s;
}
function readBigInt() {
  need(1);
  const sign = input[at++];
  if (sign > 1) corrupt(`bigint sign byte ${sign} at offset ${at - 1}`);
  const n = readCount(1);
  let hex2 = "0x0";
  for (let i = 0; i < n; i++) hex2 += input[at++].toString(16).padStart(2, "0");
  const magnitude = BigInt(hex2);
  return sign === 1 ? -magnitude : magnitude;
}
function readArray(n, level) {
  const array = [];
  for (let i = 0; i < n; i++) array.push(read(level + 1));
  return array;
}
function readMap(n, level) {
  const map = /* @__PURE__ */ new Map();
  for (let i = 0; i < n; i++) map.set(read(level + 1), read(level + 1));
  return map;
}
function readSet(n, level) {
  const set = /* @__PURE__ */ new Set();
  for (let i = 0; i < n; i++) set.add(read(level + 1));
  return set;
}
function readObject(n, level) {
  const object = {};
  for (let i = 0; i < n; i++) {
    const key = read(level + 1);
    if (typeof key !== "string") corrupt(`object key at offset ${at} is not a string`);
    const value = read(level + 1);
    if (key === "__proto__") Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
    else object[key] = value;
  }
  return object;
}

// src/state/keyed-snapshot.ts
var KeyedSnapshot = class {
  constructor(range2, tables, pending, log, onClose) {
    this.range = range2;
    this.tables = tables;
    this.pending = pending;
    this.log = log;
    this.onClose = onClose;
  }
  range;
  tables;
  pending;
  log;
  onClose;
  queue = [];
  cursor = 0;
  group = -1;
  segments = [];
  closed = false;
  /** Bytes encoded so far: what the caller's slices are budgeted in. */
  bytesEncoded = 0;
  /** The version this snapshot took: the state as of the barrier. */
  get version() {
    return this.pending.version;
  }
  /** Keys changed in `span` after version `since` (at most: a key changed in several intervals counts in each). */
  changedSince(span, since) {
    let n = 0;
    for (const record of this.log) {
      if (record.version <= since) continue;
      for (const sets of record.changed.values()) for (let kg = span.start; kg <= span.end; kg++) n += sets[kg - this.range.start]?.size ?? 0;
    }
    return n;
  }
  /** Entries in `span` now (all states). */
  entries(span) {
    let n = 0;
    for (const t of this.tables) for (let kg = span.start; kg <= span.end; kg++) n += t.size(kg - this.range.start);
    return n;
  }
  /** Must be called for every span before the first `next()`, at the barrier: full and delta spans are protected from then on. */
  plan(span, plan) {
    if (plan.kind === "reuse") return;
    for (let kg = span.start; kg <= span.end; kg++) this.pending.todo[kg - this.range.start] = 1;
    this.queue.push({ span, plan });
  }
  get done() {
    return this.cursor >= this.queue.length;
  }
  /** Encodes the next piece; returns a span's payload when that span is complete (an empty span gives none). */
  next() {
    const item = this.queue[this.cursor];
    if (item === void 0) return void 0;
    const { span, plan } = item;
    if (plan.kind === "delta") {
      this.cursor++;
      const body = encodeWith((w) => this.writeDelta(w, span, plan.since));
      this.bytesEncoded += body.length;
      for (let kg = span.start; kg <= span.end; kg++) this.pending.release(kg - this.range.start);
      return { span, kind: "delta", body };
    }
    if (this.group < 0) this.group = span.start;
    const g = this.group - this.range.start;
    const segment = this.encodeGroup(g);
    if (segment !== void 0) {
      this.segments.push(segment);
      this.bytesEncoded += segment.length;
    }
    this.pending.release(g);
    if (++this.group <= span.end) return void 0;
    this.cursor++;
    this.group = -1;
    const segments = this.segments;
    this.segments = [];
    if (segments.length === 0) return void 0;
    return { span, kind: "full", body: concat(this.prefix(span, segments.length), segments) };
  }
  /** Stops protecting the state (the snapshot was encoded, or abandoned). */
  close() {
    if (this.closed) return;
    this.closed = true;
    for (let g = 0; g < this.pending.todo.length; g++) if (this.pending.todo[g] === 1) this.pending.release(g);
    this.onClose();
  }
  kinds() {
    const kinds = {};
    for (const t of this.tables) kinds[t.name] = t.kind;
    return kinds;
  }
  /** { keyGroupRange, kinds, groups: [ …count elements follow… ] }: groups is the last field, so segments append. */
  prefix(span, count) {
    return encodeWith((w) => {
      const o = w.openObject();
      w.value("keyGroupRange");
      w.value({ start: span.start, end: span.end });
      w.value("kinds");
      w.value(this.kinds());
      w.value("groups");
      w.close(w.openArray(), count);
      w.close(o, 3);
    });
  }
  /** [kg, { state: Map }] of group g as of the snapshot, or undefined if it held nothing. */
  encodeGroup(g) {
    let empty = true;
    const bytes = encodeWith((w) => {
      empty = !this.writeGroup(w, g);
    });
    return empty ? void 0 : bytes;
  }
  writeGroup(w, g) {
    const a = w.openArray();
    w.value(g + this.range.start);
    const o = w.openObject();
    let states = 0;
    for (const t of this.tables) {
      const live = t.groups[g];
      const kept = this.pending.kept(t, g);
      if ((live === void 0 || live.size === 0) && kept === void 0) continue;
      const mark = w.position;
      w.value(t.name);
      const m = w.openMap();
      let n = 0;
      if (live !== void 0) {
        for (const [k, e] of live) {
          if (e.value === void 0 || kept !== void 0 && kept.has(k)) continue;
          w.value(k);
          w.value(e.value);
          n++;
        }
      }
      if (kept !== void 0) {
        for (const [k, e] of kept) {
          if (e === null || e.value === void 0) continue;
          w.value(k);
          w.value(e.value);
          n++;
        }
      }
      if (n === 0) w.rewind(mark);
      else {
        w.close(m, n);
        states++;
      }
    }
    w.close(o, states);
    w.close(a, 2);
    return states > 0;
  }
  /** The keys of `t` in group g that changed after `since`, each once. */
  changedKeys(t, g, since) {
    const sets = [];
    for (const record of this.log) {
      if (record.version <= since) continue;
      const set = record.changed.get(t)?.[g];
      if (set !== void 0 && set.size > 0) sets.push(set);
    }
    if (sets.length <= 1) return sets[0] ?? [];
    const union = /* @__PURE__ */ new Set();
    for (const s of sets) for (const k of s) union.add(k);
    return union;
  }
  writeDelta(w, span, since) {
    const deleted = [];
    const o = w.openObject();
    w.value("keyGroupRange");
    w.value({ start: span.start, end: span.end });
    w.value("kinds");
    w.value(this.kinds());
    w.value("groups");
    const groupsAt = w.openArray();
    let groups = 0;
    for (let kg = span.start; kg <= span.end; kg++) {
      const g = kg - this.range.start;
      const mark = w.position;
      const a = w.openArray();
      w.value(kg);
      const s = w.openObject();
      let states = 0;
      const removed = {};
      let anyRemoved = false;
      for (const t of this.tables) {
        const tableMark = w.position;
        w.value(t.name);
        const m = w.openMap();
        let n = 0;
        for (const k of this.changedKeys(t, g, since)) {
          const e = this.pending.entryAt(t, g, k);
          if (e === null || e.value === void 0) {
            (removed[t.name] ??= []).push(k);
            anyRemoved = true;
            continue;
          }
          w.value(k);
          w.value(e.value);
          n++;
        }
        if (n === 0) w.rewind(tableMark);
        else {
          w.close(m, n);
          states++;
        }
      }
      if (anyRemoved) deleted.push([kg, removed]);
      if (states === 0) w.rewind(mark);
      else {
        w.close(s, states);
        w.close(a, 2);
        groups++;
      }
    }
    w.close(groupsAt, groups);
    w.value("deleted");
    w.value(deleted);
    w.value("delta");
    w.value(true);
    w.close(o, 5);
  }
};
function concat(head, parts) {
  let n = head.length;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  out.set(head, 0);
  let at2 = head.length;
  for (const p of parts) {
    out.set(p, at2);
    at2 += p.length;
  }
  return out;
}

// src/state/pending-snapshot.ts
var PendingSnapshot = class {
  constructor(version, groups) {
    this.version = version;
    this.todo = new Uint8Array(groups);
  }
  version;
  /** 1 for each key group (relative to the backend's range) the encoder has yet to read. */
  todo;
  /** Per state, per key group: the entries as they were at the barrier (null: the key was absent). */
  undo = /* @__PURE__ */ new Map();
  /** Whether a write to an entry of version `v` in group `g` must copy it first. */
  shares(g, v2) {
    return this.todo[g] === 1 && v2 <= this.version;
  }
  /** Keeps `entry` (null: absent) as the snapshot's view of `key`, unless a first change already did. */
  keep(table, g, key, entry) {
    let groups = this.undo.get(table);
    if (groups === void 0) this.undo.set(table, groups = []);
    const kept = groups[g] ?? (groups[g] = /* @__PURE__ */ new Map());
    if (!kept.has(key)) kept.set(key, entry);
  }
  /** The entries kept for one group of one state (undefined if none changed since the barrier). */
  kept(table, g) {
    return this.undo.get(table)?.[g];
  }
  /** The snapshot's view of one key: its entry at the barrier, or null if it had none. */
  entryAt(table, g, key) {
    const kept = this.undo.get(table)?.[g];
    if (kept !== void 0 && kept.has(key)) return kept.get(key);
    return table.groups[g]?.get(key) ?? null;
  }
  /** The encoder has read group `g`: writes to it go on without copies. */
  release(g) {
    this.todo[g] = 0;
    for (const groups of this.undo.values()) groups[g] = void 0;
  }
};

// src/state/state-table.ts
var StateEntry = class {
  constructor(value, v2) {
    this.value = value;
    this.v = v2;
  }
  value;
  v;
};
var copyPlainData = (value) => typeof value === "object" && value !== null ? structuredClone(value) : value;
var StateTable = class {
  constructor(name, kind, copyValue) {
    this.name = name;
    this.kind = kind;
    this.copyValue = copyValue;
  }
  name;
  kind;
  copyValue;
  groups = [];
  /**
   * Keys written or deleted per key group since the last snapshot began: the open record of the
   * change log, from which incremental checkpoints write only what changed.
   */
  changed = [];
  size(group) {
    return this.groups[group]?.size ?? 0;
  }
};

// src/state/keyed-state-payload.ts
var KEY_GROUPS_PER_CHUNK = 8;
function applyPayload(payload, start, end, tableOf, groupOf) {
  const kindOf = (name) => payload.kinds[name] ?? "value";
  for (const [kg, states] of payload.groups) {
    if (kg < start || kg > end) continue;
    for (const name of Object.keys(states)) {
      const table = tableOf(name, kindOf(name));
      const raw = states[name];
      if (payload.delta === true) {
        const map = groupOf(table, kg - start);
        for (const [k, v2] of raw) map.set(k, new StateEntry(v2, 0));
      } else {
        const map = /* @__PURE__ */ new Map();
        for (const [k, v2] of raw) map.set(k, new StateEntry(v2, 0));
        table.groups[kg - start] = map;
      }
    }
  }
  for (const [kg, states] of payload.deleted ?? []) {
    if (kg < start || kg > end) continue;
    for (const name of Object.keys(states)) {
      const map = tableOf(name, kindOf(name)).groups[kg - start];
      if (map !== void 0) for (const k of states[name]) map.delete(k);
    }
  }
}

// src/state/heap-keyed-state-backend.ts
var HeapKeyedStateBackend = class {
  constructor(keyGroupRange) {
    this.keyGroupRange = keyGroupRange;
  }
  keyGroupRange;
  tables = /* @__PURE__ */ new Map();
  handles = /* @__PURE__ */ new Map();
  currentKey;
  currentGroup = 0;
  /** The version writes belong to now; snapshots so far took 1 … version - 1. */
  version = 1;
  /** The snapshot still being encoded, if any (one at a time). */
  pending;
  /** Change records of snapshots whose checkpoints are not yet confirmed complete. */
  log = [];
  get groupCount() {
    return Math.max(0, this.keyGroupRange.end - this.keyGroupRange.start + 1);
  }
  setCurrentKey(key, keyGroup) {
    this.currentKey = key;
    this.currentGroup = keyGroup - this.keyGroupRange.start;
  }
  /** The current key's group (absolute, as keyGroupOf gives it). */
  getCurrentKeyGroup() {
    return this.currentGroup + this.keyGroupRange.start;
  }
  /** The current key's group relative to this backend's range: the index of state tables' groups. */
  get currentGroupIndex() {
    return this.currentGroup;
  }
  getCurrentKey() {
    if (this.currentKey === void 0) throw new InvalidArgumentError("keyed state", "is only available while a keyed record or timer is processed");
    return this.currentKey;
  }
  /**
   * The table of one state, made on first use. `copy` says how copy-on-write copies its values
   * (default: deep, for values a caller may change in place).
   */
  stateTable(name, kind, copy = copyPlainData) {
    let table = this.tables.get(name);
    if (table === void 0) this.tables.set(name, table = new StateTable(name, kind, copy));
    else if (table.kind !== kind) throw new InvalidArgumentError(`state '${name}'`, `is ${table.kind} state; it cannot also be used as ${kind} state`);
    return table;
  }
  // ---- entries: what operators use, with the key and its group (relative) given ----
  /** The entry of `key`, or undefined. Read only: change it through `writable`. */
  entryOf(t, key, g) {
    const map = t.groups[g];
    return map === void 0 ? void 0 : map.get(key);
  }
  /** `e` (as entryOf gave it) made safe to change in place or assign: logged, copied if a pending snapshot shares it. */
  writable(t, key, g, e) {
    return e.v === this.version ? e : this.touch(t, key, g, e);
  }
  touch(t, key, g, e) {
    (t.changed[g] ??= /* @__PURE__ */ new Set()).add(key);
    const p = this.pending;
    if (p !== void 0 && p.shares(g, e.v)) {
      p.keep(t, g, key, e);
      const copy = new StateEntry(t.copyValue(e.value), this.version);
      t.groups[g].set(key, copy);
      return copy;
    }
    e.v = this.version;
    return e;
  }
  /** `e` safe to hand to user code that may change the value in place without writing it back (Flink copies on get too). */
  readable(t, key, g, e) {
    const p = this.pending;
    if (p === void 0 || !p.shares(g, e.v) || typeof e.value !== "object" || e.value === null) return e;
    p.keep(t, g, key, e);
    const copy = new StateEntry(t.copyValue(e.value), p.version + 0.5);
    t.groups[g].set(key, copy);
    return copy;
  }
  insert(t, key, g, value) {
    const e = new StateEntry(value, this.version);
    (t.groups[g] ??= /* @__PURE__ */ new Map()).set(key, e);
    (t.changed[g] ??= /* @__PURE__ */ new Set()).add(key);
    if (this.pending !== void 0 && this.pending.todo[g] === 1) this.pending.keep(t, g, key, null);
    return e;
  }
  remove(t, key, g) {
    const map = t.groups[g];
    const e = map?.get(key);
    if (e === void 0) return;
    (t.changed[g] ??= /* @__PURE__ */ new Set()).add(key);
    if (this.pending !== void 0 && this.pending.shares(g, e.v)) this.pending.keep(t, g, key, e);
    map.delete(key);
  }
  /** Every entry of one state, with its key group (absolute). */
  forEach(t, fn) {
    t.groups.forEach((map, g) => map?.forEach((e, key) => fn(key, g + this.keyGroupRange.start, e.value)));
  }
  // ---- the user-facing states, scoped to the current key ----
  handle(name, kind, create) {
    const table = this.stateTable(name, kind);
    let handle = this.handles.get(name);
    if (handle === void 0) this.handles.set(name, handle = create(table));
    return handle;
  }
  current(t) {
    const e = this.entryOf(t, this.getCurrentKey(), this.currentGroup);
    return e === void 0 ? void 0 : this.readable(t, this.currentKey, this.currentGroup, e);
  }
  put(t, value) {
    const key = this.getCurrentKey();
    const e = this.entryOf(t, key, this.currentGroup);
    if (e === void 0) this.insert(t, key, this.currentGroup, value);
    else this.writable(t, key, this.currentGroup, e).value = value;
  }
  clear(t) {
    this.remove(t, this.getCurrentKey(), this.currentGroup);
  }
  /** The current key's value, to change in place (created by `create` if absent). */
  mutable(t, create) {
    const key = this.getCurrentKey();
    const e = this.entryOf(t, key, this.currentGroup);
    if (e === void 0) return this.insert(t, key, this.currentGroup, create()).value;
    return this.writable(t, key, this.currentGroup, e).value;
  }
  valueState(name, defaultValue) {
    return this.handle(name, "value", (t) => ({
      value: () => {
        const v2 = this.current(t)?.value;
        return v2 === void 0 ? defaultValue : v2;
      },
      update: (value) => this.put(t, value),
      clear: () => this.clear(t)
    }));
  }
  listState(name) {
    return this.handle(name, "list", (t) => ({
      get: () => (this.current(t)?.value ?? []).slice(),
      add: (value) => void this.mutable(t, () => []).push(value),
      addAll: (values) => void this.mutable(t, () => []).push(...values),
      update: (values) => this.put(t, [...values]),
      clear: () => this.clear(t)
    }));
  }
  mapState(name) {
    return this.handle(name, "map", (t) => {
      const empty = /* @__PURE__ */ new Map();
      const read2 = () => this.current(t)?.value ?? empty;
      const write2 = () => this.mutable(t, () => /* @__PURE__ */ new Map());
      return {
        get: (k) => read2().get(k),
        put: (k, v2) => void write2().set(k, v2),
        putAll: (entries) => {
          const m = write2();
          for (const [k, v2] of entries) m.set(k, v2);
        },
        contains: (k) => read2().has(k),
        remove: (k) => {
          if (!read2().has(k)) return;
          const m = write2();
          m.delete(k);
          if (m.size === 0) this.clear(t);
        },
        entries: () => read2().entries(),
        keys: () => read2().keys(),
        values: () => read2().values(),
        isEmpty: () => read2().size === 0,
        clear: () => this.clear(t)
      };
    });
  }
  reducingState(name, reduce) {
    return this.handle(name, "reducing", (t) => ({
      get: () => this.current(t)?.value,
      add: (value) => {
        const key = this.getCurrentKey();
        const e = this.entryOf(t, key, this.currentGroup);
        if (e === void 0) this.insert(t, key, this.currentGroup, value);
        else {
          const w = this.writable(t, key, this.currentGroup, e);
          w.value = reduce(w.value, value);
        }
      },
      clear: () => this.clear(t)
    }));
  }
  // ---- snapshots and restore ----
  /** Whether any state is held (an operator without keyed state writes no keyed chunk). */
  get isEmpty() {
    for (const t of this.tables.values()) if (t.groups.some((g) => g !== void 0 && g.size > 0)) return false;
    return true;
  }
  /**
   * The spans a snapshot is cut into: runs of KEY_GROUPS_PER_CHUNK key groups aligned to
   * absolute key-group numbers, so that the same span has the same bounds at every snapshot
   * (and at every restore at the same parallelism) and an unchanged span can be reused.
   */
  spans() {
    const { start, end } = this.keyGroupRange;
    const spans = [];
    for (let s = start; s <= end; s = (Math.floor(s / KEY_GROUPS_PER_CHUNK) + 1) * KEY_GROUPS_PER_CHUNK) {
      spans.push({ start: s, end: Math.min(end, (Math.floor(s / KEY_GROUPS_PER_CHUNK) + 1) * KEY_GROUPS_PER_CHUNK - 1) });
    }
    return spans;
  }
  /**
   * Begins a snapshot: O(states + key groups), at the barrier. The snapshot reads the state as it
   * is now for as long as it takes to encode (copy-on-write); writes go on meanwhile. Must not be
   * called while another snapshot of this backend is pending: finish that one first.
   */
  beginSnapshot() {
    if (this.pending !== void 0) throw new Error("HeapKeyedStateBackend: a snapshot is still being encoded");
    const version = this.version++;
    const changed = /* @__PURE__ */ new Map();
    for (const t of this.tables.values()) {
      changed.set(t, t.changed);
      t.changed = [];
    }
    this.log.push({ version, changed });
    const pending = this.pending = new PendingSnapshot(version, this.groupCount);
    return new KeyedSnapshot(this.keyGroupRange, [...this.tables.values()], pending, this.log.slice(), () => {
      if (this.pending === pending) this.pending = void 0;
    });
  }
  /** A checkpoint whose snapshot took `version` completed: change records up to it are no longer needed. */
  releaseChanges(version) {
    this.log = this.log.filter((r) => r.version > version);
  }
  /**
   * The state of `span` as one payload of plain Maps, synchronously (tests, and callers that
   * encode at once). Must be encoded before any further write: the values are shared.
   */
  snapshot(span = this.keyGroupRange) {
    const kinds = {};
    const groups = /* @__PURE__ */ new Map();
    for (const t of this.tables.values()) {
      kinds[t.name] = t.kind;
      t.groups.forEach((map, i) => {
        const kg = this.keyGroupRange.start + i;
        if (map === void 0 || map.size === 0 || kg < span.start || kg > span.end) return;
        let entry = groups.get(kg);
        if (entry === void 0) groups.set(kg, entry = {});
        entry[t.name] = new Map([...map].map(([k, e]) => [k, e.value]));
      });
    }
    return { keyGroupRange: span, kinds, groups: [...groups].sort((a, b2) => a[0] - b2[0]) };
  }
  /**
   * Takes the key groups of this backend's range from snapshots of any parallelism. Must be
   * given each span's full chunk before its deltas, and the deltas in the order written.
   */
  restore(payloads) {
    const { start, end } = this.keyGroupRange;
    for (const payload of payloads) {
      applyPayload(payload, start, end, (name, kind) => this.stateTable(name, kind), (t, g) => t.groups[g] ??= /* @__PURE__ */ new Map());
    }
  }
};

// src/runtime/task/keyed-chunk-reuse.ts
var spanKey = (span) => `${span.start}-${span.end}`;
function chainOrder(a, b2) {
  return (a.part === "delta" ? 1 : 0) - (b2.part === "delta" ? 1 : 0) || (a.seq ?? 0) - (b2.seq ?? 0);
}
function chainOf(handles) {
  const sorted = [...handles].sort(chainOrder);
  let fullBytes = 0;
  let deltaBytes = 0;
  for (const h of sorted) {
    if (h.part === "delta") deltaBytes += h.bytes;
    else fullBytes += h.bytes;
  }
  return { handles: sorted, fullBytes, deltaBytes };
}
var KeyedChunkReuse = class {
  confirmed = /* @__PURE__ */ new Map();
  /** The backend version the confirmed chains hold the state as of (0: the restored state). */
  confirmedVersion = 0;
  inFlight = /* @__PURE__ */ new Map();
  /** Restored chains that cover exactly one of this backend's spans are as good as written. */
  seed(handles, spans) {
    const wanted = new Set(spans.map(spanKey));
    const bySpan = /* @__PURE__ */ new Map();
    for (const handle of handles) {
      if (handle.part !== "state" && handle.part !== "delta" || handle.keyGroupRange === void 0) continue;
      const key = spanKey(handle.keyGroupRange);
      if (!wanted.has(key)) continue;
      const list = bySpan.get(key);
      if (list === void 0) bySpan.set(key, [handle]);
      else list.push(handle);
    }
    for (const [key, list] of bySpan) this.confirmed.set(key, chainOf(list));
    this.confirmedVersion = 0;
  }
  /** The confirmed chain of `span`, if there is one. */
  chainFor(span) {
    return this.confirmed.get(spanKey(span));
  }
  /** Changes after this version are what a delta over the confirmed chains must hold. */
  get since() {
    return this.confirmedVersion;
  }
  /** What snapshot `checkpointId` (of backend version `version`) holds for `span`. */
  record(checkpointId, version, span, chain) {
    let record = this.inFlight.get(checkpointId);
    if (record === void 0) this.inFlight.set(checkpointId, record = { version, spans: /* @__PURE__ */ new Map() });
    record.spans.set(spanKey(span), chain);
  }
  /**
   * Checkpoint `checkpointId` completed: its chains become the ones to build on (spans it lacks
   * are empty). Returns the backend version they hold, or undefined if this task took no part.
   */
  complete(checkpointId) {
    const record = this.inFlight.get(checkpointId);
    if (record === void 0) return void 0;
    this.confirmed = record.spans;
    this.confirmedVersion = record.version;
    for (const id of this.inFlight.keys()) if (id <= checkpointId) this.inFlight.delete(id);
    return record.version;
  }
  abort(checkpointId) {
    this.inFlight.delete(checkpointId);
  }
};

// src/state/checksum.ts
var TABLES = buildTables();
function buildTables() {
  const t = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 3988292384 ^ c >>> 1 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) {
      const prev = t[(s - 1) * 256 + n];
      t[s * 256 + n] = prev >>> 8 ^ t[prev & 255];
    }
  }
  return t;
}
function crc32(bytes) {
  const t = TABLES;
  const b2 = bytes;
  let c = -1;
  let i = 0;
  const last8 = b2.length - 8;
  for (; i <= last8; i += 8) {
    const x = c ^ (b2[i] | b2[i + 1] << 8 | b2[i + 2] << 16 | b2[i + 3] << 24);
    c = t[1792 + (x & 255)] ^ t[1536 + (x >>> 8 & 255)] ^ t[1280 + (x >>> 16 & 255)] ^ t[1024 + (x >>> 24)] ^ t[768 + b2[i + 4]] ^ t[512 + b2[i + 5]] ^ t[256 + b2[i + 6]] ^ t[b2[i + 7]];
  }
  for (; i < b2.length; i++) c = t[(c ^ b2[i]) & 255] ^ c >>> 8;
  return (c ^ -1) >>> 0;
}

// src/state/chunk-format.ts
var SNAPSHOT_FORMAT_VERSION = 1;
var CHUNK_KINDS = [
  "operator-state",
  "keyed-state",
  "sink-transaction",
  "checkpoint-metadata",
  "table-commit"
];
var CHUNK_HEADER_BYTES = 14;
var MAGIC = [87, 69, 73, 82];
function encodeChunk(kind, payload) {
  return frameChunk(kind, encodeValue(payload));
}
function frameChunk(kind, body) {
  const kindByte = CHUNK_KINDS.indexOf(kind) + 1;
  if (kindByte === 0) throw new InvalidArgumentError("kind", `expected one of ${CHUNK_KINDS.join(", ")}, got ${String(kind)}`);
  const bytes = new Uint8Array(CHUNK_HEADER_BYTES + body.length);
  const view2 = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[4] = SNAPSHOT_FORMAT_VERSION;
  bytes[5] = kindByte;
  view2.setUint32(6, body.length, true);
  view2.setUint32(10, crc32(body), true);
  bytes.set(body, CHUNK_HEADER_BYTES);
  return bytes;
}
function decodeChunk(bytes, expectedKind) {
  const header = readHeader(bytes);
  if (expectedKind !== void 0 && header.kind !== expectedKind) {
    throw new CorruptDataError(`expected a ${expectedKind} chunk, found a ${header.kind} chunk`, {
      expectedKind,
      foundKind: header.kind
    });
  }
  const body = bytes.subarray(CHUNK_HEADER_BYTES);
  const actual = crc32(body);
  if (actual !== header.checksum) {
    throw new CorruptDataError(
      `${header.kind} chunk fails its checksum (stored 0x${hex(header.checksum, 8)}, computed 0x${hex(actual, 8)})`,
      { kind: header.kind, storedChecksum: header.checksum, computedChecksum: actual }
    );
  }
  let payload;
  try {
    payload = decodeValue(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CorruptDataError(`${header.kind} chunk passes its checksum but cannot be decoded: ${reason}`, {
      kind: header.kind,
      cause: error
    });
  }
  return { kind: header.kind, payload };
}
function chunkChecksum(bytes) {
  return readHeader(bytes).checksum;
}
function readHeader(bytes) {
  if (bytes.length < CHUNK_HEADER_BYTES) {
    throw new CorruptDataError(`chunk is truncated: ${bytes.length} bytes, shorter than its ${CHUNK_HEADER_BYTES}-byte header`, {
      length: bytes.length
    });
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new CorruptDataError('not a Weir chunk: the first bytes are not "WEIR"', {
        foundMagic: Array.from(bytes.subarray(0, 4), (b2) => hex(b2, 2)).join("")
      });
    }
  }
  const version = bytes[4];
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new CorruptDataError(
      `chunk has snapshot format version ${version}; this build of Weir reads version ${SNAPSHOT_FORMAT_VERSION} only`,
      { foundVersion: version, supportedVersion: SNAPSHOT_FORMAT_VERSION }
    );
  }
  const kind = CHUNK_KINDS[bytes[5] - 1];
  if (kind === void 0) {
    throw new CorruptDataError(`chunk has an unknown kind byte ${bytes[5]}`, { kindByte: bytes[5] });
  }
  const view2 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view2.getUint32(6, true);
  const actualLength = bytes.length - CHUNK_HEADER_BYTES;
  if (length !== actualLength) {
    const what = actualLength < length ? "truncated" : "longer than its header says";
    throw new CorruptDataError(`${kind} chunk is ${what}: header says ${length} payload bytes, found ${actualLength}`, {
      kind,
      expectedLength: length,
      actualLength
    });
  }
  return { kind, checksum: view2.getUint32(10, true) };
}
function hex(n, digits) {
  return n.toString(16).padStart(digits, "0");
}

// src/state/storage-layout.ts
var pad = (n, width) => String(n).padStart(width, "0");
var part = (name) => encodeURIComponent(name);
var storageLayout = {
  jobPrefix: (job) => `jobs/${part(job)}/`,
  /** The token of the runner that owns the job now (see runner-epoch.ts). */
  epochKey: (job) => `jobs/${part(job)}/epoch`,
  /** The attempt whose sinks may commit now (see JobMaster.fenceAttempt). */
  attemptKey: (job) => `jobs/${part(job)}/attempt`,
  checkpointPrefix: (job) => `jobs/${part(job)}/checkpoints/`,
  checkpointMetadataKey: (job, checkpointId) => `jobs/${part(job)}/checkpoints/${pad(checkpointId, 12)}`,
  checkpointIdFromKey(key) {
    const id = Number(key.slice(key.lastIndexOf("/") + 1));
    return Number.isSafeInteger(id) ? id : void 0;
  },
  chunkPrefix: (job) => `jobs/${part(job)}/chunks/`,
  /** A chunk of one subtask's snapshot; the attempt keeps the chunks of a restarted run apart. */
  stateChunkKey: (job, checkpointId, attempt, operatorUid, subtaskIndex, kind) => `jobs/${part(job)}/chunks/${pad(checkpointId, 12)}/${attempt}/${part(operatorUid)}/${pad(subtaskIndex, 5)}/${kind}`,
  tablePrefix: (job, table) => `jobs/${part(job)}/tables/${part(table)}/`,
  /** One committed transaction of one sink subtask: written again, it is the same record. */
  tableCommitKey: (job, table, transactionId, subtaskIndex) => `jobs/${part(job)}/tables/${part(table)}/${pad(transactionId, 12)}-${pad(subtaskIndex, 5)}`
};

// src/runtime/task/subtask-snapshot.ts
var MAX_CHAIN = 16;
function planSpan(snapshot, span, reuse) {
  const chain = reuse?.chainFor(span);
  if (reuse === void 0 || chain === void 0 || chain.handles.length === 0) return { kind: "full" };
  const changed = snapshot.changedSince(span, reuse.since);
  if (changed === 0) return { kind: "reuse" };
  if (chain.handles.length >= MAX_CHAIN || chain.deltaBytes > chain.fullBytes || 4 * changed > snapshot.entries(span)) return { kind: "full" };
  return { kind: "delta", since: reuse.since };
}
var SubtaskSnapshot = class {
  constructor(operators, checkpointId, who, reuse, onChunk) {
    this.checkpointId = checkpointId;
    this.who = who;
    this.onChunk = onChunk;
    for (const op2 of operators) {
      const taken = op2.snapshotState(checkpointId);
      if (taken.operatorState !== void 0) this.add(op2.uid, "operator", "operator", encodeChunk("operator-state", taken.operatorState));
      const backend = taken.keyedBackend;
      if (backend !== void 0) {
        const tracker = reuse.get(op2.uid);
        const snapshot = backend.beginSnapshot();
        const chains = /* @__PURE__ */ new Map();
        for (const span of backend.spans()) {
          const plan = planSpan(snapshot, span, tracker);
          if (plan.kind === "reuse") this.reuseChain(tracker, snapshot.version, span);
          else chains.set(`${span.start}-${span.end}`, plan.kind === "delta" ? tracker.chainFor(span) : chainOf([]));
          snapshot.plan(span, plan);
        }
        this.keyed.push({ uid: op2.uid, snapshot, reuse: tracker, chains });
      }
      if (taken.keyedExtra !== void 0) {
        this.add(op2.uid, "keyed", "timers", encodeChunk("keyed-state", taken.keyedExtra), { keyGroupRange: who.keyGroupRange, part: "timers" });
      }
    }
    this.settle();
  }
  checkpointId;
  who;
  onChunk;
  /** Every chunk the snapshot references: written now, or reused. */
  handles = [];
  /** Bytes written now (the rest is reused). */
  persistedBytes = 0;
  keyed = [];
  get done() {
    return this.keyed.length === 0;
  }
  /** Encodes keyed state until about `budgetBytes` more are encoded or nothing is left; returns `done`. */
  step(budgetBytes) {
    let encoded = 0;
    while (this.keyed.length > 0 && encoded < budgetBytes) {
      const k = this.keyed[0];
      const before = k.snapshot.bytesEncoded;
      const span = k.snapshot.next();
      encoded += k.snapshot.bytesEncoded - before + 1;
      if (span !== void 0) {
        const key = `${span.span.start}-${span.span.end}`;
        const base = k.chains.get(key);
        if (span.kind === "delta") this.handles.push(...base.handles);
        const handle = this.add(k.uid, "keyed", `${span.kind === "full" ? "keyed" : "delta"}-${key}`, frameChunk("keyed-state", span.body), {
          keyGroupRange: span.span,
          part: span.kind === "full" ? "state" : "delta",
          seq: this.checkpointId
        });
        k.chains.set(key, span.kind === "full" ? chainOf([handle]) : chainOf([...base.handles, handle]));
      }
      this.settle();
    }
    return this.done;
  }
  /** Encodes what is left, at once. */
  finish() {
    this.step(Infinity);
  }
  /** Stops encoding: the checkpoint was given up (or the task stops). Writes already handed on are not taken back. */
  abandon() {
    for (const k of this.keyed) k.snapshot.close();
    this.keyed.length = 0;
  }
  /** Drops keyed snapshots that are fully encoded, recording their chains. */
  settle() {
    while (this.keyed.length > 0 && this.keyed[0].snapshot.done) {
      const k = this.keyed.shift();
      k.snapshot.close();
      for (const [key, chain] of k.chains) {
        const [start, end] = key.split("-").map(Number);
        k.reuse?.record(this.checkpointId, k.snapshot.version, { start, end }, chain);
      }
    }
  }
  reuseChain(tracker, version, span) {
    const chain = tracker.chainFor(span);
    this.handles.push(...chain.handles);
    tracker.record(this.checkpointId, version, span, chain);
  }
  add(uid, kind, name, bytes, extra = {}) {
    const key = storageLayout.stateChunkKey(this.who.jobName, this.checkpointId, this.who.attempt, uid, this.who.subtaskIndex, name);
    const handle = { key, kind, operatorUid: uid, subtaskIndex: this.who.subtaskIndex, bytes: bytes.byteLength, checksum: chunkChecksum(bytes), ...extra };
    this.handles.push(handle);
    this.persistedBytes += bytes.byteLength;
    this.onChunk(handle, bytes);
    return handle;
  }
};

// src/runtime/task/subtask-state-io.ts
function encodeSubtaskSnapshot(operators, checkpointId, who, reuse, onChunk) {
  const write2 = [];
  const snapshot = new SubtaskSnapshot(operators, checkpointId, who, reuse, (handle, bytes) => {
    write2.push({ handle, bytes });
    onChunk?.(handle, bytes);
  });
  snapshot.finish();
  return { write: write2, handles: snapshot.handles };
}

// src/graph/key-groups.ts
function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 2246822507);
  h ^= h >>> 13;
  h = Math.imul(h, 3266489909);
  h ^= h >>> 16;
  return h >>> 0;
}
function stringHash(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h;
}
function keyHash(key) {
  switch (typeof key) {
    case "string":
      return fmix32(stringHash(key));
    case "number":
      if ((key | 0) === key) return fmix32(key);
      return fmix32(stringHash(Object.is(key, -0) ? "0" : String(key)));
    case "bigint":
      return fmix32(stringHash(`${key}n`));
    case "boolean":
      return fmix32(key ? 1231 : 1237);
    default:
      throw new InvalidArgumentError("keyBy(keySelector)", `the key selector must return a string, number, bigint or boolean, got ${describeValue(key)}`);
  }
}
function keyGroupOf(key, maxParallelism) {
  return keyHash(key) % maxParallelism;
}
function keyGroupRangeOf(subtaskIndex, parallelism, maxParallelism) {
  return {
    start: Math.floor((subtaskIndex * maxParallelism + parallelism - 1) / parallelism),
    end: Math.floor(((subtaskIndex + 1) * maxParallelism - 1) / parallelism)
  };
}

// scratch/enc-new.ts
var range = keyGroupRangeOf(0, 1, 128);
var N = Number(process.env.N ?? 88e3);
var b = new HeapKeyedStateBackend(range);
var v = b.valueState("v");
var val = "x".repeat(100);
var cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
var t0 = cpu();
for (let i = 0; i < N; i++) {
  const k = `k${i}`;
  b.setCurrentKey(k, keyGroupOf(k, 128));
  v.update(val + i % 10);
}
console.log("fill", (cpu() - t0).toFixed(0));
var op = { uid: "op", keyedBackend: b, collect() {
}, processWatermark() {
}, initialize() {
}, snapshotState: () => ({ keyedBackend: b }) };
for (let r = 0; r < 5; r++) {
  const t1 = cpu();
  const snap = encodeSubtaskSnapshot([op], r + 1, { jobName: "j", attempt: 1, subtaskIndex: 0, keyGroupRange: range }, /* @__PURE__ */ new Map([["op", new KeyedChunkReuse()]]));
  const t2 = cpu();
  const payloads = snap.write.map((w) => decodeChunk(w.bytes, "keyed-state").payload);
  const t3 = cpu();
  const b2 = new HeapKeyedStateBackend(range);
  b2.restore(payloads);
  const t4 = cpu();
  console.log(`encode ${(t2 - t1).toFixed(0)} ms, decode ${(t3 - t2).toFixed(0)} ms, restore ${(t4 - t3).toFixed(0)} ms, bytes ${snap.write.reduce((n, w) => n + w.bytes.length, 0)}`);
}
