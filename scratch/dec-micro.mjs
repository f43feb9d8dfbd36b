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
  value: (v) => write(v),
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
function writeNumber(v) {
  if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
    if (v >= 0 && v < 128) buf[pos++] = T_FIXINT | v;
    else if (v >= -128 && v < 128) {
      buf[pos] = T_INT8;
      view.setInt8(pos + 1, v);
      pos += 2;
    } else if (v >= -32768 && v < 32768) {
      buf[pos] = T_INT16;
      view.setInt16(pos + 1, v, true);
      pos += 3;
    } else {
      buf[pos] = T_INT32;
      view.setInt32(pos + 1, v, true);
      pos += 5;
    }
  } else {
    buf[pos] = T_FLOAT64;
    view.setFloat64(pos + 1, v, true);
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
function writeBigInt(v) {
  if (v >= -0x8000000000000000n && v <= 0x7fffffffffffffffn) {
    buf[pos] = T_BIGINT64;
    view.setBigInt64(pos + 1, v, true);
    pos += 9;
    return;
  }
  let hex = (v < 0n ? -v : v).toString(16);
  if (hex.length % 2 === 1) hex = "0" + hex;
  const n = hex.length / 2;
  if (pos + 6 + n > buf.length) grow(6 + n);
  buf[pos] = T_BIGINT;
  buf[pos + 1] = v < 0n ? 1 : 0;
  view.setUint32(pos + 2, n, true);
  pos += 6;
  for (let i = 0; i < n; i++) buf[pos++] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
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
function writeBytes(tag, bytes2) {
  if (pos + 5 + bytes2.length > buf.length) grow(5 + bytes2.length);
  writeHeader(0, tag, bytes2.length);
  buf.set(bytes2, pos);
  pos += bytes2.length;
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
    for (const [k, v] of map) {
      key = k;
      inKey = true;
      write(k);
      inKey = false;
      write(v);
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
function decodeValue(bytes2) {
  input = bytes2;
  inputView = new DataView(bytes2.buffer, bytes2.byteOffset, bytes2.byteLength);
  at = 0;
  try {
    const value = read(0);
    if (at !== bytes2.length) corrupt(`${bytes2.length - at} unexpected bytes after the value`);
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
  let v;
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
      v = inputView.getInt8(at);
      at += 1;
      return v;
    case T_INT16:
      need(2);
      v = inputView.getInt16(at, true);
      at += 2;
      return v;
    case T_INT32:
      need(4);
      v = inputView.getInt32(at, true);
      at += 4;
      return v;
    case T_FLOAT64:
      need(8);
      v = inputView.getFloat64(at, true);
      at += 8;
      return v;
    case T_BIGINT64:
      need(8);
      v = inputView.getBigInt64(at, true);
      at += 8;
      return v;
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
      v = new Date(inputView.getFloat64(at, true));
      at += 8;
      return v;
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
  const b = input;
  switch (n) {
    case 0:
      return "";
    case 1:
      return fromCodes(b[p]);
    case 2:
      return fromCodes(b[p], b[p + 1]);
    case 3:
      return fromCodes(b[p], b[p + 1], b[p + 2]);
    case 4:
      return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3]);
    case 5:
      return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4]);
    case 6:
      return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5]);
    case 7:
      return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6]);
    default:
      return fromCodes(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
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
  let hex = "0x0";
  for (let i = 0; i < n; i++) hex += input[at++].toString(16).padStart(2, "0");
  const magnitude = BigInt(hex);
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

// scratch/dec-micro.ts
var N = 88e3;
var m = /* @__PURE__ */ new Map();
for (let i = 0; i < N; i++) m.set(`k${i}`, "x".repeat(95) + String(i % 1e5).padStart(6, "0"));
var payload = { keyGroupRange: { start: 0, end: 127 }, kinds: { v: "value" }, groups: [[0, { v: m }]] };
var bytes = encodeValue(payload);
var cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
for (let r = 0; r < 5; r++) {
  const a = cpu();
  const d = decodeValue(bytes);
  const b = cpu();
  console.log("decode", (b - a).toFixed(0), "ms", ((b - a) * 1e6 / N).toFixed(0), "ns/entry", bytes.length, d.groups.length);
}
