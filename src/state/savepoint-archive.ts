import { CorruptDataError, InvalidArgumentError, WeirError } from '../errors/index.js';
import { crc32 } from './checksum.js';

// The container of a savepoint: one self-contained archive of a checkpoint. Byte layout
// (little-endian; docs/savepoint-format.md is the reference another implementation reads):
//
//   header   0  8 bytes  magic "WEIRSAVE"
//            8  u16      SAVEPOINT_FORMAT_VERSION
//           10  u16      flags, 0
//           12  u32      section count N (2 + number of chunks)
//   N sections, each:
//            0  u8       type: 1 info, 2 metadata, 3 chunk
//            1  u32      name length L (UTF-8 bytes, ≤ MAX_NAME_BYTES)
//            5  u32      body length B
//            9  L bytes  name (the chunk's storage key; empty for info and metadata)
//          9+L  B bytes  body
//        9+L+B  u32      CRC-32 of the section's bytes before it
//
// Section 1 is the info, section 2 the checkpoint metadata, the rest the chunks; nothing
// follows the last section. Bodies are the bytes Weir stores (framed chunks, chunk-format.ts).

export const SAVEPOINT_FORMAT_VERSION = 1;
const MAGIC = [0x57, 0x45, 0x49, 0x52, 0x53, 0x41, 0x56, 0x45]; // "WEIRSAVE"
const HEADER_BYTES = 16;
const SECTION_OVERHEAD = 13; // type, two lengths, CRC
const MAX_NAME_BYTES = 4096;

export type SavepointSectionType = 'info' | 'metadata' | 'chunk';
const TYPES: readonly SavepointSectionType[] = ['info', 'metadata', 'chunk'];

export interface SavepointSection {
  readonly type: SavepointSectionType;
  /** The chunk's storage key; '' for info and metadata. */
  readonly name: string;
  readonly body: Uint8Array;
}

/** Packs sections (info, metadata, then chunks) into one archive. */
export function packSavepoint(sections: readonly SavepointSection[]): Uint8Array {
  const encoder = new TextEncoder();
  const names = sections.map((s) => encoder.encode(s.name));
  let length = HEADER_BYTES;
  sections.forEach((s, i) => (length += SECTION_OVERHEAD + names[i]!.length + s.body.length));
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint16(8, SAVEPOINT_FORMAT_VERSION, true);
  view.setUint16(10, 0, true);
  view.setUint32(12, sections.length, true);
  let at = HEADER_BYTES;
  sections.forEach((s, i) => {
    const name = names[i]!;
    if (name.length > MAX_NAME_BYTES) throw new InvalidArgumentError('savepoint section name', `must be at most ${MAX_NAME_BYTES} bytes, got ${name.length}`);
    const start = at;
    bytes[at] = TYPES.indexOf(s.type) + 1;
    view.setUint32(at + 1, name.length, true);
    view.setUint32(at + 5, s.body.length, true);
    bytes.set(name, at + 9);
    bytes.set(s.body, at + 9 + name.length);
    at += 9 + name.length + s.body.length;
    view.setUint32(at, crc32(bytes.subarray(start, at)), true);
    at += 4;
  });
  return bytes;
}

/** What part of the archive a section is, for messages: "section 3 (chunk 'jobs/…')". */
export function describeSection(index: number, type: SavepointSectionType | undefined, name = ''): string {
  const what = type === 'chunk' ? `chunk '${name}'` : type === 'metadata' ? 'checkpoint metadata' : type === 'info' ? 'savepoint info' : 'unknown type';
  return `section ${index + 1} (${what})`;
}

const corrupt = (message: string, details: Record<string, unknown>) => new CorruptDataError(`savepoint archive: ${message}`, { part: 'archive', ...details });

/**
 * Splits an archive into its sections, checking the header, every length against the bytes
 * that remain (before anything is read), every section's CRC-32, the section order, and that
 * nothing follows. Bodies are views into `bytes`: nothing is allocated from a length field.
 * Throws CORRUPT_DATA naming the part, STATE_MISMATCH for another format version.
 */
