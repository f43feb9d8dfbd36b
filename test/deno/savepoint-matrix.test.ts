// The savepoint portability matrix in the real Deno binary, `{ dir }` storage: savepoints taken in
// Deno Web Workers, every runtime's restored in-process (test/support/savepoint-matrix.ts). Flat test() calls: the phase counts Deno's top-level tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readTable, run } from 'weir';
import {
  artifactFile, checkResumed, COUNTING, MATRIX_JOBS, matrixJob, RESTORED_AT, RUNTIMES, savepointOf, SEED, TAKEN_AT, takeArtifact,
  type MatrixArtifact, type MatrixJob, type MatrixRuntime,
} from '../support/savepoint-matrix.js';

const TEMP = '.test-build/savepoint-matrix';
const FIXTURES = 'test/fixtures/savepoints/matrix';

function jobUrl(kind: MatrixJob, held: boolean): URL {
  if (kind === 'counting') {
    return new URL(`./jobs/counting.job.js?name=${COUNTING.name}&records=${COUNTING.records}${held ? `&holdAfter=${COUNTING.records / 8}&holdCheckpoints=Infinity` : ''}`, import.meta.url);
  }
  return held
    ? new URL(`./jobs/held-seed-example.job.js?name=${SEED.name}&lines=${SEED.lines}&after=${SEED.lines / 8}&checkpoints=Infinity`, import.meta.url)
    : new URL(`../../examples/checkpoint-example.job.js?name=${SEED.name}&lines=${SEED.lines}`, import.meta.url);
}

function artifactOf(runtime: MatrixRuntime, kind: MatrixJob): MatrixArtifact {
  const fresh = `${TEMP}/${artifactFile(runtime, kind)}`;
  return JSON.parse(readFileSync(existsSync(fresh) ? fresh : `${FIXTURES}/${artifactFile(runtime, kind)}`, 'utf8')) as MatrixArtifact;
}

async function withDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(fileURLToPath(new URL('./sp-matrix-', import.meta.url)));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const kind of MATRIX_JOBS) {
  test(`savepoint matrix: Deno Web Workers take a savepoint of the ${kind} job at parallelism ${TAKEN_AT}`, () => withDir(async (dir) => {
    const storage = { dir };
    const handle = await run(jobUrl(kind, true), { storage, parallelism: TAKEN_AT, checkpointing: { intervalMs: 3_600_000 } });
    const artifact = await takeArtifact('deno', kind, handle, (table) => readTable(handle.jobName, table, { storage }));
    assert.equal((await handle.done).status, 'finished');
    mkdirSync(TEMP, { recursive: true });
    writeFileSync(`${TEMP}/${artifactFile('deno', kind)}`, JSON.stringify(artifact));
    if (process.env.WEIR_WRITE_MATRIX === '1') writeFileSync(`${FIXTURES}/${artifactFile('deno', kind)}`, JSON.stringify(artifact));
  }));
}

for (const from of RUNTIMES) {
  for (const kind of MATRIX_JOBS) {
    test(`savepoint matrix: Deno restores ${from}'s ${kind} savepoint at parallelism ${RESTORED_AT.join(' and ')}, with the fault-free result`, async () => {
      const artifact = artifactOf(from, kind);
      for (const parallelism of RESTORED_AT) {
        await withDir(async (dir) => {
          const storage = { dir };
          // In-process (the same graph): Web Workers take the savepoints above; this keeps the phase short.
          const handle = await run(matrixJob(kind, false), { storage, parallelism, resume: { savepoint: savepointOf(artifact) } });
          assert.equal((await handle.done).status, 'finished');
          await checkResumed(artifact, (table) => readTable(handle.jobName, table, { storage }));
        });
      }
    });
  }
}
