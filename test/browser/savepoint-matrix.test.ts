/// <reference types="mocha" />
// The savepoint portability matrix in Chromium: Web Workers, IndexedDB (a database per run)
// (test/support/savepoint-matrix.ts). The page cannot write files: the test server's middleware
// (web-test-runner.config.mjs, /__savepoint-matrix/) keeps the artifacts for the later phases and
// serves the other runtimes' (this run's, else the committed fixtures).
import { readTable, run } from 'weir';
import { openIndexedDbStorage, type IndexedDbCheckpointStorage } from '../../src/state/backends/indexeddb-storage.js';
import {
  artifactFile, checkResumed, COUNTING, MATRIX_JOBS, RESTORED_AT, RUNTIMES, savepointOf, SEED, TAKEN_AT, takeArtifact,
  type MatrixArtifact, type MatrixJob,
} from '../support/savepoint-matrix.js';

let databases = 0;

async function withDatabase<T>(body: (storage: IndexedDbCheckpointStorage) => Promise<T>): Promise<T> {
  const storage = await openIndexedDbStorage({ database: `weir-sp-matrix-${Date.now()}-${++databases}` });
  try {
    return await body(storage);
  } finally {
    await storage.close();
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(storage.database);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
  }
}

function jobUrl(kind: MatrixJob, held: boolean): URL {
  if (kind === 'counting') {
    return new URL(`./fixtures/counting.job.ts?name=${COUNTING.name}&records=${COUNTING.records}&keys=${COUNTING.keys}${held ? `&holdAfter=${COUNTING.records / 8}&holdCheckpoints=Infinity` : ''}`, import.meta.url);
  }
  return held
    ? new URL(`../support/held-seed-example.job.ts?name=${SEED.name}&lines=${SEED.lines}&after=${SEED.lines / 8}&checkpoints=Infinity`, import.meta.url)
    : new URL(`../../examples/checkpoint-example.job.ts?name=${SEED.name}&lines=${SEED.lines}`, import.meta.url);
}

async function exchange(file: string, artifact?: MatrixArtifact): Promise<MatrixArtifact> {
  const response = await fetch(`/__savepoint-matrix/${file}`, artifact === undefined ? {} : { method: 'POST', body: JSON.stringify(artifact) });
  if (!response.ok) throw new Error(`/__savepoint-matrix/${file}: ${response.status} ${await response.text()}`);
  return artifact ?? ((await response.json()) as MatrixArtifact);
}

describe('savepoint portability: Chromium (Web Workers, IndexedDB)', () => {
  for (const kind of MATRIX_JOBS) {
    it(`takes a savepoint of the ${kind} job in Web Workers at parallelism ${TAKEN_AT}`, () => withDatabase(async (storage) => {
      const handle = await run(jobUrl(kind, true), { storage, parallelism: TAKEN_AT, checkpointing: { intervalMs: 3_600_000 } });
      const artifact = await takeArtifact('chromium', kind, handle, (table) => readTable(handle.jobName, table, { storage }));
      if ((await handle.done).status !== 'finished') throw new Error('the stopped job is not finished');
      await exchange(artifactFile('chromium', kind), artifact);
    }));
  }

  for (const from of RUNTIMES) {
    for (const kind of MATRIX_JOBS) {
      it(`restores ${from}'s ${kind} savepoint at parallelism ${RESTORED_AT.join(' and ')}, with the fault-free result`, async () => {
        const artifact = await exchange(artifactFile(from, kind));
        for (const parallelism of RESTORED_AT) {
          await withDatabase(async (storage) => {
            const handle = await run(jobUrl(kind, false), { storage, parallelism, resume: { savepoint: savepointOf(artifact) } });
            if ((await handle.done).status !== 'finished') throw new Error('not finished');
            await checkResumed(artifact, (table) => readTable(handle.jobName, table, { storage }));
          });
        }
      });
    }
  }
});
