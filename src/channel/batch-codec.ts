import { CorruptDataError } from '../errors/index.js';
import type { StateKey } from '../state/keyed-state.js';
import type { RecordBatch } from './channel-message.js';

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
// objects, arrays, class instances, Dates, Maps, null-prototype objects, a '__proto__' key,
// extra or missing keys, a type change within a field, strings with a lone surrogate (UTF-8
// cannot carry it), a keys or keyGroups array whose length is not the records'.
// Decoded objects take the first record's key order, whatever order a later record had.
// Checked on the first record only: accessors, non-enumerable own properties and symbol keys.
// Per record these checks cost more than the whole codec saves (bench/batch-codec.bench.ts,
// `strict checks`); a later record with them is read as its own enumerable values, exactly as
// structured clone reads it. An explicitly undefined `keys`/`keyGroups` decodes as absent.
//
// Layout, native endianness (both ends are threads of one process; a mismatch fails MAGIC):
//   header  Uint32 words: MAGIC, record count, shape, field count, table byte offset,
//           table byte length, names byte offset, then (kind, byte offset) for each value
//           column (one for a scalar shape), the keys column and the keyGroups column (kind 0: absent).
//   columns each 8-byte aligned. F64: Float64Array. BOOL: Uint8Array of 0/1. U16/I32: key groups.
//           STR: Uint32Array of end offsets, in UTF-16 units, into the decoded string table.
//   table   UTF-8 of every string in encoding order: field names, then each record's string
//           fields in field order, then string keys. One TextDecoder call, then slices.

const MAGIC = 0x31434257; // 'WBC1' in little-endian bytes
const SCALAR = 0;
const OBJECT = 1;
const F64 = 1;
const STR = 2;
const BOOL = 3;
const U16 = 4;
const I32 = 5;
const H_COUNT = 1, H_SHAPE = 2, H_FIELDS = 3, H_TABLE = 4, H_TABLE_BYTES = 5, H_NAMES = 6, H_COLUMNS = 7;
const BYTES_PER = [0, 8, 4, 1, 2, 4];
const KEEP_SCRATCH_BYTES = 8 * 1024 * 1024;

const OBJECT_PROTOTYPE = Object.prototype;
const getPrototypeOf = Object.getPrototypeOf;
const encoder = new TextEncoder();
let decoder: TextDecoder | undefined; // ignoreBOM: a string starting with U+FEFF keeps it
const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

// The fixed-size part is written here first, while the string table's size is still unknown.
let scratch = new ArrayBuffer(64 * 1024);
let busy = false; // a getter inside a record may itself encode a batch

type Views = (Float64Array | Uint32Array | Uint8Array | Uint16Array | Int32Array | undefined)[];

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
  if (typeof first !== 'object' || first === null || getPrototypeOf(first) !== OBJECT_PROTOTYPE) return undefined;
  const names = Object.keys(first);
  if (Object.getOwnPropertyNames(first).length !== names.length || Object.getOwnPropertySymbols(first).length !== 0) return undefined;
  const kinds: number[] = [];
  for (const name of names) {
    const d = Object.getOwnPropertyDescriptor(first, name);
    const kind = name === '__proto__' || d === undefined || !('value' in d) ? 0 : kindOf(d.value);
    if (kind === 0) return undefined;
    kinds.push(kind);
  }
  return { names, kinds };
}

/** 0 unless every key group is an int32 integer (not -0). */
function keyGroupsKind(groups: readonly unknown[]): number {
  let kind = U16;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (typeof g !== 'number' || (g | 0) !== g || (g === 0 && 1 / g < 0)) return 0;
    if (g < 0 || g > 0xffff) kind = I32;
  }
  return kind;
}

/** Writes a column of primitives of one kind; returns the string table, undefined on a type mismatch. */
function fillScalars(values: readonly unknown[], n: number, kind: number, view: Views[number], table: string): string | undefined {
  if (kind === F64) {
    const col = view as Float64Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') return undefined;
      col[i] = v;
    }
  } else if (kind === STR) {
    const ends = view as Uint32Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'string') return undefined;
      table += v;
      ends[i] = table.length;
    }
  } else {
    const col = view as Uint8Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'boolean') return undefined;
      col[i] = v ? 1 : 0;
    }
  }
  return table;
}

/** One record's field j, checked against the schema; returns the string table, undefined on a mismatch. */
function writeField(v: unknown, i: number, kind: number, view: Views[number], table: string): string | undefined {
  if (kind === F64) {
    if (typeof v !== 'number') return undefined;
    (view as Float64Array)[i] = v;
  } else if (kind === STR) {
    if (typeof v !== 'string') return undefined;
    table += v;
    (view as Uint32Array)[i] = table.length;
  } else {
    if (typeof v !== 'boolean') return undefined;
    (view as Uint8Array)[i] = v ? 1 : 0;
  }
  return table;
}

const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;

