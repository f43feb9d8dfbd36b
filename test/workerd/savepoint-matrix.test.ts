// The savepoint portability matrix in workerd (Miniflare): a Worker takes savepoints and restores
// every runtime's (test/support/savepoint-matrix.ts); this file moves the artifacts as files.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { artifactFile, checkResumed, MATRIX_JOBS, RESTORED_AT, RUNTIMES, TAKEN_AT, type MatrixArtifact, type MatrixJob, type MatrixRuntime } from '../support/savepoint-matrix.js';

const TEMP = '.test-build/savepoint-matrix';
const FIXTURES = 'test/fixtures/savepoints/matrix';

function artifactOf(runtime: MatrixRuntime, kind: MatrixJob): MatrixArtifact {
  const fresh = join(TEMP, artifactFile(runtime, kind));
  return JSON.parse(readFileSync(existsSync(fresh) ? fresh : join(FIXTURES, artifactFile(runtime, kind)), 'utf8')) as MatrixArtifact;
}

describe('savepoint portability: workerd (Miniflare), in-process, memory storage', () => {
  let mf: Miniflare | undefined;
  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await mf!.dispatchFetch(`http://localhost${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    const text = await response.text();
    assert.equal(response.status, 200, `${path}: ${text}`);
    return JSON.parse(text) as T;
  };

  before(async () => {
    const result = await build({
      entryPoints: ['test/workerd/fixtures/savepoint-worker.ts'],
      bundle: true, write: false, format: 'esm', target: 'es2022', logLevel: 'error',
      platform: 'neutral', mainFields: ['module', 'main'], conditions: ['workerd'], tsconfigRaw: {},
      define: { 'import.meta.url': JSON.stringify('file:///checkpoint-example.job.js') }, // workerd's import.meta has no url
    });
    mf = new Miniflare({ modules: [{ type: 'ESModule', path: 'savepoint-worker.js', contents: result.outputFiles[0]!.text }], compatibilityDate: '2026-04-01' });
  });
  after(() => mf?.dispose());

  for (const kind of MATRIX_JOBS) {
    it(`takes a savepoint of the ${kind} job at parallelism ${TAKEN_AT}`, async () => {
      const artifact = await call<MatrixArtifact>(`/take?job=${kind}`);
      assert.equal(artifact.runtime, 'workerd');
      mkdirSync(TEMP, { recursive: true });
      writeFileSync(join(TEMP, artifactFile('workerd', kind)), JSON.stringify(artifact));
      if (process.env.WEIR_WRITE_MATRIX === '1') writeFileSync(join(FIXTURES, artifactFile('workerd', kind)), JSON.stringify(artifact));
    });
  }

  for (const from of RUNTIMES) {
    for (const kind of MATRIX_JOBS) {
      it(`restores ${from}'s ${kind} savepoint at parallelism ${RESTORED_AT.join(' and ')}, with the fault-free result`, async () => {
        const artifact = artifactOf(from, kind);
        for (const parallelism of RESTORED_AT) {
          const { status, output } = await call<{ status: string; output: Record<string, unknown[]> }>(`/restore?job=${kind}&parallelism=${parallelism}`, artifact);
          assert.equal(status, 'finished');
          await checkResumed(artifact, async (table) => output[table]!);
        }
      });
    }
  }
});
