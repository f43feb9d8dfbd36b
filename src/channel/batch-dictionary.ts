import { CorruptDataError } from '../errors/index.js';

// The string dictionary of one channel between two workers (batch-codec.ts, port-multiplexer.ts).
// A string column — typically the key field — repeats a few thousand distinct values for ever.
// Packed as UTF-8 each time, every record's key reaches the receiver as a new string: encoded,
// decoded, hashed again by every Map lookup and compared by content, and garbage after. With the
// dictionary a string travels once, as a structured-cloned array beside the batch that first
// uses it, and after that as a small integer id; the receiver keeps the strings in a table and
// hands out the same string objects every time, whose hash V8 has cached and whose Map lookups
// match by identity.
//
// Must: ids are given in order 0, 1, 2, … and never reused or forgotten (no eviction), so a
// receiver that appends each batch's new strings as the batch arrives — in wire order, before
// anything decodes it — can decode queued batches in any order (the task's poll and an unaligned
// checkpoint's spill each decode on their own schedule).
// Must: a batch the encoder refuses (it goes by structured clone) takes back the ids it gave.

/**
 * The dictionary stops growing here. Per channel, on both ends, and a job has parallelism² of
 * them per edge: at most 16 Ki strings of at most 32 units (≈ 1 MB with the Map's entries) each.
 */
export const MAX_DICTIONARY_ENTRIES = 1 << 14;
/** Longer strings go inline: the dictionary is for keys and codes. */
export const MAX_ENTRY_CHARS = 32;
/** Past this many entries a column whose batch mostly missed (new or inline strings) goes back to UTF-8 for good. */
const JUDGED_FROM_ENTRIES = 4096;

/**
 * A string's id in a channel's dictionary, kept where the string was hashed already: the record
 * writer's key-group cache holds one per string key, and a keyed batch carries each record's
 * (RecordBatch.dictionaryHints), so the encoder takes the key field's id from it instead of a
 * second Map lookup of the same string per record (measured: the lookup was a quarter to a half
 * of the encoder's time per record, bench/batch-codec.bench.ts).
 * Must: the encoder uses an id only while `value` is the string it encodes and `dictionary` and
 * `epoch` are the encoding dictionary's own (a rollback frees ids: it moves the epoch on).
 */
export interface DictionaryHint {
  readonly value: string;
  dictionary: StringDictionary | undefined;
  id: number;
  epoch: number;
}

/** The sending side of a channel's dictionary: the strings already sent, by id. */
export class StringDictionary {
  private readonly ids = new Map<string, number>();
  /** Moves on whenever ids are taken back: a DictionaryHint from before is stale then. */
  epoch = 0;
  /** Field names (or SCALAR_COLUMN / KEYS_COLUMN) whose strings go inline: they mostly missed. */
  private readonly off = new Set<string>();
  /** Strings given ids by the batch being encoded, in id order. */
  added: string[] = [];
  /** Encoding a batch now: a nested encode (a getter in a record) must not use it. */
  busy = false;
  /** Whether the last idOf gave a new id. */
  fresh = false;

  get size(): number {
    return this.ids.size;
  }

  uses(column: string): boolean {
    return !this.off.has(column);
  }

  begin(): void {
    this.busy = true;
    this.added = [];
  }

  /** s's id, giving it the next one if there is room; -1: send s inline. */
  idOf(s: string): number {
    const id = this.ids.get(s);
    this.fresh = id === undefined;
    if (id !== undefined) return id;
    if (this.ids.size >= MAX_DICTIONARY_ENTRIES || s.length > MAX_ENTRY_CHARS) return -1;
    const next = this.ids.size;
    this.ids.set(s, next);
    this.added.push(s);
    return next;
  }

  /** After a batch was encoded: a column that missed for more than half its n records stops using the dictionary. */
  judge(column: string, misses: number, n: number): void {
    if (this.ids.size >= JUDGED_FROM_ENTRIES && 2 * misses > n) this.off.add(column);
  }

  /** The batch was encoded: the strings it added (to travel with it), if any. */
  commit(): string[] | undefined {
    this.busy = false;
    const added = this.added;
    this.added = [];
    return added.length > 0 ? added : undefined;
  }

  /** The batch was not encoded: its ids are free again. */
  rollback(): void {
    this.busy = false;
    if (this.added.length > 0) this.epoch++;
    for (const s of this.added) this.ids.delete(s);
    this.added = [];
  }
}

/** The dictionary column names of the strings that are not object fields. */
export const SCALAR_COLUMN = '\0records';
export const KEYS_COLUMN = '\0keys';

/**
 * Appends the strings a batch brought to the receiving side's table, as the batch arrives.
 * Throws CorruptDataError unless they are strings and the table stays within the dictionary's bound.
 */
export function extendTable(table: string[], strings: unknown): void {
  if (!Array.isArray(strings) || table.length + strings.length > MAX_DICTIONARY_ENTRIES) {
    throw new CorruptDataError(`a batch's dictionary strings must be an array of at most ${MAX_DICTIONARY_ENTRIES - table.length} strings`, { codec: 'batch-dictionary' });
  }
  for (const s of strings) {
    if (typeof s !== 'string') throw new CorruptDataError(`a batch's dictionary strings must be strings, got ${typeof s}`, { codec: 'batch-dictionary' });
  }
  for (const s of strings as string[]) table.push(s);
}
