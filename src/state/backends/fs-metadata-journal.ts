// The file format of a committed metadata batch (fs-storage.ts). Platform-free.
//
//   'WEIRJNL1'  u32 count
//   count × ( u32 keyLength (UTF-16 code units)  keyLength × u16  u32 byteLength  bytes )
//   u32 crc32 of everything before it
// Little-endian. Keys are kept as UTF-16 code units so that any key (even one with a lone
// surrogate) comes back exactly.
import { CorruptDataError, InvalidArgumentError } from '../../errors/index.js';
import { crc32 } from '../checksum.js';

const MAGIC = 'WEIRJNL1';

export interface JournalRecord {
  readonly key: string;
  readonly bytes: Uint8Array;
}

export function encodeJournal(records: readonly JournalRecord[]): Uint8Array {
  let size = MAGIC.length + 4 + 4;
  for (const { key, bytes } of records) {
    if (bytes.byteLength > 0xffffffff) throw new InvalidArgumentError(`metadata record '${key}'`, `is ${bytes.byteLength} bytes; a journal record holds at most 4 GiB`);
    size += 4 + key.length * 2 + 4 + bytes.byteLength;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (let i = 0; i < MAGIC.length; i++) out[at++] = MAGIC.charCodeAt(i);
  view.setUint32(at, records.length, true);
  at += 4;
  for (const { key, bytes } of records) {
    view.setUint32(at, key.length, true);
    at += 4;
    for (let i = 0; i < key.length; i++, at += 2) view.setUint16(at, key.charCodeAt(i), true);
    view.setUint32(at, bytes.byteLength, true);
    at += 4;
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  view.setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

/** The records of a journal file, in write order (their bytes copies, or views of `file`); throws CorruptDataError for anything else. */
export function decodeJournal(file: Uint8Array, path: string, { views = false } = {}): JournalRecord[] {
  const corrupt = (why: string) => new CorruptDataError(`metadata journal ${path}: ${why}`, { path });
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.byteLength < MAGIC.length + 8) throw corrupt('truncated');
  for (let i = 0; i < MAGIC.length; i++) if (file[i] !== MAGIC.charCodeAt(i)) throw corrupt('not a Weir metadata journal');
  const end = file.byteLength - 4;
  if (view.getUint32(end, true) !== crc32(file.subarray(0, end))) throw corrupt('checksum mismatch');
  let at = MAGIC.length;
  const count = view.getUint32(at, true);
  at += 4;
  const records: JournalRecord[] = [];
  for (let r = 0; r < count; r++) {
    if (at + 4 > end) throw corrupt('truncated');
    const keyLength = view.getUint32(at, true);
    at += 4;
    if (at + keyLength * 2 + 4 > end) throw corrupt('truncated');
    const units: number[] = [];
    for (let i = 0; i < keyLength; i++, at += 2) units.push(view.getUint16(at, true));
    const byteLength = view.getUint32(at, true);
    at += 4;
    if (at + byteLength > end) throw corrupt('truncated');
    records.push({ key: fromCodeUnits(units), bytes: views ? file.subarray(at, at + byteLength) : file.slice(at, at + byteLength) });
    at += byteLength;
  }
  if (at !== end) throw corrupt('trailing bytes');
  return records;
}

function fromCodeUnits(units: number[]): string {
  let key = '';
  for (let i = 0; i < units.length; i += 8192) key += String.fromCharCode(...units.slice(i, i + 8192));
  return key;
}
