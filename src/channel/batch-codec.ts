import { CorruptDataError } from '../errors/index.js';
import type { StateKey } from '../state/keyed-state.js';
import type { RecordBatch } from './channel-message.js';
import {
  BOOL, BYTES_PER, F64, fillObjects, fillScalars, I32, INLINE, keyGroupsKind, kindOf, objectSchema, REF, STR, U16, viewOf, type StringOut, type View,
} from './batch-columns.js';
import { KEYS_COLUMN, SCALAR_COLUMN, type StringDictionary } from './batch-dictionary.js';
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
// lone surrogate (UTF-8 cannot carry it, unless the string goes through a dictionary), keys or
// keyGroups whose length is not the records'.
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
//             REF (with a channel's dictionary, batch-dictionary.ts): Uint32Array of dictionary
//             ids or inline strings' end offsets (batch-columns.ts); the header holds the
//             dictionary's size the batch may refer to and a hash of every REF word.
//   segments  (char end, byte end) Uint32 pairs: the string table cut into UTF-8 segments.
//   strings   UTF-8 of every string in encoding order: field names, then each record's string
//             fields in field order, then string keys.

const MAGIC = 0x32434257; // 'WBC2' in little-endian bytes
const SCALAR = 0;
const OBJECT = 1;
const H_COUNT = 1, H_SHAPE = 2, H_FIELDS = 3, H_NAMES = 4, H_SEGMENTS = 5, H_SEGMENT_COUNT = 6, H_STRINGS = 7, H_TABLE = 8, H_REF_CHECK = 9;
const H_COLUMNS = 10;
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

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * The batch as one ArrayBuffer to transfer, or undefined: send it by structured clone then.
 * `spare`: a buffer to write into instead of allocating, if large enough (then it is the one
 * returned), e.g. one the receiver handed back after decoding. In Node a fresh ~100 KB buffer
 * per batch costs more than the encoding itself once glibc returns freed memory to the system
 * (bench/batch-codec.bench.ts, `recycled`).
 */
