import { CorruptDataError } from '../errors/index.js';
import type { StateKey } from '../state/keyed-state.js';
import type { RecordBatch } from './channel-message.js';
import { buildObjects } from './batch-objects.js';
import { corrupt, StringSink, StringSource } from './batch-string-table.js';

// Packs a RecordBatch into one transferable, columnar ArrayBuffer, so a batch crosses a
// MessagePort without structured clone (PLATFORM-LIMITS.md: ~9x faster, encode + decode included).
//
// Must return undefined rather than encode anything lossily: the receiver cannot tell.
// Must decode to records deep-equal to the originals (Object.is for every value, -0 included;
// only a NaN's payload bits may change), with the same own keys and types; the caller then
// falls back to structured clone.
//
// Encoded: every record a number; every record a string; every record a boolean; or every
// record a plain object (prototype exactly Object.prototype) with the same own enumerable
// string keys, each field holding one type in every record: number, string or boolean.
// Keys, if present, all numbers, all strings or all booleans; key groups all int32 integers.
// Refused (undefined): null or undefined anywhere (a nullable field too), bigint, nested
// objects, arrays, class instances, Dates, Maps, null-prototype objects, a '__proto__' or
// 'constructor' key, extra or missing keys, a type change within a field, a string with a
// lone surrogate (UTF-8 cannot carry it), keys or keyGroups whose length is not the records'.
// Decoded objects take the first record's key order, whatever order a later record had.
// Checked on the first record only: accessors, non-enumerable own properties, symbol keys.
// Per record these checks cost more than the whole codec (bench/batch-codec.bench.ts, `strict
// check`); a later record that has them is read as its own enumerable values, which is also
// exactly what structured clone keeps. Not kept, unlike structured clone: identity (one object
// twice in a batch decodes as two equal objects). An undefined `keys`/`keyGroups` decodes as absent.
//
// Layout, native endianness (both ends are threads of one process; a mismatch fails MAGIC):
//   header    Uint32 words, see H_*; then (kind, byte offset) per value column (one for a
//             scalar shape), the keys column and the keyGroups column (kind 0: absent).
//   names     Uint32 end offsets of the field names in the string table.
//   columns   each 8-byte aligned. F64: Float64Array. BOOL: Uint8Array of 0/1. U16/I32: key
//             groups. STR: Uint32Array of end offsets, in UTF-16 units, into the string table.
//   segments  (char end, byte end) Uint32 pairs: the string table cut into UTF-8 segments.
//   strings   UTF-8 of every string in encoding order: field names, then each record's string
//             fields in field order, then string keys.

const MAGIC = 0x31434257; // 'WBC1' in little-endian bytes
const SCALAR = 0;
const OBJECT = 1;
const F64 = 1;
const STR = 2;
const BOOL = 3;
const U16 = 4;
const I32 = 5;
const H_COUNT = 1, H_SHAPE = 2, H_FIELDS = 3, H_NAMES = 4, H_SEGMENTS = 5, H_SEGMENT_COUNT = 6, H_STRINGS = 7;
const H_COLUMNS = 8;
const BYTES_PER = [0, 8, 4, 1, 2, 4];
const KEEP_SCRATCH_BYTES = 8 * 1024 * 1024;
// Records that take no bytes (objects without fields, no keys) are bounded by nothing but the
// count, so the decoder refuses more of them than this: a header claiming 2^32 empty objects
// must not make it build them. The encoder leaves a larger batch of them to structured clone.
const MAX_WIDTHLESS_RECORDS = 4096;

let decoder: TextDecoder | undefined;

// The fixed-size part is written here first, while the strings' size is still unknown.
let scratch = new ArrayBuffer(64 * 1024);
let sink = new StringSink();
let busy = false; // a getter inside a record may itself encode a batch

type View = Float64Array | Uint32Array | Uint8Array | Uint16Array | Int32Array;

