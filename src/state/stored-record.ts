// Reading a record of the job's storage as untrusted bytes: another version of Weir may have
// written it, or someone edited it. The chunk framing (magic, format version, kind, length,
// checksum) refuses what this build did not write; then every field the reader uses is checked,
// so a record that passes its checksum but not its shape is refused too. Every refusal is a
// CorruptDataError whose message and `details.key` name the record's key.
import { CorruptDataError } from '../errors/index.js';
import { decodeChunk, type ChunkKind } from './chunk-format.js';

/** The payload of the stored record `key`, which must be a plain object (fields checked by the caller). */
export function readStoredRecord(bytes: Uint8Array, kind: ChunkKind, key: string, what: string): Record<string, unknown> {
  const payload = readStoredPayload(bytes, kind, key, what);
  if (!isPlainRecord(payload)) {
    throw new CorruptDataError(`${what} '${key}': its payload is not a record`, { key, kind });
  }
  return payload as Record<string, unknown>;
}

/** The payload of the stored chunk or record `key`, of any shape. */
export function readStoredPayload(bytes: Uint8Array, kind: ChunkKind, key: string, what: string): unknown {
  try {
    return decodeChunk(bytes, kind).payload;
  } catch (error) {
    if (error instanceof CorruptDataError) throw new CorruptDataError(`${what} '${key}': ${error.message}`, { ...error.details, key });
    throw error;
  }
}

/** An object the value codec decoded from a plain object (not an array, Map, Set, Date or bytes). */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Field checks of one stored record: each returns the field's value or throws CORRUPT_DATA naming the key and the field. */
export class StoredFields {
  constructor(
    private readonly record: Record<string, unknown>,
    private readonly key: string,
    private readonly what: string,
    /** The path of this record within the stored one ('' at the top), for messages. */
    private readonly path = '',
  ) {}

  /** A safe integer within [min, max]. */
  integer(field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.get(field);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw this.corrupt(field);
    return v;
  }

  number(field: string): number {
    const v = this.get(field);
    if (typeof v !== 'number') throw this.corrupt(field);
    return v;
  }

  string(field: string): string {
    const v = this.get(field);
    if (typeof v !== 'string') throw this.corrupt(field);
    return v;
  }

  boolean(field: string): boolean {
    const v = this.get(field);
    if (typeof v !== 'boolean') throw this.corrupt(field);
    return v;
  }

  oneOf<T extends string>(field: string, values: readonly T[]): T {
    const v = this.get(field);
    if (!values.includes(v as T)) throw this.corrupt(field, `is not one of ${values.join(', ')}`);
    return v as T;
  }

  array(field: string): unknown[] {
    const v = this.get(field);
    if (!Array.isArray(v)) throw this.corrupt(field);
    return v;
  }

  /** A plain record (not an array, Map or Set). */
  object(field: string): Record<string, unknown> {
    const v = this.get(field);
    if (!isPlainRecord(v)) throw this.corrupt(field);
    return v;
  }

  /** Checks of a nested record, whose fields are named `field.name` in messages. */
  nested(field: string, value: unknown = this.get(field)): StoredFields {
    if (!isPlainRecord(value)) throw this.corrupt(field);
    return new StoredFields(value, this.key, this.what, this.name(field));
  }

  has(field: string): boolean {
    return this.get(field) !== undefined;
  }

  corrupt(field: string, why = 'is missing or of the wrong type'): CorruptDataError {
    const name = this.name(field);
    return new CorruptDataError(`${this.what} '${this.key}': its field '${name}' ${why}`, { key: this.key, field: name });
  }

  /** Own fields only: an absent 'constructor' must not read Object.prototype's. */
  private get(field: string): unknown {
    return Object.hasOwn(this.record, field) ? this.record[field] : undefined;
  }

  private name(field: string): string {
    return this.path === '' ? field : `${this.path}.${field}`;
  }
}
