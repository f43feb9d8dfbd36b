import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readTable, run } from 'weir';
import {
  artifactFile, checkResumed, COUNTING, MATRIX_JOBS, RESTORED_AT, RUNTIMES, savepointOf, SEED, TAKEN_AT, takeArtifact,
  type MatrixArtifact, type MatrixJob, type MatrixRuntime,
} from '../support/savepoint-matrix.js';

// The savepoint portability matrix in Node: worker_threads, `{ dir }` storage (support/savepoint-matrix.ts).

const TEMP = '.test-build/savepoint-matrix';
const FIXTURES = 'test/fixtures/savepoints/matrix';
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const freshDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'weir-sp-matrix-'));
  dirs.push(dir);
  return dir;
};

/** The job module every worker loads (held: each reader stops for good after an eighth of its input). */
function jobUrl(kind: MatrixJob, held: boolean): URL {
  if (kind === 'counting') {
    return new URL(`./jobs/counting.job.js?name=${COUNTING.name}&records=${COUNTING.records}&keys=${COUNTING.keys}${held ? `&holdAfter=${COUNTING.records / 8}&holdCheckpoints=Infinity` : ''}`, import.meta.url);
  }
  return held
    ? new URL(`../support/held-seed-example.job.js?name=${SEED.name}&lines=${SEED.lines}&after=${SEED.lines / 8}&checkpoints=Infinity`, import.meta.url)
    : new URL(`../../examples/checkpoint-example.job.js?name=${SEED.name}&lines=${SEED.lines}`, import.meta.url);
}

/** The artifact another phase left in the temp folder this run, else the committed one. */
function artifactOf(runtime: MatrixRuntime, kind: MatrixJob): MatrixArtifact {
  const fresh = join(TEMP, artifactFile(runtime, kind));
  return JSON.parse(readFileSync(existsSync(fresh) ? fresh : join(FIXTURES, artifactFile(runtime, kind)), 'utf8')) as MatrixArtifact;
}

describe('savepoint portability: Node (worker_threads, { dir })', () => {
  for (const kind of MATRIX_JOBS) {
    it(`takes a savepoint of the ${kind} job in worker_threads at parallelism ${TAKEN_AT}`, async () => {
      const storage = { dir: await freshDir() };
      const handle = await run(jobUrl(kind, true), { storage, parallelism: TAKEN_AT, checkpointing: { intervalMs: 3_600_000 } });
      const artifact = await takeArtifact('node', kind, handle, (table) => readTable(handle.jobName, table, { storage }));
      assert.equal((await handle.done).status, 'finished');
      mkdirSync(TEMP, { recursive: true });
      writeFileSync(join(TEMP, artifactFile('node', kind)), JSON.stringify(artifact));
      if (process.env.WEIR_WRITE_MATRIX === '1') writeFileSync(join(FIXTURES, artifactFile('node', kind)), JSON.stringify(artifact));
    });
  }

  for (const from of RUNTIMES) {
    for (const kind of MATRIX_JOBS) {
      it(`restores ${from}'s ${kind} savepoint at parallelism ${RESTORED_AT.join(' and ')}, with the fault-free result`, async () => {
        const artifact = artifactOf(from, kind);
        for (const parallelism of RESTORED_AT) {
          const storage = { dir: await freshDir() };
          const handle = await run(jobUrl(kind, false), { storage, parallelism, resume: { savepoint: savepointOf(artifact) } });
          assert.equal((await handle.done).status, 'finished');
          await checkResumed(artifact, (table) => readTable(handle.jobName, table, { storage }));
        }
      });
    }
  }
});