function kindOf(value: unknown): number {
  switch (typeof value) {
    case 'number': return F64;
    case 'string': return STR;
    case 'boolean': return BOOL;
    default: return 0;
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Field names and kinds from the first record, which alone gets the full (slow) check. */
function objectSchema(first: unknown): { names: string[]; kinds: number[] } | undefined {
  if (typeof first !== 'object' || first === null || Object.getPrototypeOf(first) !== Object.prototype) return undefined;
  for (const _ in Object.prototype) return undefined; // for-in below would take inherited keys for own ones
  const names = Object.keys(first);
  if (Object.getOwnPropertyNames(first).length !== names.length || Object.getOwnPropertySymbols(first).length !== 0) return undefined;
  const kinds: number[] = [];
  for (const name of names) {
    // An accessor's descriptor has no value: refused. A '__proto__' key would set the prototype when decoded.
    const kind = name === '__proto__' ? 0 : kindOf(Object.getOwnPropertyDescriptor(first, name)?.value);
    if (kind === 0) return undefined;
    kinds.push(kind);
  }
  return { names, kinds };
}

/** 0 unless every key group is an int32 integer (and not -0). */
function keyGroupsKind(groups: readonly unknown[]): number {
  let kind = U16;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (typeof g !== 'number' || (g | 0) !== g || (g === 0 && 1 / g < 0)) return 0;
    if (g < 0 || g > 0xffff) kind = I32;
  }
  return kind;
}

/** Writes a column of one primitive kind; false on a type mismatch or a lone surrogate. */
function fillScalars(values: readonly unknown[], n: number, kind: number, view: View, strings: StringSink): boolean {
  if (kind === F64) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') return false;
      view[i] = v;
    }
  } else if (kind === BOOL) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'boolean') return false;
      view[i] = v ? 1 : 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'string') return false;
      const end = strings.add(v);
      if (end < 0) return false;
      view[i] = end;
    }
  }
  return true;
}

/** Writes record i's field; false on a type mismatch or a lone surrogate. */
function writeField(v: unknown, i: number, kind: number, view: View, strings: StringSink): boolean {
  if (kind === F64) {
    if (typeof v !== 'number') return false;
    view[i] = v;
  } else if (kind === STR) {
    if (typeof v !== 'string') return false;
    const end = strings.add(v);
    if (end < 0) return false;
    view[i] = end;
  } else {
    if (typeof v !== 'boolean') return false;
    view[i] = v ? 1 : 0;
  }
  return true;
}

const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;

function fillObjects(records: readonly unknown[], n: number, names: string[], kinds: number[], views: View[], strings: StringSink): boolean {
  const m = names.length;
  for (let i = 0; i < n; i++) {
    const r = records[i] as Record<string, unknown>;
    // The constructor load checks r's map, which lets V8 fold getPrototypeOf to a constant
    // (measured: the prototype check alone ~8 ns/record without it, ~0 with it).
    if (typeof r !== 'object' || r === null || r.constructor !== Object || Object.getPrototypeOf(r) !== Object.prototype) return false;
    // for-in walks the map's enum cache and reads `r[key]` by field index: several times
    // faster than Object.keys plus keyed loads. All its keys are own (objectSchema checked).
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
        if (typeof v !== 'number') return false;
        views[j]![i] = v;
      } else if (kind === STR) {
        if (typeof v !== 'string') return false;
        const end = strings.add(v);
        if (end < 0) return false;
        views[j]![i] = end;
      } else {
        if (typeof v !== 'boolean') return false;
        views[j]![i] = v ? 1 : 0;
      }
      j++;
    }
    if (ordered) {
      if (j !== m) return false;
      continue;
    }
    // Another key order, or a key too many: fields j.. must be exactly the remaining own enumerable keys.
    if (Object.keys(r).length !== m) return false;
    for (let t = j; t < m; t++) {
      const name = names[t]!;
      if (!propertyIsEnumerable.call(r, name) || !writeField(r[name], i, kinds[t]!, views[t]!, strings)) return false;
    }
  }
  return true;
}

function viewOf(kind: number, buffer: ArrayBuffer, offset: number, n: number): View {
  switch (kind) {
    case F64: return new Float64Array(buffer, offset, n);
    case STR: return new Uint32Array(buffer, offset, n);
    case BOOL: return new Uint8Array(buffer, offset, n);
    case U16: return new Uint16Array(buffer, offset, n);
    case I32: return new Int32Array(buffer, offset, n);
    default: throw corrupt(`column kind ${kind}`);
  }
}

/**
 * The batch as one ArrayBuffer to transfer, or undefined: send it by structured clone then.
 * `spare`: a buffer to write into instead of allocating, if large enough (then it is the one
 * returned), e.g. one the receiver handed back after decoding. In Node a fresh ~100 KB buffer
 * per batch costs more than the encoding itself once glibc returns freed memory to the system
 * (bench/batch-codec.bench.ts, `recycled`).
 */
