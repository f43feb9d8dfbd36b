import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from '../../../src/state/checksum.js';
import {
  CHUNK_HEADER_BYTES,
  CHUNK_KINDS,
  chunkChecksum,
  decodeChunk,
  encodeChunk,
  frameChunk,
  openChunk,
  sealChunk,
  SNAPSHOT_FORMAT_VERSION,
  type ChunkKind,
} from '../../../src/state/chunk-format.js';
import { appendWith, encodeValue, encodeWith, type ValueWriter } from '../../../src/state/value-codec.js';
import { CorruptDataError, InvalidArgumentError } from '../../../src/errors/index.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** The textbook one-bit-at-a-time CRC-32, to check the table-driven one against. */
function referenceCrc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function corruptWith(bytes: Uint8Array, pattern: RegExp, expectedKind?: ChunkKind): CorruptDataError {
  let caught: unknown;
  assert.throws(() => decodeChunk(bytes, expectedKind), (error: unknown) => {
    caught = error;
    assert.ok(error instanceof CorruptDataError, `expected CorruptDataError, got ${String(error)}`);
    assert.equal(error.code, 'CORRUPT_DATA');
    assert.match(error.message, pattern);
    return true;
  });
  return caught as CorruptDataError;
}

describe('crc32', () => {
  it('matches the standard check values', () => {
    assert.equal(crc32(ascii('123456789')), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
    assert.equal(crc32(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  });

  it('agrees with the bitwise reference for every length up to 40 and for a view at an offset', () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff);
    for (let n = 0; n <= 40; n++) assert.equal(crc32(data.subarray(0, n)), referenceCrc32(data.subarray(0, n)), `length ${n}`);
    assert.equal(crc32(data.subarray(5, 37)), referenceCrc32(data.subarray(5, 37)));
  });
});

describe('chunk format', () => {
  const payload = { operator: 'counts', keyGroups: [0, 127], state: new Map([['a', 1], ['b', 2]]) };

  it('round-trips a payload for every chunk kind', () => {
    for (const kind of CHUNK_KINDS) {
      const decoded = decodeChunk(encodeChunk(kind, payload), kind);
      assert.equal(decoded.kind, kind);
      assert.deepStrictEqual(decoded.payload, payload);
    }
  });

  it('lays out magic, version, kind, length and the payload checksum before the encoded payload', () => {
    const bytes = encodeChunk('keyed-state', payload);
    const body = encodeValue(payload);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'WEIR');
    assert.equal(bytes[4], SNAPSHOT_FORMAT_VERSION);
    assert.equal(bytes[5], 2);
    assert.equal(view.getUint32(6, true), body.length);
    assert.equal(view.getUint32(10, true), crc32(body));
    assert.deepStrictEqual(bytes.subarray(CHUNK_HEADER_BYTES), body);
    assert.equal(chunkChecksum(bytes), crc32(body));
  });

  it('decodes a chunk that sits at an offset inside a larger buffer', () => {
    const chunk = encodeChunk('table-commit', ['row', 1]);
    const larger = new Uint8Array(chunk.length + 11);
    larger.set(chunk, 7);
    assert.deepStrictEqual(decodeChunk(larger.subarray(7, 7 + chunk.length)).payload, ['row', 1]);
  });

  it('detects any single flipped payload byte by its checksum', () => {
    const bytes = encodeChunk('operator-state', payload);
    for (let i = CHUNK_HEADER_BYTES; i < bytes.length; i++) {
      const damaged = bytes.slice();
      damaged[i] ^= 0x01;
      const error = corruptWith(damaged, /operator-state chunk fails its checksum/);
      assert.equal(error.details.storedChecksum, chunkChecksum(bytes));
    }
  });

  it('detects a truncated chunk and one with bytes appended', () => {
    const bytes = encodeChunk('sink-transaction', payload);
    const error = corruptWith(bytes.subarray(0, bytes.length - 1), /truncated: header says \d+ payload bytes, found \d+/);
    assert.deepStrictEqual(
      [error.details.expectedLength, error.details.actualLength],
      [bytes.length - CHUNK_HEADER_BYTES, bytes.length - CHUNK_HEADER_BYTES - 1],
    );
    corruptWith(bytes.subarray(0, 9), /shorter than its 14-byte header/);
    corruptWith(new Uint8Array(0), /truncated/);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    corruptWith(longer, /longer than its header says/);
  });

  it('names the version it found and the one it reads when the version differs', () => {
    const bytes = encodeChunk('checkpoint-metadata', payload);
    bytes[4] = 2;
    const error = corruptWith(bytes, /version 2; this build of Weir reads version 1 only/);
    assert.deepStrictEqual([error.details.foundVersion, error.details.supportedVersion], [2, 1]);
  });

  it('refuses wrong magic bytes, an unknown kind byte and a kind other than the expected one', () => {
    const bytes = encodeChunk('keyed-state', payload);
    const wrongMagic = bytes.slice();
    wrongMagic[0] = 0x58;
    corruptWith(wrongMagic, /not a Weir chunk/);
    const unknownKind = bytes.slice();
    unknownKind[5] = 99;
    corruptWith(unknownKind, /unknown kind byte 99/);
    const error = corruptWith(bytes, /expected a operator-state chunk, found a keyed-state chunk/, 'operator-state');
    assert.deepStrictEqual([error.details.expectedKind, error.details.foundKind], ['operator-state', 'keyed-state']);
  });

  it('reports a payload that passes its checksum but does not decode', () => {
    const body = new Uint8Array([0x1f]);
    const bytes = new Uint8Array(CHUNK_HEADER_BYTES + body.length);
    bytes.set(encodeChunk('keyed-state', null).subarray(0, 6));
    new DataView(bytes.buffer).setUint32(6, body.length, true);
    new DataView(bytes.buffer).setUint32(10, crc32(body), true);
    bytes.set(body, CHUNK_HEADER_BYTES);
    const error = corruptWith(bytes, /passes its checksum but cannot be decoded: .*unknown tag 0x1f/);
    assert.ok(error.details.cause instanceof CorruptDataError);
  });

  it('refuses an unknown kind and an unstorable payload when encoding', () => {
    assert.throws(() => encodeChunk('savepoint' as ChunkKind, 1), InvalidArgumentError);
    assert.throws(() => encodeChunk('keyed-state', { x: () => 1 }), /at value\.x/);
  });

  it('builds a chunk in place, from pieces appended to a small buffer, with the same bytes as framing the pieces encoded apart', () => {
    const pieces: ((w: ValueWriter) => void)[] = [
      (w) => { w.close(w.openArray(), 3); w.value('start'); },
      (w) => w.value({ big: 'z'.repeat(5000), n: [1, 2.5, -3n] }),
      (w) => w.value(new Map([['k', new Uint8Array([1, 2, 3])]])),
    ];
    const target = openChunk(new Uint8Array(1)); // too small even for the header: replaced, and grown as pieces append
    for (const fill of pieces) appendWith(target, fill);
    const built = sealChunk('keyed-state', target);
    assert.deepEqual([...built], [...frameChunk('keyed-state', pieces.map((fill) => encodeWith(fill)))]);
    assert.deepEqual(decodeChunk(built, 'keyed-state').payload, ['start', { big: 'z'.repeat(5000), n: [1, 2.5, -3n] }, new Map([['k', new Uint8Array([1, 2, 3])]])]);
    assert.throws(() => appendWith(target, (w) => w.value({ f: () => 0 })), /at value\.f/);
    assert.equal(target.length, built.length, 'a piece that throws appends nothing');
  });
});