function fillObjects(records: readonly unknown[], n: number, names: string[], kinds: number[], views: Views, table: string): string | undefined {
  const m = names.length;
  for (let i = 0; i < n; i++) {
    const r = records[i] as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || getPrototypeOf(r) !== OBJECT_PROTOTYPE) return undefined;
    // for-in walks the enum cache and reads `r[key]` by field index: several times faster than
    // Object.keys plus keyed loads. Every key is own: Object.prototype has no enumerable ones (checked).
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
        if (typeof v !== 'number') return undefined;
        (views[j] as Float64Array)[i] = v;
      } else if (kind === STR) {
        if (typeof v !== 'string') return undefined;
        table += v;
        (views[j] as Uint32Array)[i] = table.length;
      } else {
        if (typeof v !== 'boolean') return undefined;
        (views[j] as Uint8Array)[i] = v ? 1 : 0;
      }
      j++;
    }
    if (ordered) {
      if (j !== m) return undefined;
      continue;
    }
    // Keys in another order (or extra ones): fields j.. must be exactly the remaining own enumerable keys.
    if (Object.keys(r).length !== m) return undefined;
    for (let t = j; t < m; t++) {
      if (!propertyIsEnumerable.call(r, names[t])) return undefined;
      const next = writeField(r[names[t]!], i, kinds[t]!, views[t], table);
      if (next === undefined) return undefined;
      table = next;
    }
  }
  return table;
}

function viewOf(kind: number, buffer: ArrayBuffer, offset: number, n: number): Views[number] {
  switch (kind) {
    case F64: return new Float64Array(buffer, offset, n);
    case STR: return new Uint32Array(buffer, offset, n);
    case BOOL: return new Uint8Array(buffer, offset, n);
    case U16: return new Uint16Array(buffer, offset, n);
    case I32: return new Int32Array(buffer, offset, n);
    default: return undefined;
  }
}

export function encodeBatch(batch: RecordBatch): { buffer: ArrayBuffer } | undefined {
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
      for (const _ in OBJECT_PROTOTYPE) return undefined; // inherited enumerable keys would look own to for-in
      ({ names, kinds } = schema);
      shape = OBJECT;
    }
  }

  // Layout of the fixed-size part.
  const columns = kinds.length;
  const columnKinds = [...kinds, keysKind, groupsKind];
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

  const hasTable = shape === OBJECT ? columns > 0 : kinds[0] === STR || keysKind === STR;
  const outerBusy = busy;
  let work: ArrayBuffer;
  if (!hasTable) work = new ArrayBuffer(fixedBytes);
  else if (outerBusy) work = new ArrayBuffer(fixedBytes);
  else {
    if (scratch.byteLength < fixedBytes) scratch = new ArrayBuffer(Math.max(fixedBytes, 2 * scratch.byteLength));
    work = scratch;
  }
  busy = true;
  try {
    const header = new Uint32Array(work, 0, headerWords);
    header[0] = MAGIC;
    header[H_COUNT] = n;
    header[H_SHAPE] = shape;
    header[H_FIELDS] = columns;
    header[H_TABLE] = fixedBytes;
    header[H_NAMES] = namesOffset;
    const views: Views = [];
    for (let c = 0; c < columnKinds.length; c++) {
      header[H_COLUMNS + 2 * c] = columnKinds[c]!;
      header[H_COLUMNS + 2 * c + 1] = offsets[c]!;
      views.push(viewOf(columnKinds[c]!, work, offsets[c]!, n));
    }
    const nameEnds = new Uint32Array(work, namesOffset, names.length);
    let table: string | undefined = '';
    for (let j = 0; j < names.length; j++) nameEnds[j] = (table += names[j]).length;

    table = shape === OBJECT
      ? fillObjects(records, n, names, kinds, views, table)
      : fillScalars(records, n, kinds[0]!, views[0], table);
    if (table !== undefined && keysKind !== 0) table = fillScalars(keys as StateKey[], n, keysKind, views[columns], table);
    if (table === undefined) return undefined;
    if (groupsKind !== 0) (views[columns + 1] as Uint16Array | Int32Array).set(keyGroups as number[]);
    if (!hasTable) return { buffer: work };

    const stringColumns = [nameEnds, ...columnKinds.flatMap((kind, c) => (kind === STR ? [views[c] as Uint32Array] : []))];
    return withTable(work, fixedBytes, table, stringColumns);
  } catch {
    return undefined; // a string table beyond the engine's maximum string length; or a throwing getter
  } finally {
    busy = outerBusy;
    if (scratch.byteLength > KEEP_SCRATCH_BYTES) scratch = new ArrayBuffer(64 * 1024);
  }
}