export function encodeBatch(batch: RecordBatch, spare?: ArrayBuffer): { buffer: ArrayBuffer } | undefined {
  const { records, keys, keyGroups } = batch;
  if (!Array.isArray(records)) return undefined;
  const n = records.length;
  let keysKind = 0;
  if (keys !== undefined) {
    if (!Array.isArray(keys) || keys.length !== n) return undefined;
    keysKind = n === 0 ? F64 : kindOf(keys[0]);
    if (keysKind === 0) return undefined;
  }
  let groupsKind = 0;
  if (keyGroups !== undefined) {
    if (!Array.isArray(keyGroups) || keyGroups.length !== n) return undefined;
    groupsKind = keyGroupsKind(keyGroups);
    if (groupsKind === 0) return undefined;
  }
  let shape = SCALAR;
  let names: string[] = [];
  let kinds = [F64];
  if (n > 0) {
    const k = kindOf(records[0]);
    if (k !== 0) kinds = [k];
    else {
      const schema = objectSchema(records[0]);
      if (schema === undefined) return undefined;
      ({ names, kinds } = schema);
      shape = OBJECT;
    }
  }

  // Layout of the fixed-size part.
  const columns = kinds.length;
  const columnKinds = [...kinds, keysKind, groupsKind];
  if (n > MAX_WIDTHLESS_RECORDS && columnKinds.every((kind) => kind === 0)) return undefined;
  const headerWords = H_COLUMNS + 2 * columnKinds.length;
  let at = align8(headerWords * 4);
  const namesOffset = at;
  at = align8(at + 4 * names.length);
  const offsets: number[] = [];
  for (const kind of columnKinds) {
    offsets.push(at);
    at = align8(at + n * BYTES_PER[kind]!);
  }
  const fixedBytes = at;
  if (fixedBytes > 0xffffffff) return undefined;

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
    const views: View[] = [];
    for (let c = 0; c < columnKinds.length; c++) {
      header[H_COLUMNS + 2 * c] = columnKinds[c]!;
      header[H_COLUMNS + 2 * c + 1] = offsets[c]!;
      if (columnKinds[c] !== 0) views[c] = viewOf(columnKinds[c]!, work, offsets[c]!, n);
    }
    const ok =
      fillScalars(names, names.length, STR, new Uint32Array(work, namesOffset, names.length), strings) &&
      (shape === OBJECT ? fillObjects(records, n, names, kinds, views, strings) : fillScalars(records, n, kinds[0]!, views[0]!, strings)) &&
      (keysKind === 0 || fillScalars(keys!, n, keysKind, views[columns]!, strings)) &&
      strings.end();
    if (!ok) return undefined;
    if (groupsKind !== 0) {
      // A loop, not TypedArray#set: V8 copies an array into a typed array through the runtime.
      const groups = views[columns + 1] as Uint16Array | Int32Array;
      for (let i = 0; i < n; i++) groups[i] = keyGroups![i]!;
    }

    // Final buffer: the fixed part, the segment table, the UTF-8 bytes.
    const segments = strings.segments;
    const segmentsOffset = fixedBytes;
    const stringsOffset = segmentsOffset + 4 * segments.length;
    const total = stringsOffset + strings.used;
    if (total > 0xffffffff) return undefined;
    header[H_SEGMENTS] = segmentsOffset;
    header[H_SEGMENT_COUNT] = segments.length / 2;
    header[H_STRINGS] = stringsOffset;
    const buffer = spare !== undefined && spare.byteLength >= total ? spare : new ArrayBuffer(total);
    const bytes = new Uint8Array(buffer);
    bytes.set(new Uint8Array(work, 0, fixedBytes));
    new Uint32Array(buffer, segmentsOffset, segments.length).set(segments);
    bytes.set(strings.bytes.subarray(0, strings.used), stringsOffset);
    return { buffer };
  } catch {
    return undefined; // out of memory, a string beyond the engine's maximum length, or a throwing getter
  } finally {
    busy = outerBusy;
    if (!outerBusy && scratch.byteLength > KEEP_SCRATCH_BYTES) scratch = new ArrayBuffer(64 * 1024);
    if (!outerBusy && sink.bytes.byteLength > KEEP_SCRATCH_BYTES) sink = new StringSink();
  }
}

