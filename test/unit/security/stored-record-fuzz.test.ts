import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCommittedTable } from '../../../src/connectors/sinks/read-table.js';
import { tableLayout } from '../../../src/connectors/sinks/table-layout.js';
import { decodeLogBatch, decodeLogHead, decodeLogMeta, decodeLogReader, encodeLogBatch, encodeLogHead, encodeLogMeta, encodeLogReader } from '../../../src/connectors/log/log-records.js';
import { decodeAttemptRecord, decodeMetadata } from '../../../src/runtime/coordinator/stored-records.js';
import { decodeEpoch, encodeEpoch } from '../../../src/runtime/coordinator/runner-epoch.js';
import { TimerQueue } from '../../../src/runtime/operators/timer-queue.js';
import { decodeJournal, encodeJournal } from '../../../src/state/backends/fs-metadata-journal.js';
import { chunkChecksum, decodeChunk, encodeChunk, type ChunkKind } from '../../../src/state/chunk-format.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';
import { HeapKeyedStateBackend } from '../../../src/state/heap-keyed-state-backend.js';
import { checkKeyedStatePayload, checkOperatorStatePayload } from '../../../src/state/keyed-state-payload.js';
import { storageLayout } from '../../../src/state/storage-layout.js';
import { readStoredPayload } from '../../../src/state/stored-record.js';
import { encodeValue } from '../../../src/state/value-codec.js';
import { assertNoPollution, int, mutateBytes, parsesOrRefuses, parsesOrRefusesAsync, pick, plainObject, randomBytes, randomValue, tamperValue, type Random } from '../../support/fuzz.js';
import { seededRandom } from '../../support/seeded-random.js';

// Every record kind Weir keeps in storage, read back as another version or an editor left it
// (issue 17): bytes damaged (the frame's checksum refuses them) and payloads changed and framed
// again with a valid checksum (only the field checks can refuse them). The one allowed refusal
// is CORRUPT_DATA naming the record's key, in `details.key` and in the message; what is accepted
// must be usable by its reader without any other error. Seeded: a failing case replays.

const CASES = 5_000; // each case decodes twice: the valid record, then a damaged or changed one
const JOB = 'job-é';

/** One stored record kind: a valid record under its key, and its reader (which also uses what it accepted). */
interface RecordKind {
  readonly kind: ChunkKind;
  readonly key: string;
  payload(random: Random): unknown;
  read(bytes: Uint8Array, key: string): unknown;
}

function handle(random: Random, uid: string) {
  const start = int(random, 64);
  return plainObject([
    ['key', storageLayout.stateChunkKey(JOB, 3, '1.1', uid, 0, 'keyed-0-7')], ['kind', pick(random, ['keyed', 'operator'])], ['operatorUid', uid],
    ['subtaskIndex', int(random, 4)], ['bytes', int(random, 1e6)], ['checksum', int(random, 2 ** 32)], ['keyGroupRange', plainObject([['start', start], ['end', start + int(random, 8)]])],
  ]);
}

function keyedPayload(random: Random) {
  const names = ['count', '__proto__', 'constructor', 'sum'].filter(() => random() < 0.6);
  return plainObject([
    ['keyGroupRange', plainObject([['start', 0], ['end', 127]])],
    ['kinds', plainObject(names.map((n) => [n, pick(random, ['value', 'list', 'map', 'reducing'])]))],
    ['groups', Array.from({ length: int(random, 4) }, () => [int(random, 128), plainObject(names.map((n) => [n, new Map([[pick(random, ['a', 1, 2n, true]), randomValue(random, 1)]])]))])],
    ['timers', Array.from({ length: int(random, 3) }, () => [int(random, 128), [[int(random, 1e6), pick(random, ['k', 7, 3n, false])]]])],
    ['eventTimers', []],
    ['watermark', pick(random, [-Infinity, 0, 1234])],
  ]);
}

