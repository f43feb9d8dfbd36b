import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { job, MemoryCheckpointStorage, readSavepoint, readTable, run, sinks, sources } from 'weir';
import { GOLDEN_NAME, goldenExpected, goldenJob, type GoldenRow } from '../../support/golden-savepoint-job.js';
import { serveAnswer, serveBody } from '../../support/test-servers.js';

// Issue 14: bad input for every new function, and a damaged archive refused naming the part.

const FILE = 'test/fixtures/savepoints/golden-counts-v1.weirsp';
const golden = () => new Uint8Array(readFileSync(FILE));
const code = (c: string, pattern: RegExp) => (e: Error & { code?: string }) => e.code === c && pattern.test(e.message);
const PART = /savepoint archive: (truncated|not a Weir savepoint|its header|section \d+ \((savepoint info|checkpoint metadata|chunk '[\s\S]*'|unknown type)\)|\d+ bytes follow)/;

describe('a damaged savepoint archive', () => {
  it('is refused at every truncation, naming the part where it ends', () => {
    const bytes = golden();
    for (let length = 0; length < bytes.length; length += length < 64 ? 1 : 37) {
      assert.throws(() => readSavepoint(bytes.subarray(0, length)), code('CORRUPT_DATA', PART), `truncated to ${length} bytes`);
    }
    assert.throws(() => readSavepoint(bytes.subarray(0, bytes.length - 1)), code('CORRUPT_DATA', /truncated in section \d+ \(chunk 'jobs\/golden-counts\//));
  });

  it('is refused with any one bit flipped, naming the part (the format version as a mismatch)', () => {
    const bytes = golden();
    let refused = 0;
    for (let at = 0; at < bytes.length; at++) {
      const damaged = bytes.slice();
      damaged[at]! ^= 1 << (at % 8);
      if (at === 8 || at === 9) assert.throws(() => readSavepoint(damaged), code('STATE_MISMATCH', /format version \d+; this build of Weir reads version 1/));
      else assert.throws(() => readSavepoint(damaged), code('CORRUPT_DATA', PART), `bit ${at % 8} of byte ${at}`);
      refused++;
    }
    assert.equal(refused, bytes.length);
  });

  it('is refused when its bytes follow on, or it is not a savepoint at all', () => {
    assert.throws(() => readSavepoint(new Uint8Array([...golden(), 0])), code('CORRUPT_DATA', /1 bytes follow the last of its \d+ sections/));
    assert.throws(() => readSavepoint(new TextEncoder().encode('WEIR this is not a savepoint, just text')), code('CORRUPT_DATA', /not a Weir savepoint/));
  });
});

describe('bad input to the savepoint functions', () => {
  it('readSavepoint(bytes) names its argument', () => {
    for (const bad of [42, 'bytes', null, undefined, [1, 2, 3]]) {
      assert.throws(() => readSavepoint(bad as never), code('INVALID_ARGUMENT', /^readSavepoint\(bytes\): expected a Uint8Array/));
    }
    assert.equal(readSavepoint(golden().slice().buffer).jobName, GOLDEN_NAME, 'an ArrayBuffer is read too');
  });

  it('run(job, { resume }) refuses what is not a start point, before anything runs', async () => {
    const cases: [unknown, RegExp][] = [
      ['soon', /^run\(job, options\)\.resume: expected one of/],
      [{}, /^run\(job, options\)\.resume: expected 'latest', 'none', \{ savepoint \} or \{ checkpoint \}/],
      [{ savepoint: golden(), checkpoint: 1 }, /^run\(job, options\)\.resume: expected/],
      [{ savepoint: 42 }, /^run\(job, options\)\.resume\.savepoint: expected the savepoint's bytes \(a Uint8Array\), a URL or a file path, got number 42/],
      [{ savepoint: '' }, /^run\(job, options\)\.resume\.savepoint: must not be empty/],
      [{ checkpoint: 0 }, /^run\(job, options\)\.resume\.checkpoint:/],
      [{ savepoint: 'no/such/file.weirsp' }, /^run\(job, options\)\.resume\.savepoint: cannot read no\/such\/file\.weirsp: ENOENT/],
      [{ snapshot: 1 }, /^run\(job, options\)\.resume\.snapshot: unknown option/],
    ];
    for (const [resume, message] of cases) {
      const storage = new MemoryCheckpointStorage();
      await assert.rejects(run(goldenJob(), { storage, resume: resume as never }), code('INVALID_ARGUMENT', message), JSON.stringify(resume));
      assert.deepEqual(await storage.listMetadata(''), [], 'nothing stored');
    }
  });

  it('a savepoint of another job, or with state of an operator the job lacks, is refused naming which', async () => {
    const other = job('another-job', (env) => env.fromSource(sources.sequence({ from: 0, to: 10 }), { uid: 'numbers' }).sinkTo(sinks.table('t'), { uid: 't' }));
    await assert.rejects(run(other, { storage: new MemoryCheckpointStorage(), resume: { savepoint: golden() } }), code('STATE_MISMATCH', /savepoint is of job 'golden-counts', not of job 'another-job'/));
    const lacking = job(GOLDEN_NAME, (env) => env.fromSource(sources.sequence({ from: 0, to: 4_000 }), { uid: 'numbers' }).sinkTo(sinks.table('numbers'), { uid: 'new-sink' }));
    await assert.rejects(run(lacking, { storage: new MemoryCheckpointStorage(), resume: { savepoint: golden() } }), code('STATE_MISMATCH', /operators this job does not have: 'counts', 'counts-table'/));
    // allowed: that state is dropped; the new sink starts empty and gets what the source had not read.
    const storage = new MemoryCheckpointStorage();
    await (await run(lacking, { storage, resume: { savepoint: golden() }, allowNonRestoredState: true })).done;
    const rows = await readTable<number>(GOLDEN_NAME, 'numbers', { storage });
    assert.deepEqual(rows.sort((a, b) => a - b), Array.from({ length: 2_800 }, (_, i) => 1_200 + i));
  });

  it('a savepoint is read from a path, a file: URL and an http URL; a failed fetch is an error naming it', async () => {
    for (const savepoint of [FILE, pathToFileURL(resolve(FILE))]) {
      const storage = new MemoryCheckpointStorage();
      await (await run(goldenJob(), { storage, resume: { savepoint } })).done;
      assert.deepEqual(new Map((await readTable<GoldenRow>(GOLDEN_NAME, 'counts', { storage })).map((r) => [r.key, r])), goldenExpected());
    }
    const server = await serveBody(golden(), { range: false });
    const missing = await serveAnswer(404);
    try {
      const storage = new MemoryCheckpointStorage();
      await (await run(goldenJob(), { storage, resume: { savepoint: new URL(`${server.url}/data`) } })).done;
      assert.equal((await readTable(GOLDEN_NAME, 'counts', { storage })).length, goldenExpected().size);
      await assert.rejects(run(goldenJob(), { storage: new MemoryCheckpointStorage(), resume: { savepoint: `${missing.url}/sp` } }), code('SOURCE_FAILED', /resume\.savepoint: fetching http:\/\/127\.0\.0\.1:\d+\/sp answered 404/));
    } finally {
      await server.close();
      await missing.close();
    }
  });

  it('stop(options) takes only { savepoint: true }; a job that is not running takes no savepoint', async () => {
    const handle = await run(goldenJob(), { storage: new MemoryCheckpointStorage(), resume: 'none' });
    await assert.rejects(handle.stop({ savepoint: false }), code('INVALID_ARGUMENT', /^stop\(options\)\.savepoint: must be true/));
    await assert.rejects(handle.stop(42 as never), code('INVALID_ARGUMENT', /^stop\(options\): expected an options object/));
    await handle.done;
    await assert.rejects(handle.savepoint(), code('CHECKPOINT_DECLINED', /job 'golden-counts' is finished; a savepoint needs a running job/));
    await assert.rejects(handle.stop(), code('CHECKPOINT_DECLINED', /is finished/));
  });
});
