import type { DictionaryHint, StringDictionary } from './batch-dictionary.js';
import { corrupt, type StringSink } from './batch-string-table.js';

// The column kinds and layout constants of a packed batch (batch-codec.ts), and the encoder's
// column writers.

export const F64 = 1;
export const STR = 2;
export const BOOL = 3;
export const U16 = 4;
export const I32 = 5;
/**
 * A string column through the channel's dictionary (batch-dictionary.ts): Uint32 per record, a
 * dictionary id below INLINE, else INLINE + the end offset of a string in the string table (a
 * string the dictionary has no room for, read in table order like a STR column's).
 */
export const REF = 6;
export const INLINE = 0x80000000;
export const BYTES_PER = [0, 8, 4, 1, 2, 4, 4];

export type View = Float64Array | Uint32Array | Uint8Array | Uint16Array | Int32Array;

/** What string columns write into: the string table, and the channel's dictionary if the batch uses one. */
export interface StringOut {
  readonly table: StringSink;
  readonly dictionary: StringDictionary | undefined;
  /** Per column: records that did not find their string in the dictionary (new or inline). */
  readonly misses: number[];
  /** Per record: its key's id, if the writer knew it (RecordBatch.dictionaryHints); any REF column may match it. */
  readonly hints: readonly (DictionaryHint | undefined)[] | undefined;
}

export function kindOf(value: unknown): number {
  switch (typeof value) {
    case 'number': return F64;
    case 'string': return STR;
    case 'boolean': return BOOL;
    default: return 0;
  }
}

/** Field names and kinds from the first record, which alone gets the full (slow) check. */
export function objectSchema(first: unknown): { names: string[]; kinds: number[] } | undefined {
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
export function keyGroupsKind(groups: readonly unknown[]): number {
  let kind = U16;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (typeof g !== 'number' || (g | 0) !== g || (g === 0 && 1 / g < 0)) return 0;
    if (g < 0 || g > 0xffff) kind = I32;
  }
  return kind;
}

/** A string as a REF column holds it; -1 on a lone surrogate or a string table past INLINE units. */
function refOf(s: string, column: number, out: StringOut, hint: DictionaryHint | undefined): number {
  const dictionary = out.dictionary!;
  // Equal strings have one id: the hint's, if this dictionary gave it and has taken back nothing since.
  const hinted = hint !== undefined && hint.value === s;
  if (hinted && hint.dictionary === dictionary && hint.epoch === dictionary.epoch) return hint.id;
  const id = dictionary.idOf(s);
  if (id < 0) {
    out.misses[column]!++;
    const end = out.table.add(s);
    return end < 0 || end >= INLINE ? -1 : INLINE + end;
  }
  if (dictionary.fresh) out.misses[column]!++;
  if (hinted) {
    hint.dictionary = dictionary;
    hint.id = id;
    hint.epoch = dictionary.epoch;
  }
  return id;
}

/** Writes a column of one primitive kind; false on a type mismatch or a lone surrogate. `hints`: per value (out.hints for the records, none for the keys). */
export function fillScalars(values: readonly unknown[], n: number, kind: number, view: View, out: StringOut, column: number, hints?: readonly (DictionaryHint | undefined)[]): boolean {
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
    const ref = kind === REF;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'string') return false;
      const end = ref ? refOf(v, column, out, hints === undefined ? undefined : hints[i]) : out.table.add(v);
      if (end < 0) return false;
      view[i] = end;
    }
  }
  return true;
}

/** Writes record i's field j; false on a type mismatch or a lone surrogate. */
function writeField(v: unknown, i: number, kind: number, view: View, out: StringOut, j: number): boolean {
  if (kind === F64) {
    if (typeof v !== 'number') return false;
    view[i] = v;
  } else if (kind === BOOL) {
    if (typeof v !== 'boolean') return false;
    view[i] = v ? 1 : 0;
  } else {
    if (typeof v !== 'string') return false;
    const end = kind === REF ? refOf(v, j, out, out.hints === undefined ? undefined : out.hints[i]) : out.table.add(v);
    if (end < 0) return false;
    view[i] = end;
  }
  return true;
}

const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;

export function fillObjects(records: readonly unknown[], n: number, names: string[], kinds: number[], views: View[], out: StringOut): boolean {
  const m = names.length;
  const strings = out.table;
  const hints = out.hints;
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
      } else if (kind === REF) {
        if (typeof v !== 'string') return false;
        const ref = refOf(v, j, out, hints === undefined ? undefined : hints[i]);
        if (ref < 0) return false;
        views[j]![i] = ref;
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
      if (!propertyIsEnumerable.call(r, name) || !writeField(r[name], i, kinds[t]!, views[t]!, out, t)) return false;
    }
  }
  return true;
}

export function viewOf(kind: number, buffer: ArrayBuffer, offset: number, n: number): View {
  switch (kind) {
    case F64: return new Float64Array(buffer, offset, n);
    case STR: case REF: return new Uint32Array(buffer, offset, n);
    case BOOL: return new Uint8Array(buffer, offset, n);
    case U16: return new Uint16Array(buffer, offset, n);
    case I32: return new Int32Array(buffer, offset, n);
    default: throw corrupt(`column kind ${kind}`);
  }
}
