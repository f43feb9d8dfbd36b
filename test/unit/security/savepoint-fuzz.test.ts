import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readSavepoint } from '../../../src/api/read-savepoint.js';
import { decodeSavepoint } from '../../../src/runtime/coordinator/savepoint-codec.js';
import { chunkChecksum, decodeChunk, encodeChunk } from '../../../src/state/chunk-format.js';
import { packSavepoint, unpackSavepoint, type SavepointSection } from '../../../src/state/savepoint-archive.js';
import { decodeValue, encodeValue } from '../../../src/state/value-codec.js';
import { HUGE_U32, int, mutateBytes, parsesOrRefuses, pick, tamperValue, type Random } from '../../support/fuzz.js';
import { seededRandom } from '../../support/seeded-random.js';

// The savepoint archive is a door from outside (docs/security.md): bytes a user hands to run() or
// readSavepoint(), from a file, a URL or another runtime. Damaged bytes (caught by the section
// checksums) and archives whose contents were changed and packed again with valid checksums (only
// the field checks can refuse them) must parse or be refused with CORRUPT_DATA (STATE_MISMATCH for
// another format version) — never another error, never a hang. Seeded: a failing case replays.

const CASES = 4_000;
const golden = new Uint8Array(readFileSync('test/fixtures/savepoints/golden-counts-v1.weirsp'));
const CODES = ['CORRUPT_DATA', 'STATE_MISMATCH'];

function refusedOrRead(bytes: Uint8Array, label: string): boolean {
  const { value, error } = parsesOrRefuses(() => readSavepoint(bytes), label);
  if (error !== undefined) assert.ok(CODES.includes(error.code), `${label}: ${error.code} ${error.message}`);
  return value !== undefined;
}

/** One section's content changed as another version or an editor would, packed again with valid checksums. */
function tamper(random: Random, sections: SavepointSection[]): SavepointSection[] {
  const copy = sections.map((s) => ({ ...s }));
  const i = int(random, copy.length);
  const s = copy[i]!;
  if (s.type === 'info') {
    copy[i] = { ...s, body: encodeValue(tamperValue(random, decodeValue(s.body))) };
  } else {
    const { kind, payload } = decodeChunk(s.body);
    const body = encodeChunk(kind, tamperValue(random, payload));
    copy[i] = { ...s, body };
    if (s.type === 'chunk' && random() < 0.7) {
      // The handle made to match, so the payload's own checks are what refuse it.
      const meta = decodeChunk(copy[1]!.body).payload as { operators: Record<string, { handles: { key: string; bytes: number; checksum: number }[] }> };
      for (const op of Object.values(meta.operators)) for (const h of op.handles) if (h.key === s.name) Object.assign(h, { bytes: body.length, checksum: chunkChecksum(body) });
      copy[1] = { ...copy[1]!, body: encodeChunk('checkpoint-metadata', meta) };
    }
  }
  if (random() < 0.1) copy.splice(2 + int(random, copy.length - 2), 1); // a chunk left out
  if (random() < 0.1) copy.push(pick(random, copy.slice(2))); // a chunk twice
  return copy;
}

describe('savepoint archive fuzzing', () => {
  it(`${CASES} damaged archives are read or refused with CORRUPT_DATA / STATE_MISMATCH`, () => {
    const random = seededRandom(1401);
    let refused = 0;
    for (let n = 0; n < CASES; n++) if (!refusedOrRead(mutateBytes(random, golden), `damage ${n}`)) refused++;
    assert.ok(refused > CASES * 0.99, `nearly every damage is caught by a checksum or a length (${refused} of ${CASES})`);
  });

  it(`${CASES / 2} archives with changed contents and valid checksums are read or refused with CORRUPT_DATA`, () => {
    const random = seededRandom(1402);
    const sections = unpackSavepoint(golden);
    let read = 0;
    for (let n = 0; n < CASES / 2; n++) {
      const bytes = packSavepoint(tamper(random, sections));
      if (refusedOrRead(bytes, `tamper ${n}`)) {
        read++;
        decodeSavepoint(bytes); // what readSavepoint accepted, a restore accepts too
      }
    }
    assert.ok(read > 0 && read < CASES / 2, `some changes are harmless, most are refused (${read} read of ${CASES})`);
  });

  it('huge counts and lengths are refused before anything is allocated from them', () => {
    const sectionAt = 16;
    for (const huge of HUGE_U32) {
      for (const offset of [12, sectionAt + 1, sectionAt + 5]) {
        const bytes = golden.slice();
        new DataView(bytes.buffer).setUint32(offset, huge, true);
        const { error } = parsesOrRefuses(() => readSavepoint(bytes), `u32 ${huge} at ${offset}`, 'CORRUPT_DATA');
        assert.match(error!.message, /truncated|at most 4096|sections/);
      }
    }
  });
});
