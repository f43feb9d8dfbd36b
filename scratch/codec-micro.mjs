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

// src/channel/batch-codec.ts
var MAGIC = 826491479;
var SCALAR = 0;
var OBJECT = 1;
var F64 = 1;
var STR = 2;
var BOOL = 3;
var U16 = 4;
var I32 = 5;
var H_COUNT = 1;
var H_SHAPE = 2;
var H_FIELDS = 3;
var H_NAMES = 4;
var H_SEGMENTS = 5;
var H_SEGMENT_COUNT = 6;
var H_STRINGS = 7;
var H_COLUMNS = 8;
var BYTES_PER = [0, 8, 4, 1, 2, 4];
var KEEP_SCRATCH_BYTES = 8 * 1024 * 1024;
var encoder = new TextEncoder();
var decoder;
var isWellFormed = typeof String.prototype.isWellFormed === "function" ? (s) => s.isWellFormed() : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
var SEGMENT_CHARS = 16 * 1024;
var MIN_VIEW_CHARS = 13;
var StringSink = class {
  bytes = new Uint8Array(64 * 1024);
  used = 0;
  /** UTF-16 units in closed segments. */
  chars = 0;
  pending = "";
  /** (char end, byte end) per closed segment. */
  segments = [];
  reset() {
    this.used = 0;
    this.chars = 0;
    this.pending = "";
    this.segments = [];
    return this;
  }
  /** Appends s; returns its end offset in the table, or -1 if it ends in a lone surrogate. */
  add(s) {
    if ((s.charCodeAt(s.length - 1) & 64512) === 55296) return -1;
    const pending = this.pending + s;
    const end = this.chars + pending.length;
    if (pending.length < SEGMENT_CHARS) this.pending = pending;
    else if (!this.flush(pending)) return -1;
    return end;
  }
  /** Closes the open segment; false if it has a lone surrogate. */
  end() {
    return this.pending.length === 0 || this.flush(this.pending);
  }
  flush(segment) {
    const need = this.used + 3 * segment.length;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.bytes.length));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    const { written } = encoder.encodeInto(segment, this.bytes.subarray(this.used));
    if (written !== segment.length && !isWellFormed(segment)) return false;
    this.used += written;
    this.chars += segment.length;
    this.pending = "";
    this.segments.push(this.chars, this.used);
    return true;
  }
};
var StringSource = class {
  constructor(utf8, bytes, segments) {
    this.utf8 = utf8;
    this.bytes = bytes;
    this.segments = segments;
  }
  utf8;
  bytes;
  segments;
  segment = -1;
  segmentStart = 0;
  segmentEnd = 0;
  text = "";
  at = 0;
  /** The next string in table order, which ends at `end`. */
  next(end) {
    if (end > this.segmentEnd) this.advance(end);
    const start = this.at;
    if (end < start) throw corrupt(`string ends at ${end} before it starts at ${start}`);
    this.at = end;
    const s = this.text.slice(start - this.segmentStart, end - this.segmentStart);
    return end - start < MIN_VIEW_CHARS ? s : ("\0" + s).slice(1);
  }
  advance(end) {
    const k = ++this.segment;
    if (this.at !== this.segmentEnd || 2 * k + 1 >= this.segments.length) throw corrupt(`string table ends before ${end}`);
    this.segmentStart = this.segmentEnd;
    this.segmentEnd = this.segments[2 * k];
    this.text = this.utf8.decode(this.bytes.subarray(k === 0 ? 0 : this.segments[2 * k - 1], this.segments[2 * k + 1]));
    if (this.text.length !== this.segmentEnd - this.segmentStart || end > this.segmentEnd) throw corrupt(`segment ${k} does not fit`);
  }
};
function buildObjects(n, names, values) {
  const out = new Array(n);
  const [a, b, c, d, e, f, g, h] = names;
  const [A, B, C, D, E, F, G, H] = values;
  switch (names.length) {
    case 0:
      for (let i = 0; i < n; i++) out[i] = {};
      break;
    case 1:
      for (let i = 0; i < n; i++) out[i] = { [a]: A[i] };
      break;
    case 2:
      for (let i = 0; i < n; i++) out[i] = { [a]: A[i], [b]: B[i] };
      break;
    case 3:
      for (let i = 0; i < n; i++) out[i] = { [a]: A[i], [b]: B[i], [c]: C[i] };
      break;
    case 4:
      for (let i = 0; i < n; i++) out[i] = { [a]: A[i], [b]: B[i], [c]: C[i], [d]: D[i] };
      break;
    case 5:
      for (let i = 0; i < n; i++) out[i] = { [a]: A[i], [b]: B[i], [c]: C[i], [d]: D[i], [e]: E[i] };
      break;
    case 6:
      for (let i = 0; i < n; i++) out[i] = { [a]: A[i], [b]: B[i], [c]: C[i], [d]: D[i], [e]: E[i], [f]: F[i] };
      break;
    case 7:
      for (let i = 0; i < n; i++) out[i] = { [a]: A[i], [b]: B[i], [c]: C[i], [d]: D[i], [e]: E[i], [f]: F[i], [g]: G[i] };
      break;
    default:
      for (let i = 0; i < n; i++) {
        const o = { [a]: A[i], [b]: B[i], [c]: C[i], [d]: D[i], [e]: E[i], [f]: F[i], [g]: G[i], [h]: H[i] };
        for (let j = 8; j < names.length; j++) o[names[j]] = values[j][i];
        out[i] = o;
      }
  }
  return out;
}
var scratch = new ArrayBuffer(64 * 1024);
var sink = new StringSink();
var busy = false;
function kindOf(value) {
  switch (typeof value) {
    case "number":
      return F64;
    case "string":
      return STR;
    case "boolean":
      return BOOL;
    default:
      return 0;
  }
}
var align8 = (n) => n + 7 & ~7;
function objectSchema(first) {
  if (typeof first !== "object" || first === null || Object.getPrototypeOf(first) !== Object.prototype) return void 0;
  for (const _ in Object.prototype) return void 0;
  const names = Object.keys(first);
  if (Object.getOwnPropertyNames(first).length !== names.length || Object.getOwnPropertySymbols(first).length !== 0) return void 0;
  const kinds = [];
  for (const name of names) {
    const kind = name === "__proto__" ? 0 : kindOf(Object.getOwnPropertyDescriptor(first, name)?.value);
    if (kind === 0) return void 0;
    kinds.push(kind);
  }
  return { names, kinds };
}
function keyGroupsKind(groups) {
  let kind = U16;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (typeof g !== "number" || (g | 0) !== g || g === 0 && 1 / g < 0) return 0;
    if (g < 0 || g > 65535) kind = I32;
  }
  return kind;
}
function fillScalars(values, n, kind, view, strings) {
  if (kind === F64) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== "number") return false;
      view[i] = v;
    }
  } else if (kind === BOOL) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== "boolean") return false;
      view[i] = v ? 1 : 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== "string") return false;
      const end = strings.add(v);
      if (end < 0) return false;
      view[i] = end;
    }
  }
  return true;
}
function writeField(v, i, kind, view, strings) {
  if (kind === F64) {
    if (typeof v !== "number") return false;
    view[i] = v;
  } else if (kind === STR) {
    if (typeof v !== "string") return false;
    const end = strings.add(v);
    if (end < 0) return false;
    view[i] = end;
  } else {
    if (typeof v !== "boolean") return false;
    view[i] = v ? 1 : 0;
  }
  return true;
}
var propertyIsEnumerable = Object.prototype.propertyIsEnumerable;
function fillObjects(records, n, names, kinds, views, strings) {
  const m = names.length;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    if (typeof r !== "object" || r === null || r.constructor !== Object || Object.getPrototypeOf(r) !== Object.prototype) return false;
    let j = 0;
    let ordered = true;
    for (const key in r) {
      if (j === m || key !== names[j]) {
        ordered = false;
        break;
      }
      const v = r[key];
      const kind = kinds[j];
      if (kind === F64) {
        if (typeof v !== "number") return false;
        views[j][i] = v;
      } else if (kind === STR) {
        if (typeof v !== "string") return false;
        const end = strings.add(v);
        if (end < 0) return false;
        views[j][i] = end;
      } else {
        if (typeof v !== "boolean") return false;
        views[j][i] = v ? 1 : 0;
      }
      j++;
    }
    if (ordered) {
      if (j !== m) return false;
      continue;
    }
    if (Object.keys(r).length !== m) return false;
    for (let t = j; t < m; t++) {
      const name = names[t];
      if (!propertyIsEnumerable.call(r, name) || !writeField(r[name], i, kinds[t], views[t], strings)) return false;
    }
  }
  return true;
}
function viewOf(kind, buffer, offset, n) {
  switch (kind) {
    case F64:
      return new Float64Array(buffer, offset, n);
    case STR:
      return new Uint32Array(buffer, offset, n);
    case BOOL:
      return new Uint8Array(buffer, offset, n);
    case U16:
      return new Uint16Array(buffer, offset, n);
    case I32:
      return new Int32Array(buffer, offset, n);
    default:
      throw new RangeError(`column kind ${kind}`);
  }
}
function encodeBatch(batch, spare2) {
  const { records, keys, keyGroups } = batch;
  if (!Array.isArray(records)) return void 0;
  const n = records.length;
  let keysKind = 0;
  if (keys !== void 0) {
    if (!Array.isArray(keys) || keys.length !== n) return void 0;
    keysKind = n === 0 ? F64 : kindOf(keys[0]);
    if (keysKind === 0) return void 0;
  }
  let groupsKind = 0;
  if (keyGroups !== void 0) {
    if (!Array.isArray(keyGroups) || keyGroups.length !== n) return void 0;
    groupsKind = keyGroupsKind(keyGroups);
    if (groupsKind === 0) return void 0;
  }
  let shape = SCALAR;
  let names = [];
  let kinds = [F64];
  if (n > 0) {
    const k = kindOf(records[0]);
    if (k !== 0) kinds = [k];
    else {
      const schema = objectSchema(records[0]);
      if (schema === void 0) return void 0;
      ({ names, kinds } = schema);
      shape = OBJECT;
    }
  }
  const columns = kinds.length;
  const columnKinds = [...kinds, keysKind, groupsKind];
  const headerWords = H_COLUMNS + 2 * columnKinds.length;
  let at = align8(headerWords * 4);
  const namesOffset = at;
  at = align8(at + 4 * names.length);
  const offsets = [];
  for (const kind of columnKinds) {
    offsets.push(at);
    at = align8(at + n * BYTES_PER[kind]);
  }
  const fixedBytes = at;
  if (fixedBytes > 4294967295) return void 0;
  const outerBusy = busy;
  busy = true;
  try {
    if (!outerBusy && scratch.byteLength < fixedBytes) scratch = new ArrayBuffer(Math.max(fixedBytes, 2 * scratch.byteLength));
    const work = outerBusy ? new ArrayBuffer(fixedBytes) : scratch;
    const strings = outerBusy ? new StringSink() : sink.reset();
    const header = new Uint32Array(work, 0, headerWords);
    header[0] = MAGIC;
    header[H_COUNT] = n;
    header[H_SHAPE] = shape;
    header[H_FIELDS] = columns;
    header[H_NAMES] = namesOffset;
    const views = [];
    for (let c = 0; c < columnKinds.length; c++) {
      header[H_COLUMNS + 2 * c] = columnKinds[c];
      header[H_COLUMNS + 2 * c + 1] = offsets[c];
      if (columnKinds[c] !== 0) views[c] = viewOf(columnKinds[c], work, offsets[c], n);
    }
    const ok = fillScalars(names, names.length, STR, new Uint32Array(work, namesOffset, names.length), strings) && (shape === OBJECT ? fillObjects(records, n, names, kinds, views, strings) : fillScalars(records, n, kinds[0], views[0], strings)) && (keysKind === 0 || fillScalars(keys, n, keysKind, views[columns], strings)) && strings.end();
    if (!ok) return void 0;
    if (groupsKind !== 0) views[columns + 1].set(keyGroups);
    const segments = strings.segments;
    const segmentsOffset = fixedBytes;
    const stringsOffset = segmentsOffset + 4 * segments.length;
    const total = stringsOffset + strings.used;
    if (total > 4294967295) return void 0;
    header[H_SEGMENTS] = segmentsOffset;
    header[H_SEGMENT_COUNT] = segments.length / 2;
    header[H_STRINGS] = stringsOffset;
    const buffer = spare2 !== void 0 && spare2.byteLength >= total ? spare2 : new ArrayBuffer(total);
    const bytes = new Uint8Array(buffer);
    bytes.set(new Uint8Array(work, 0, fixedBytes));
    new Uint32Array(buffer, segmentsOffset, segments.length).set(segments);
    bytes.set(strings.bytes.subarray(0, strings.used), stringsOffset);
    return { buffer };
  } catch {
    return void 0;
  } finally {
    busy = outerBusy;
    if (!outerBusy && scratch.byteLength > KEEP_SCRATCH_BYTES) scratch = new ArrayBuffer(64 * 1024);
    if (!outerBusy && sink.bytes.byteLength > KEEP_SCRATCH_BYTES) sink = new StringSink();
  }
}
function decodeBatch(buffer) {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < H_COLUMNS * 4) throw corrupt("too short");
  const head = new Uint32Array(buffer, 0, H_COLUMNS);
  if (head[0] !== MAGIC) throw corrupt("bad magic");
  try {
    const n = head[H_COUNT];
    const shape = head[H_SHAPE];
    const columns = head[H_FIELDS];
    const dir = new Uint32Array(buffer, 0, H_COLUMNS + 2 * (columns + 2));
    const kinds = [];
    const views = [];
    for (let c = 0; c < columns + 2; c++) {
      const kind = dir[H_COLUMNS + 2 * c];
      const valid = c < columns ? kind >= F64 && kind <= BOOL : c === columns ? kind <= BOOL : kind === 0 || kind >= U16;
      if (!valid) throw corrupt(`column ${c} has kind ${kind}`);
      kinds.push(kind);
      views.push(kind === 0 ? void 0 : viewOf(kind, buffer, dir[H_COLUMNS + 2 * c + 1], n));
    }
    decoder ??= new TextDecoder("utf-8", { ignoreBOM: true });
    const segments = new Uint32Array(buffer, head[H_SEGMENTS], 2 * head[H_SEGMENT_COUNT]);
    const strings = new StringSource(decoder, new Uint8Array(buffer, head[H_STRINGS]), segments);
    const fields = shape === OBJECT ? columns : 0;
    const names = decodeScalars(fields, STR, new Uint32Array(buffer, head[H_NAMES], fields), strings);
    if (names.includes("__proto__")) throw corrupt("a field named __proto__");
    let records;
    if (shape === OBJECT) {
      const values = [];
      const textColumns = [];
      const textEnds = [];
      for (let j = 0; j < columns; j++) {
        if (kinds[j] === STR) {
          textColumns.push(values[j] = new Array(n));
          textEnds.push(views[j]);
        } else values[j] = kinds[j] === F64 ? views[j] : decodeScalars(n, BOOL, views[j], strings);
      }
      for (let i = 0; i < n; i++) for (let q = 0; q < textColumns.length; q++) textColumns[q][i] = strings.next(textEnds[q][i]);
      records = buildObjects(n, names, values);
    } else if (shape === SCALAR && columns === 1) records = decodeScalars(n, kinds[0], views[0], strings);
    else throw corrupt(`shape ${shape}`);
    const batch = { kind: "records", records };
    if (kinds[columns] !== 0) batch.keys = decodeScalars(n, kinds[columns], views[columns], strings);
    const groups = views[columns + 1];
    if (groups !== void 0) batch.keyGroups = Array.from(groups);
    return batch;
  } catch (error) {
    throw error instanceof CorruptDataError ? error : corrupt("inconsistent layout", error);
  }
}
function decodeScalars(n, kind, view, strings) {
  const out = new Array(n);
  if (kind === F64) for (let i = 0; i < n; i++) out[i] = view[i];
  else if (kind === STR) for (let i = 0; i < n; i++) out[i] = strings.next(view[i]);
  else for (let i = 0; i < n; i++) out[i] = view[i] !== 0;
  return out;
}
function corrupt(reason, cause) {
  const error = new CorruptDataError(`not a packed record batch: ${reason}`, { codec: "batch-codec" });
  if (cause !== void 0) Object.defineProperty(error, "cause", { value: cause, configurable: true, writable: true });
  return error;
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

// scratch/codec-micro.ts
var words = [];
for (let i = 0; i < 1e3; i++) words.push(Math.random().toString(36).slice(2, 10).padEnd(8, "x"));
var batches = Array.from({ length: 50 }, (_, b) => {
  const records = Array.from({ length: 1024 }, (_2, i) => ({ k: words[(b * 1024 + i) % 1e3], v: 1 + i % 10, t: b * 1024 + i }));
  return { kind: "records", records, keyGroups: records.map((r) => keyGroupOf(r.k, 128)) };
});
var cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
var spare;
for (let round = 0; round < 3; round++) {
  let tE = 0, tD = 0;
  let n = 0;
  for (let k = 0; k < 40; k++) for (const b of batches) {
    const a = cpu();
    const enc = encodeBatch(b, spare);
    const m = cpu();
    const dec = decodeBatch(enc.buffer);
    const z = cpu();
    spare = enc.buffer;
    tE += m - a;
    tD += z - m;
    n += dec.records.length;
  }
  console.log(`encode ${(tE * 1e6 / n).toFixed(0)} ns/rec, decode ${(tD * 1e6 / n).toFixed(0)} ns/rec`);
}