export function encodeBatch(batch: RecordBatch, spare?: ArrayBuffer, dictionary?: StringDictionary): { buffer: ArrayBuffer; strings?: string[] } | undefined {
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

  // A nested encode (a getter in a record) leaves the dictionary to the batch that holds it.
  const dict = dictionary !== undefined && !dictionary.busy ? dictionary : undefined;
  const columnNames = shape === OBJECT ? names : [SCALAR_COLUMN];
  if (dict !== undefined) {
    kinds = kinds.map((kind, j) => (kind === STR && dict.uses(columnNames[j]!) ? REF : kind));
    if (keysKind === STR && dict.uses(KEYS_COLUMN)) keysKind = REF;
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
  let encoded = false;
  dict?.begin();
  try {
    if (!outerBusy && scratch.byteLength < fixedBytes) scratch = new ArrayBuffer(Math.max(fixedBytes, 2 * scratch.byteLength));
    const work = outerBusy ? new ArrayBuffer(fixedBytes) : scratch;
    const strings = outerBusy ? new StringSink() : sink.reset();
    const hints = dict !== undefined && Array.isArray(batch.dictionaryHints) && batch.dictionaryHints.length === n ? batch.dictionaryHints : undefined;
    const out: StringOut = { table: strings, dictionary: dict, misses: new Array<number>(columns + 1).fill(0), hints };
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
      fillScalars(names, names.length, STR, new Uint32Array(work, namesOffset, names.length), out, 0) &&
      (shape === OBJECT ? fillObjects(records, n, names, kinds, views, out) : fillScalars(records, n, kinds[0]!, views[0]!, out, 0, hints)) &&
      (keysKind === 0 || fillScalars(keys!, n, keysKind, views[columns]!, out, columns)) &&
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
    header[H_TABLE] = dict?.size ?? 0;
    header[H_REF_CHECK] = refCheck(columnKinds, views, n);
    const buffer = spare !== undefined && spare.byteLength >= total ? spare : new ArrayBuffer(total);
    const bytes = new Uint8Array(buffer);
    bytes.set(new Uint8Array(work, 0, fixedBytes));
    new Uint32Array(buffer, segmentsOffset, segments.length).set(segments);
    bytes.set(strings.bytes.subarray(0, strings.used), stringsOffset);
    encoded = true;
    if (dict === undefined) return { buffer };
    for (let c = 0; c < columns; c++) if (kinds[c] === REF) dict.judge(columnNames[c]!, out.misses[c]!, n);
    if (keysKind === REF) dict.judge(KEYS_COLUMN, out.misses[columns]!, n);
    const added = dict.commit();
    return added === undefined ? { buffer } : { buffer, strings: added };
  } catch {
    return undefined; // out of memory, a string beyond the engine's maximum length, or a throwing getter
  } finally {
    if (!encoded) dict?.rollback();
    busy = outerBusy;
    if (!outerBusy && scratch.byteLength > KEEP_SCRATCH_BYTES) scratch = new ArrayBuffer(64 * 1024);
    if (!outerBusy && sink.bytes.byteLength > KEEP_SCRATCH_BYTES) sink = new StringSink();
  }
}

/**
 * Rebuilds the batch encodeBatch packed; bytes after it are ignored. Keeps no reference to the
 * buffer, which may be reused or detached once this returns. Throws CorruptDataError for any other buffer.
 * `table`: the receiving side of the channel's dictionary (batch-dictionary.ts), every string
 * that came with this batch and the ones before it; a batch encoded with a dictionary needs it.
 */
export function decodeBatch(buffer: ArrayBuffer, table?: readonly string[]): RecordBatch {
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
      const valid = c < columns ? (kind >= F64 && kind <= BOOL) || kind === REF : c === columns ? kind <= BOOL || kind === REF : kind === 0 || kind === U16 || kind === I32;
      if (!valid) throw corrupt(`column ${c} has kind ${kind}`);
      kinds.push(kind);
      views.push(kind === 0 ? undefined : viewOf(kind, buffer, dir[H_COLUMNS + 2 * c + 1]!, n));
    }
    if (n > MAX_WIDTHLESS_RECORDS && kinds.every((kind) => kind === 0)) throw corrupt(`${n} records that take no bytes (at most ${MAX_WIDTHLESS_RECORDS})`);
    decoder ??= new TextDecoder('utf-8', { ignoreBOM: true }); // a string starting with U+FEFF keeps it
    const segments = new Uint32Array(buffer, head[H_SEGMENTS]!, 2 * head[H_SEGMENT_COUNT]!);
    const strings = new StringSource(decoder, new Uint8Array(buffer, head[H_STRINGS]!), segments);
    const fields = shape === OBJECT ? columns : 0;
    let refs: Refs | undefined;
    if (kinds.includes(REF)) {
      // A reference changed in transit would read another string of the table: a wrong record, not an error.
      if (refCheck(kinds, views, n) !== head[H_REF_CHECK]) throw corrupt('the dictionary references do not match their check');
      refs = new Refs(table, head[H_TABLE]!, strings);
    }
    const names = decodeScalars(fields, STR, new Uint32Array(buffer, head[H_NAMES]!, fields), strings, refs) as string[];
    if (names.includes('__proto__')) throw corrupt('a field named __proto__');

    let records: unknown[];
    if (shape === OBJECT) {
      // Strings first, in table order; then each record as one object literal.
      const values: ArrayLike<unknown>[] = [];
      const textColumns: string[][] = [];
      const textEnds: Uint32Array[] = [];
      const textRefs: boolean[] = [];
      for (let j = 0; j < columns; j++) {
        if (kinds[j] === STR || kinds[j] === REF) {
          textColumns.push((values[j] = new Array<string>(n)) as string[]);
          textEnds.push(views[j] as Uint32Array);
          textRefs.push(kinds[j] === REF);
        } else values[j] = kinds[j] === F64 ? (views[j] as Float64Array) : decodeScalars(n, BOOL, views[j]!, strings, refs);
      }
      const t = textColumns.length;
      for (let i = 0; i < n; i++) {
        for (let q = 0; q < t; q++) textColumns[q]![i] = textRefs[q] ? refs!.string(textEnds[q]![i]!) : strings.next(textEnds[q]![i]!);
      }
      records = buildObjects(n, names, values);
    } else if (shape === SCALAR && columns === 1) records = decodeScalars(n, kinds[0]!, views[0]!, strings, refs);
    else throw corrupt(`shape ${shape}`);

    const batch: { kind: 'records'; records: unknown[]; keys?: StateKey[]; keyGroups?: number[] } = { kind: 'records', records };
    if (kinds[columns] !== 0) batch.keys = decodeScalars(n, kinds[columns]!, views[columns]!, strings, refs) as StateKey[];
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

function decodeScalars(n: number, kind: number, view: View, strings: StringSource, refs: Refs | undefined): unknown[] {
  const out: unknown[] = new Array(n);
  if (kind === F64) for (let i = 0; i < n; i++) out[i] = view[i];
  else if (kind === STR) for (let i = 0; i < n; i++) out[i] = strings.next(view[i]!);
  else if (kind === REF) for (let i = 0; i < n; i++) out[i] = refs!.string(view[i]!);
  else for (let i = 0; i < n; i++) out[i] = view[i] !== 0;
  return out;
}

/** The strings of a REF column: dictionary ids into the channel's table, or inline strings. */
class Refs {
  private readonly table: readonly string[];

  /** `limit`: the dictionary's size when the batch was encoded; the batch refers to nothing past it. */
  constructor(table: readonly string[] | undefined, private readonly limit: number, private readonly strings: StringSource) {
    if (table === undefined) throw corrupt('a batch encoded with a dictionary, decoded without one');
    if (limit > table.length) throw corrupt(`a batch refers to ${limit} dictionary strings; ${table.length} came`);
    this.table = table;
  }

  string(v: number): string {
    if (v >= INLINE) return this.strings.next(v - INLINE);
    if (v >= this.limit) throw corrupt(`dictionary reference ${v} beyond the batch's ${this.limit} strings`);
    return this.table[v]!;
  }
}

/** A position-dependent hash of every REF column's words, so a changed, swapped or moved reference is an error. */
function refCheck(kinds: readonly number[], views: readonly (View | undefined)[], n: number): number {
  let h = 0;
  for (let c = 0; c < kinds.length; c++) {
    if (kinds[c] !== REF) continue;
    const view = views[c]!;
    for (let i = 0; i < n; i++) h = (Math.imul(h, 0x01000193) ^ view[i]!) | 0;
  }
  return h >>> 0;
}