/** Copies the fixed part and appends the table as UTF-8; undefined if a string has a lone surrogate. */
function withTable(work: ArrayBuffer, fixedBytes: number, table: string, stringColumns: Uint32Array[]): { buffer: ArrayBuffer } | undefined {
  const chars = table.length;
  // Most tables are ASCII: one byte per UTF-16 unit, encoded straight into the final buffer.
  let buffer = new ArrayBuffer(fixedBytes + chars);
  let bytes = new Uint8Array(buffer);
  bytes.set(new Uint8Array(work, 0, fixedBytes));
  let tableBytes = encoder.encodeInto(table, bytes.subarray(fixedBytes)).read;
  if (tableBytes !== chars) {
    // A string ending in a high surrogate could pair with the next string's low one in the table.
    if (!isWellFormed(table)) return undefined;
    for (const ends of stringColumns) {
      for (let i = 0; i < ends.length; i++) {
        const e = ends[i]!;
        if (e > 0 && (table.charCodeAt(e - 1) & 0xfc00) === 0xd800) return undefined;
      }
    }
    const utf8 = encoder.encode(table);
    tableBytes = utf8.length;
    if (fixedBytes + tableBytes > 0xffffffff) return undefined;
    buffer = new ArrayBuffer(fixedBytes + tableBytes);
    bytes = new Uint8Array(buffer);
    bytes.set(new Uint8Array(work, 0, fixedBytes));
    bytes.set(utf8, fixedBytes);
  }
  new Uint32Array(buffer, 0, H_COLUMNS)[H_TABLE_BYTES] = tableBytes;
  return { buffer };
}

function corrupt(reason: string, cause?: unknown): CorruptDataError {
  const error = new CorruptDataError(`not a packed record batch: ${reason}`, { codec: 'batch-codec' });
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause });
  return error;
}

/** Rebuilds the batch encodeBatch packed. Throws CorruptDataError for any other buffer. */
export function decodeBatch(buffer: ArrayBuffer): RecordBatch {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < H_COLUMNS * 4) throw corrupt('too short');
  const head = new Uint32Array(buffer, 0, H_COLUMNS);
  if (head[0] !== MAGIC) throw corrupt('bad magic');
  const n = head[H_COUNT]!;
  const shape = head[H_SHAPE]!;
  const columns = head[H_FIELDS]!;
  try {
    const dir = new Uint32Array(buffer, 0, H_COLUMNS + 2 * (columns + 2));
    const views: Views = [];
    const kinds: number[] = [];
    for (let c = 0; c < columns + 2; c++) {
      kinds.push(dir[H_COLUMNS + 2 * c]!);
      views.push(viewOf(kinds[c]!, buffer, dir[H_COLUMNS + 2 * c + 1]!, n));
    }
    const tableBytes = head[H_TABLE_BYTES]!;
    decoder ??= new TextDecoder('utf-8', { ignoreBOM: true });
    const table = tableBytes === 0 ? '' : decoder.decode(new Uint8Array(buffer, head[H_TABLE]!, tableBytes));
    const cursor = { at: 0 };
    const names: string[] = [];
    const nameEnds = new Uint32Array(buffer, head[H_NAMES]!, shape === OBJECT ? columns : 0);
    for (let j = 0; j < nameEnds.length; j++) names.push(table.slice(cursor.at, (cursor.at = nameEnds[j]!)));

    const records = shape === OBJECT
      ? decodeObjects(n, names, kinds, views, table, cursor)
      : decodeScalars(n, kinds[0]!, views[0], table, cursor);
    const keysKind = kinds[columns]!;
    const groups = views[columns + 1];
    const batch: { kind: 'records'; records: unknown[]; keys?: StateKey[]; keyGroups?: number[] } = { kind: 'records', records };
    if (keysKind !== 0) batch.keys = decodeScalars(n, keysKind, views[columns], table, cursor) as StateKey[];
    if (groups !== undefined) batch.keyGroups = Array.from(groups);
    return batch;
  } catch (error) {
    throw corrupt('inconsistent layout', error);
  }
}

function decodeScalars(n: number, kind: number, view: Views[number], table: string, cursor: { at: number }): unknown[] {
  const out: unknown[] = new Array(n);
  if (kind === F64) {
    const col = view as Float64Array;
    for (let i = 0; i < n; i++) out[i] = col[i];
  } else if (kind === STR) {
    const ends = view as Uint32Array;
    let at = cursor.at;
    for (let i = 0; i < n; i++) out[i] = table.slice(at, (at = ends[i]!));
    cursor.at = at;
  } else if (kind === BOOL) {
    const col = view as Uint8Array;
    for (let i = 0; i < n; i++) out[i] = col[i] !== 0;
  } else throw corrupt(`unknown column kind ${kind}`);
  return out;
}

function decodeObjects(n: number, names: string[], kinds: number[], views: Views, table: string, cursor: { at: number }): unknown[] {
  const m = names.length;
  const out: unknown[] = new Array(n);
  let at = cursor.at;
  for (let i = 0; i < n; i++) {
    const o: Record<string, unknown> = {};
    for (let j = 0; j < m; j++) {
      const kind = kinds[j];
      if (kind === F64) o[names[j]!] = (views[j] as Float64Array)[i];
      else if (kind === STR) o[names[j]!] = table.slice(at, (at = (views[j] as Uint32Array)[i]!));
      else o[names[j]!] = (views[j] as Uint8Array)[i] !== 0;
    }
    out[i] = o;
  }
  cursor.at = at;
  return out;
}