export function unpackSavepoint(bytes: Uint8Array): SavepointSection[] {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('savepoint', `expected a Uint8Array, got ${typeof bytes}`);
  if (bytes.length < HEADER_BYTES) throw corrupt(`truncated in its header: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`, { section: 'header' });
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw corrupt('not a Weir savepoint: the first bytes are not "WEIRSAVE"', { section: 'header' });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (version !== SAVEPOINT_FORMAT_VERSION) {
    throw new WeirError('STATE_MISMATCH', `savepoint archive has format version ${version}; this build of Weir reads version ${SAVEPOINT_FORMAT_VERSION}`, {
      domain: 'user', retryable: false, details: { part: 'header', foundVersion: version, supportedVersion: SAVEPOINT_FORMAT_VERSION },
    });
  }
  const flags = view.getUint16(10, true);
  if (flags !== 0) throw corrupt(`its header has flags 0x${flags.toString(16)}; version ${version} has none`, { section: 'header' });
  const count = view.getUint32(12, true);
  if (count < 2) throw corrupt(`its header says ${count} sections; a savepoint has at least 2 (info, metadata)`, { section: 'header' });
  if (count > (bytes.length - HEADER_BYTES) / SECTION_OVERHEAD) throw corrupt(`truncated: its header says ${count} sections, more than ${bytes.length} bytes can hold`, { section: 'header' });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const lenient = new TextDecoder();
  const sections: SavepointSection[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const start = at;
    const remaining = bytes.length - at;
    if (remaining < SECTION_OVERHEAD) throw corrupt(`truncated at ${describeSection(i, undefined)}: ${remaining} bytes left`, { section: i + 1 });
    const type = TYPES[bytes[at]! - 1];
    const nameLength = view.getUint32(at + 1, true);
    const bodyLength = view.getUint32(at + 5, true);
    if (nameLength > MAX_NAME_BYTES) throw corrupt(`${describeSection(i, type)} has a name of ${nameLength} bytes (at most ${MAX_NAME_BYTES})`, { section: i + 1 });
    // For messages only, before its checksum is checked: what the name says, as far as it is there.
    const label = describeSection(i, type, lenient.decode(bytes.subarray(at + 9, Math.min(at + 9 + nameLength, bytes.length))));
    if (nameLength + bodyLength > remaining - SECTION_OVERHEAD) {
      throw corrupt(`truncated in ${label}: it says ${nameLength + bodyLength} bytes, ${remaining - SECTION_OVERHEAD} are left`, { section: i + 1 });
    }
    const end = at + 9 + nameLength + bodyLength;
    const stored = view.getUint32(end, true);
    const computed = crc32(bytes.subarray(start, end));
    let name = '';
    if (stored === computed && type !== undefined) {
      try {
        name = decoder.decode(bytes.subarray(at + 9, at + 9 + nameLength));
      } catch {
        throw corrupt(`${describeSection(i, type)} has a name that is not UTF-8`, { section: i + 1 });
      }
    }
    if (stored !== computed) {
      throw corrupt(`${label} fails its checksum (stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')})`, { section: i + 1 });
    }
    if (type === undefined) throw corrupt(`${describeSection(i, type)} has the unknown type ${bytes[at]}`, { section: i + 1 });
    const expected: SavepointSectionType = i === 0 ? 'info' : i === 1 ? 'metadata' : 'chunk';
    if (type !== expected) throw corrupt(`${describeSection(i, type)} is out of place: section ${i + 1} must be the ${expected}`, { section: i + 1 });
    if (type === 'chunk' ? name === '' : name !== '') throw corrupt(`${describeSection(i, type)} ${type === 'chunk' ? 'has no name' : 'must have no name'}`, { section: i + 1 });
    sections.push({ type, name, body: bytes.subarray(at + 9 + nameLength, end) });
    at = end + 4;
  }
  if (at !== bytes.length) throw corrupt(`${bytes.length - at} bytes follow the last of its ${count} sections`, { section: 'end' });
  return sections;
}