const KINDS: RecordKind[] = [
  {
    kind: 'checkpoint-metadata',
    key: storageLayout.checkpointMetadataKey(JOB, 3),
    payload: (random) => {
      const operators = ['map-1', '__proto__', 'constructor'].filter(() => random() < 0.7).map((uid) => [uid, plainObject([['parallelism', 1 + int(random, 4)], ['handles', Array.from({ length: int(random, 3) }, () => handle(random, uid))]])] as const);
      const metadata = { jobName: JOB, checkpointId: 3, epoch: 2, triggerTimestamp: 10, completedTimestamp: 12, maxParallelism: 128, final: random() < 0.5, operators: plainObject(operators) };
      return metadata;
    },
    read(bytes, key) {
      const m = decodeMetadata(bytes, key);
      // What the coordinator does with it: list the handle keys, deal key-group ranges.
      for (const op of Object.values(m.operators)) for (const h of op.handles) assert.ok(h.key.startsWith(storageLayout.chunkPrefix(JOB)) && (h.keyGroupRange === undefined || Number.isSafeInteger(h.keyGroupRange.start)));
      return m;
    },
  },
  {
    kind: 'attempt',
    key: storageLayout.attemptKey(JOB),
    payload: (random) => ({ epoch: int(random, 9), attempt: int(random, 9), state: 'running', nextCheckpointId: int(random, 99) }),
    read: (b, k) => decodeAttemptRecord(b, k),
  },
  { kind: 'log-meta', key: storageLayout.logMetaKey('l'), payload: (random) => ({ partitions: 1 + int(random, 8) }), read: (b, k) => decodeLogMeta(b, k) },
  { kind: 'log-head', key: storageLayout.logHeadKey('l', 0), payload: (random) => ({ next: int(random, 1e6), ended: random() < 0.5 }), read: (b, k) => decodeLogHead(b, k) },
  { kind: 'log-reader', key: storageLayout.logReaderKey('l', JOB, 'src', 0), payload: (random) => ({ next: int(random, 1e6) }), read: (b, k) => decodeLogReader(b, k) },
  {
    kind: 'log-batch',
    key: storageLayout.logBatchKey('l', 0, 40),
    payload: (random) => {
      const records = Array.from({ length: 1 + int(random, 4) }, () => randomValue(random, 2));
      return decodeChunk(encodeLogBatch(40, records.length, encodeValue(records))).payload;
    },
    read: (b, k) => decodeLogBatch(b, k, 40),
  },
  {
    kind: 'log-batch',
    key: storageLayout.logBatchKey('l', 0, 40),
    payload: (random) => {
      // A group of appends: a list of encoded record lists.
      const parts = Array.from({ length: 2 + int(random, 3) }, () => Array.from({ length: 1 + int(random, 3) }, () => randomValue(random, 2)));
      return decodeChunk(encodeLogBatch(40, parts.flat().length, parts.map((p) => encodeValue(p)))).payload;
    },
    read: (b, k) => decodeLogBatch(b, k, 40),
  },
  {
    kind: 'keyed-state',
    key: storageLayout.stateChunkKey(JOB, 3, '1.1', 'map-1', 0, 'keyed-0-127'),
    payload: keyedPayload,
    read(bytes, key) {
      const payload = checkKeyedStatePayload(readStoredPayload(bytes, 'keyed-state', key, 'state chunk'), key);
      // What a keyed operator does with it: restore its state and timers.
      new HeapKeyedStateBackend({ start: 0, end: 127 }).restore([payload]);
      new TimerQueue().restore([...(payload.timers ?? []), ...(payload.eventTimers ?? [])], () => true);
      return payload;
    },
  },
  {
    kind: 'operator-state',
    key: storageLayout.stateChunkKey(JOB, 3, '1.1', 'src', 0, 'operator'),
    payload: (random) => Array.from({ length: int(random, 4) }, () => randomValue(random, 2)),
    read: (bytes, key) => checkOperatorStatePayload(readStoredPayload(bytes, 'operator-state', key, 'state chunk'), key).flat(),
  },
];

/** The reader's outcome: accepted (false), or refused (true) with CORRUPT_DATA naming the key. */
function readOrRefuse(kind: RecordKind, bytes: Uint8Array, label: string): boolean {
  const { error } = parsesOrRefuses(() => kind.read(bytes, kind.key), label, 'CORRUPT_DATA');
  if (error === undefined) return false;
  assert.equal(error.details.key, kind.key, `${label}: details.key (${error.message})`);
  assert.ok(error.message.includes(kind.key), `${label}: the message names the key: ${error.message}`);
  return true;
}