/**
 * Rebuilds the batch encodeBatch packed; bytes after it are ignored. Keeps no reference to the
 * buffer, which may be reused or detached once this returns. Throws CorruptDataError for any other buffer.
 */
export function decodeBatch(buffer: ArrayBuffer): RecordBatch {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < H_COLUMNS * 4) throw corrupt('too short');
  const head = new Uint32Array(buffer, 0, H_COLUMNS);
  if (head[0] !== MAGIC) throw corrupt('bad magic');
  try {
    const n = head[H_COUNT]!;
    const shape = head[H_SHAPE]!;
    const columns = head[H_FIELDS]!;
    const dir = new Uint32Array(buffer, 0, H_COLUMNS + 2 * (columns + 2));
    const kinds: number[] = [];
    const views: (View | undefined)[] = [];
    for (let c = 0; c < columns + 2; c++) {
      const kind = dir[H_COLUMNS + 2 * c]!;
      const valid = c < columns ? kind >= F64 && kind <= BOOL : c === columns ? kind <= BOOL : kind === 0 || kind >= U16;
      if (!valid) throw corrupt(`column ${c} has kind ${kind}`);
      kinds.push(kind);
      views.push(kind === 0 ? undefined : viewOf(kind, buffer, dir[H_COLUMNS + 2 * c + 1]!, n));
    }
    if (n > MAX_WIDTHLESS_RECORDS && kinds.every((kind) => kind === 0)) throw corrupt(`${n} records that take no bytes (at most ${MAX_WIDTHLESS_RECORDS})`);
    decoder ??= new TextDecoder('utf-8', { ignoreBOM: true }); // a string starting with U+FEFF keeps it
    const segments = new Uint32Array(buffer, head[H_SEGMENTS]!, 2 * head[H_SEGMENT_COUNT]!);
    const strings = new StringSource(decoder, new Uint8Array(buffer, head[H_STRINGS]!), segments);
    const fields = shape === OBJECT ? columns : 0;
    const names = decodeScalars(fields, STR, new Uint32Array(buffer, head[H_NAMES]!, fields), strings) as string[];
    if (names.includes('__proto__')) throw corrupt('a field named __proto__');

    let records: unknown[];
    if (shape === OBJECT) {
      // Strings first, in table order; then each record as one object literal.
      const values: ArrayLike<unknown>[] = [];
      const textColumns: string[][] = [];
      const textEnds: Uint32Array[] = [];
      for (let j = 0; j < columns; j++) {
        if (kinds[j] === STR) {
          textColumns.push((values[j] = new Array<string>(n)) as string[]);
          textEnds.push(views[j] as Uint32Array);
        } else values[j] = kinds[j] === F64 ? (views[j] as Float64Array) : decodeScalars(n, BOOL, views[j]!, strings);
      }
      for (let i = 0; i < n; i++) for (let q = 0; q < textColumns.length; q++) textColumns[q]![i] = strings.next(textEnds[q]![i]!);
      records = buildObjects(n, names, values);
    } else if (shape === SCALAR && columns === 1) records = decodeScalars(n, kinds[0]!, views[0]!, strings);
    else throw corrupt(`shape ${shape}`);

    const batch: { kind: 'records'; records: unknown[]; keys?: StateKey[]; keyGroups?: number[] } = { kind: 'records', records };
    if (kinds[columns] !== 0) batch.keys = decodeScalars(n, kinds[columns]!, views[columns]!, strings) as StateKey[];
    const groups = views[columns + 1];
    if (groups !== undefined) {
      // A loop, not Array.from: V8 copies a typed array into an array through the runtime (~20 ns per element).
      const keyGroups = new Array<number>(n);
      for (let i = 0; i < n; i++) keyGroups[i] = groups[i]!;
      batch.keyGroups = keyGroups;
    }
    return batch;
  } catch (error) {
    throw error instanceof CorruptDataError ? error : corrupt('inconsistent layout', error);
  }
}

function decodeScalars(n: number, kind: number, view: View, strings: StringSource): unknown[] {
  const out: unknown[] = new Array(n);
  if (kind === F64) for (let i = 0; i < n; i++) out[i] = view[i];
  else if (kind === STR) for (let i = 0; i < n; i++) out[i] = strings.next(view[i]!);
  else for (let i = 0; i < n; i++) out[i] = view[i] !== 0;
  return out;
}
