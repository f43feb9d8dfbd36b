// ../../../tmp/perf/old/src/errors/weir-error.ts
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

// ../../../tmp/perf/old/src/errors/argument-checks.ts
function describeValue(value) {
  if (value === null) return "null";
  if (value === void 0) return "undefined";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "\u2026" : value)}`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  return `${typeof value}`;
}

// ../../../tmp/perf/old/src/state/heap-keyed-state-backend.ts
var KEY_GROUPS_PER_CHUNK = 8;
var HeapKeyedStateBackend = class {
  constructor(keyGroupRange) {
    this.keyGroupRange = keyGroupRange;
    this.modifiedAt = new Int32Array(Math.max(0, keyGroupRange.end - keyGroupRange.start + 1)).fill(-1);
  }
  keyGroupRange;
  tables = /* @__PURE__ */ new Map();
  handles = /* @__PURE__ */ new Map();
  currentKey;
  currentGroup = 0;
  /** Snapshots taken so far; a write marks its key group with the current value. */
  version = 0;
  /** Per key group (relative to the range start): the version of its last write, -1 if none since restore. */
  modifiedAt;
  setCurrentKey(key, keyGroup) {
    this.currentKey = key;
    this.currentGroup = keyGroup - this.keyGroupRange.start;
  }
  /** The current key's group (absolute, as keyGroupOf gives it). */
  getCurrentKeyGroup() {
    return this.currentGroup + this.keyGroupRange.start;
  }
  getCurrentKey() {
    if (this.currentKey === void 0) throw new InvalidArgumentError("keyed state", "is only available while a keyed record or timer is processed");
    return this.currentKey;
  }
  /** The map of one state for the current key's group (created on first use). */
  mapOf(table) {
    return table.groups[this.currentGroup] ??= /* @__PURE__ */ new Map();
  }
  /** The same map, for a write: marks the key group changed, for incremental snapshots. */
  writable(table) {
    this.modifiedAt[this.currentGroup] = this.version;
    return table.groups[this.currentGroup] ??= /* @__PURE__ */ new Map();
  }
  table(name, kind) {
    let table = this.tables.get(name);
    if (table === void 0) {
      table = { kind, groups: [] };
      this.tables.set(name, table);
    } else if (table.kind !== kind) {
      throw new InvalidArgumentError(`state '${name}'`, `is ${table.kind} state; it cannot also be used as ${kind} state`);
    }
    return table;
  }
  handle(name, kind, create) {
    const table = this.table(name, kind);
    let handle = this.handles.get(name);
    if (handle === void 0) {
      handle = create(table);
      this.handles.set(name, handle);
    }
    return handle;
  }
  valueState(name, defaultValue) {
    return this.handle(name, "value", (table) => ({
      value: () => {
        const v2 = this.mapOf(table).get(this.getCurrentKey());
        return v2 === void 0 ? defaultValue : v2;
      },
      update: (value) => void this.writable(table).set(this.getCurrentKey(), value),
      clear: () => void this.writable(table).delete(this.getCurrentKey())
    }));
  }
  /**
   * Value state without the checks of a user-facing handle, for Weir's own operators on the hot
   * path: the caller guarantees a current key is set (the task sets it before every record).
   */
  valueCell(name) {
    const table = this.table(name, "value");
    return {
      get: () => table.groups[this.currentGroup]?.get(this.currentKey),
      set: (value) => {
        this.modifiedAt[this.currentGroup] = this.version;
        (table.groups[this.currentGroup] ??= /* @__PURE__ */ new Map()).set(this.currentKey, value);
      },
      clear: () => {
        const group = table.groups[this.currentGroup];
        if (group?.delete(this.currentKey)) this.modifiedAt[this.currentGroup] = this.version;
      }
    };
  }
  listState(name) {
    return this.handle(name, "list", (table) => {
      const list = (create) => {
        const map = create ? this.writable(table) : this.mapOf(table);
        let l = map.get(this.getCurrentKey());
        if (l === void 0 && create) map.set(this.getCurrentKey(), l = []);
        return l;
      };
      return {
        get: () => list(false)?.slice() ?? [],
        add: (value) => void list(true).push(value),
        addAll: (values) => void list(true).push(...values),
        update: (values) => void this.writable(table).set(this.getCurrentKey(), [...values]),
        clear: () => void this.writable(table).delete(this.getCurrentKey())
      };
    });
  }
  mapState(name) {
    return this.handle(name, "map", (table) => {
      const inner = (create) => {
        const map = create ? this.writable(table) : this.mapOf(table);
        let m = map.get(this.getCurrentKey());
        if (m === void 0 && create) map.set(this.getCurrentKey(), m = /* @__PURE__ */ new Map());
        return m;
      };
      const empty = /* @__PURE__ */ new Map();
      return {
        get: (k) => inner(false)?.get(k),
        put: (k, v2) => void inner(true).set(k, v2),
        putAll: (entries) => {
          const m = inner(true);
          for (const [k, v2] of entries) m.set(k, v2);
        },
        contains: (k) => inner(false)?.has(k) ?? false,
        remove: (k) => {
          const m = inner(true);
          m.delete(k);
          if (m.size === 0) this.mapOf(table).delete(this.getCurrentKey());
        },
        entries: () => (inner(false) ?? empty).entries(),
        keys: () => (inner(false) ?? empty).keys(),
        values: () => (inner(false) ?? empty).values(),
        isEmpty: () => (inner(false)?.size ?? 0) === 0,
        clear: () => void this.writable(table).delete(this.getCurrentKey())
      };
    });
  }
  reducingState(name, reduce) {
    return this.handle(name, "reducing", (table) => ({
      get: () => this.mapOf(table).get(this.getCurrentKey()),
      add: (value) => {
        const map = this.writable(table);
        const key = this.getCurrentKey();
        const current = map.get(key);
        map.set(key, current === void 0 ? value : reduce(current, value));
      },
      clear: () => void this.writable(table).delete(this.getCurrentKey())
    }));
  }
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
  /** The version of the last write in `span` (-1: none since the restore). */
  lastModified(span) {
    let m = -1;
    for (let kg = span.start; kg <= span.end; kg++) m = Math.max(m, this.modifiedAt[kg - this.keyGroupRange.start]);
    return m;
  }
  /** Starts a snapshot: returns its version; writes from now on are newer than it. */
  beginSnapshot() {
    return this.version++;
  }
  /**
   * Must be called synchronously at the barrier and its result encoded before any further
   * record is processed: the maps are shared, not copied.
   */
  snapshot(span = this.keyGroupRange) {
    const kinds = {};
    const groups = /* @__PURE__ */ new Map();
    for (const [name, table] of this.tables) {
      kinds[name] = table.kind;
      table.groups.forEach((map, i) => {
        if (map === void 0 || map.size === 0) return;
        const kg = this.keyGroupRange.start + i;
        if (kg < span.start || kg > span.end) return;
        let entry = groups.get(kg);
        if (entry === void 0) groups.set(kg, entry = {});
        entry[name] = map;
      });
    }
    return { keyGroupRange: span, kinds, groups: [...groups].sort((a, b2) => a[0] - b2[0]) };
  }
  /** Takes the key groups of this backend's range from snapshots of any parallelism. */
  restore(payloads) {
    const { start, end } = this.keyGroupRange;
    for (const payload of payloads) {
      for (const [kg, states] of payload.groups) {
        if (kg < start || kg > end) continue;
        for (const [name, map] of Object.entries(states)) {
          this.table(name, payload.kinds[name] ?? "value").groups[kg - start] = map;
        }
      }
    }
  }
};

// ../../../tmp/perf/old/src/runtime/task/keyed-chunk-reuse.ts
var spanKey = (span) => `${span.start}-${span.end}`;
var KeyedChunkReuse = class {
  confirmed = /* @__PURE__ */ new Map();
  inFlight = /* @__PURE__ */ new Map();
  /** Restored chunks that cover exactly one of this backend's spans are as good as written. */
  seed(handles, spans) {
    const wanted = new Set(spans.map(spanKey));
    for (const handle of handles) {
      if (handle.part !== "state" || handle.keyGroupRange === void 0) continue;
      const key = spanKey(handle.keyGroupRange);
      if (wanted.has(key)) this.confirmed.set(key, { handle, takenAt: -1 });
    }
  }
  /** The chunk to reference for `span`, if it is unchanged since a confirmed snapshot; else undefined. */
  reusable(span, lastModified) {
    const chunk = this.confirmed.get(spanKey(span));
    return chunk !== void 0 && lastModified <= chunk.takenAt ? chunk.handle : void 0;
  }
  /** What snapshot `checkpointId` holds for `span` (written now, or reused). */
  record(checkpointId, span, handle, takenAt) {
    let spans = this.inFlight.get(checkpointId);
    if (spans === void 0) this.inFlight.set(checkpointId, spans = /* @__PURE__ */ new Map());
    const reused = this.confirmed.get(spanKey(span));
    spans.set(spanKey(span), reused?.handle === handle ? reused : { handle, takenAt });
  }
  /** Checkpoint `checkpointId` completed: its chunks become the reusable ones (spans it lacks are empty). */
  complete(checkpointId) {
    const spans = this.inFlight.get(checkpointId);
    if (spans === void 0) return;
    this.confirmed = spans;
    for (const id of this.inFlight.keys()) if (id <= checkpointId) this.inFlight.delete(id);
  }
  abort(checkpointId) {
    this.inFlight.delete(checkpointId);
  }
};

// ../../../tmp/perf/old/src/state/checksum.ts
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

// ../../../tmp/perf/old/src/state/value-tags.ts
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

// ../../../tmp/perf/old/src/state/value-encoder.ts
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
  const outer = busy ? { buf, view, pos, depth, ancestors: ancestors.splice(0) } : void 0;
  if (outer !== void 0) setBuffer(new Uint8Array(1024));
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
    if (outer !== void 0) {
      ({ buf, view, pos, depth } = outer);
      ancestors.push(...outer.ancestors);
    } else {
      busy = false;
      if (buf.length > KEEP_SCRATCH_BYTES) setBuffer(new Uint8Array(64 * 1024));
    }
  }
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

// ../../../tmp/perf/old/src/state/value-decoder.ts
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

// ../../../tmp/perf/old/src/state/chunk-format.ts
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
  const kindByte = CHUNK_KINDS.indexOf(kind) + 1;
  if (kindByte === 0) throw new InvalidArgumentError("kind", `expected one of ${CHUNK_KINDS.join(", ")}, got ${String(kind)}`);
  const body = encodeValue(payload);
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

// ../../../tmp/perf/old/src/state/storage-layout.ts
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

// ../../../tmp/perf/old/src/runtime/task/subtask-state-io.ts
function encodeSubtaskSnapshot(operators, checkpointId, who, reuse, onChunk) {
  const snapshot = { write: [], handles: [] };
  for (const op2 of operators) {
    const taken = op2.snapshotState(checkpointId);
    const add = (kind, name, bytes, extra = {}) => {
      const key = storageLayout.stateChunkKey(who.jobName, checkpointId, who.attempt, op2.uid, who.subtaskIndex, name);
      const handle = { key, kind, operatorUid: op2.uid, subtaskIndex: who.subtaskIndex, bytes: bytes.byteLength, checksum: chunkChecksum(bytes), ...extra };
      snapshot.write.push({ handle, bytes });
      onChunk?.(handle, bytes);
      snapshot.handles.push(handle);
      return handle;
    };
    if (taken.operatorState !== void 0) add("operator", "operator", encodeChunk("operator-state", taken.operatorState));
    const backend = taken.keyedBackend;
    if (backend !== void 0) {
      const tracker = reuse.get(op2.uid);
      const version = backend.beginSnapshot();
      for (const span of backend.spans()) {
        const lastModified = backend.lastModified(span);
        const reused = tracker?.reusable(span, lastModified);
        if (reused !== void 0) {
          snapshot.handles.push(reused);
          tracker?.record(checkpointId, span, reused, version);
          continue;
        }
        const payload = backend.snapshot(span);
        if (payload.groups.length === 0) continue;
        const handle = add("keyed", `keyed-${span.start}-${span.end}`, encodeChunk("keyed-state", payload), { keyGroupRange: span, part: "state" });
        tracker?.record(checkpointId, span, handle, version);
      }
    }
    if (taken.keyedExtra !== void 0) {
      add("keyed", "timers", encodeChunk("keyed-state", taken.keyedExtra), { keyGroupRange: who.keyGroupRange, part: "timers" });
    }
  }
  return snapshot;
}

// ../../../tmp/perf/old/src/graph/key-groups.ts
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

// scratch/enc-old.ts
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