describe('stored records fuzzing (seeded)', () => {
  for (const kind of KINDS) {
    it(`${kind.kind}: ${CASES} valid records read back, as many damaged on disk or changed and framed again with a valid checksum, are read or refused with CORRUPT_DATA naming the key`, () => {
      const random = seededRandom(kind.kind.length * 7919 + kind.kind.charCodeAt(0));
      let damagedRefused = 0;
      let tamperedRefused = 0;
      for (let c = 0; c < CASES; c++) {
        const payload = kind.payload(random);
        const bytes = encodeChunk(kind.kind, payload);
        assert.equal(readOrRefuse(kind, bytes, `case ${c}: valid`), false, `case ${c}: a valid record is read`);
        if (c % 2 === 0) {
          const damaged = random() < 0.05 ? randomBytes(random, int(random, 64)) : mutateBytes(random, bytes);
          if (readOrRefuse(kind, damaged, `case ${c}: damaged`)) damagedRefused++;
        } else {
          // A field changed, or (rarely) a payload of another shape altogether.
          const changed = random() < 0.05 ? randomValue(random, 2) : tamperValue(random, payload);
          if (readOrRefuse(kind, encodeChunk(kind.kind, changed), `case ${c}: changed`)) tamperedRefused++;
        }
      }
      assert.ok(damagedRefused > CASES / 4, `damaged records are refused (${damagedRefused})`);
      assert.ok(tamperedRefused > CASES / 100, `changed records are refused by their field checks (${tamperedRefused})`);
      assertNoPollution(kind.kind);
    });
  }

  it(`runner epoch record: ${CASES} damaged records are read or refused with CORRUPT_DATA naming the key`, () => {
    const random = seededRandom(31);
    const key = storageLayout.epochKey(JOB);
    let refused = 0;
    for (let c = 0; c < CASES; c++) {
      const epoch = 1 + int(random, 1e6);
      const bytes = encodeEpoch(epoch, `token-${int(random, 1e9)}`);
      assert.equal(decodeEpoch(bytes, key), epoch);
      const { value, error } = parsesOrRefuses(() => decodeEpoch(mutateBytes(random, bytes), key), `case ${c}`, 'CORRUPT_DATA');
      if (error !== undefined) {
        assert.equal(error.details.key, key);
        refused++;
      } else assert.ok(Number.isSafeInteger(value) && value! >= 0, `case ${c}: an epoch read is a count`);
    }
    assert.ok(refused > CASES * 0.9, `damaged epochs are refused by their checksum (${refused})`);
  });

  it(`fs metadata journal: ${CASES} damaged journal files are read or refused with CORRUPT_DATA naming the file`, () => {
    const random = seededRandom(59);
    let refused = 0;
    for (let c = 0; c < CASES; c++) {
      const records = Array.from({ length: int(random, 4) }, () => ({ key: pick(random, ['jobs/a/epoch', '__proto__', 'k\uD800', '']), bytes: randomBytes(random, int(random, 24)) }));
      const file = encodeJournal(records);
      assert.deepStrictEqual(decodeJournal(file, 'p'), records);
      const { value, error } = parsesOrRefuses(() => decodeJournal(mutateBytes(random, file), 'p'), `case ${c}`, 'CORRUPT_DATA');
      if (error !== undefined) {
        assert.equal(error.details.path, 'p');
        refused++;
      } else assert.ok(value!.length <= file.length, `case ${c}: bounded`);
    }
    assert.ok(refused > CASES * 0.9, `damaged journals are refused by their checksum (${refused})`);
  });
});

describe('table records fuzzing (seeded)', () => {
  const TABLE_CASES = 2_000;

  it(`${TABLE_CASES} tables whose commit record or rows chunk was damaged, or changed and framed again (checksums made to match), are read or refused with CORRUPT_DATA naming the key`, async () => {
    const random = seededRandom(2026);
    const table = 'out';
    let refused = 0;
    for (let c = 0; c < TABLE_CASES; c++) {
      const storage = new MemoryCheckpointStorage();
      const mode = pick(random, ['append', 'upsert'] as const);
      const rows = Array.from({ length: 1 + int(random, 4) }, (_, i) => (mode === 'upsert' ? [i, randomValue(random, 2)] : randomValue(random, 2)));
      const data = tableLayout.dataKey(JOB, table, 7, 0, '1.1');
      const commitKey = tableLayout.commitKey(JOB, table, 7, 0);
      let chunk = encodeChunk('sink-transaction', rows);
      let commit: unknown = plainObject([['table', table], ['transactionId', 7], ['subtaskIndex', 0], ['mode', mode], ['data', data], ['rowCount', rows.length], ['checksum', chunkChecksum(chunk)]]);
      let commitBytes = encodeChunk('table-commit', commit);
      const label = `case ${c}`;
      switch (int(random, 4)) {
        case 0:
          commitBytes = mutateBytes(random, commitBytes);
          break;
        case 1:
          chunk = mutateBytes(random, chunk);
          break;
        case 2:
          commitBytes = encodeChunk('table-commit', (commit = tamperValue(random, commit)));
          break;
        default: // the rows changed, and the commit record's checksum with them
          chunk = encodeChunk('sink-transaction', random() < 0.1 ? randomValue(random, 2) : tamperValue(random, rows));
          commitBytes = encodeChunk('table-commit', plainObject([...Object.entries(commit as object).filter(([k]) => k !== 'checksum'), ['checksum', chunkChecksum(chunk)]]));
      }
      await storage.putChunk(data, chunk);
      await storage.putMetadata([{ key: commitKey, bytes: commitBytes }]);
      const { value, error } = await parsesOrRefusesAsync(() => readCommittedTable(storage, JOB, table), label, 'CORRUPT_DATA');
      if (error !== undefined) {
        const key = error.details.key as string;
        assert.ok(key === commitKey || key === data, `${label}: details.key names the commit record or its rows (${error.message})`);
        assert.ok(error.message.includes(key), `${label}: the message names the key: ${error.message}`);
        refused++;
      } else assert.ok(Array.isArray(value), `${label}: a table read is a list of rows`);
    }
    assert.ok(refused > TABLE_CASES / 2, `most damaged or changed tables are refused (${refused})`);
    assertNoPollution('tables');
  });
});
