// Durable Object SQLite storage in Miniflare's workerd: the shared CheckpointStorage contract,
// each check run inside its own object on that object's ctx.storage (fixtures/storage-worker.ts),
// then what only this backend has: rows of at most 1 MiB, data that survives a reset of the
// object, and a clear refusal of a class without SQLite.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bundleWorker, call, startWorker } from './support/workerd-harness.js';

const { code } = await bundleWorker('test/workerd/fixtures/storage-worker.ts');
const mf = startWorker(code, {
  durableObjects: { CONTRACT: { className: 'ContractObject', useSQLite: true }, KV_BACKED: { className: 'KvBackedObject', useSQLite: false } },
});
after(() => mf.dispose());
const checks = (await call(mf, '/contract')).json<string[]>();

describe('Durable Object storage in workerd', () => {
  it('runs every check of the storage contract (there are some)', () => assert.ok(checks.length >= 18, `${checks.length} checks`));
  checks.forEach((name, i) => {
    it(name, async () => {
      const result = (await call(mf, `/contract/run?i=${i}`)).json<{ ok: boolean; error?: string }>();
      assert.ok(result.ok, result.error);
    });
  });

  it('stores a value in rows of at most 1 MiB: 5 MB in 5 rows, 1 MiB exactly in one, an empty value in one', async () => {
    assert.deepEqual((await call(mf, '/rows?key=a&bytes=5000000')).json(), { rows: 5, largest: 1 << 20, same: true });
    assert.deepEqual((await call(mf, `/rows?key=b&bytes=${1 << 20}`)).json(), { rows: 1, largest: 1 << 20, same: true });
    assert.deepEqual((await call(mf, '/rows?key=c&bytes=0')).json(), { rows: 1, largest: 0, same: true });
  });

  it('keeps chunks and metadata when the object is reset (ctx.abort()) and a new instance reads them', async () => {
    assert.equal((await call(mf, '/survive/write')).status, 200);
    assert.equal((await call(mf, '/survive/abort')).status, 500, 'the aborted request fails');
    assert.deepEqual((await call(mf, '/survive/read')).json(), { chunk: true, epoch: [7] });
  });

  it('refuses { durableObject } without a ctx.storage (a missing binding) in run() and readTable(), naming the option', async () => {
    const e = (await call(mf, '/missing-binding')).json<Record<string, { code: string; message: string }>>();
    assert.equal(e.run!.code, 'INVALID_ARGUMENT');
    assert.equal(e.run!.message, "run(job, options).storage.durableObject: expected a Durable Object's ctx.storage (with sql and transactionSync), got undefined");
    assert.equal(e.readTable!.message, "readTable(jobName, table, options).storage.durableObject: expected a Durable Object's ctx.storage (with sql and transactionSync), got an object without transactionSync");
  });

  it('refuses the storage of a class without SQLite, saying to declare it under new_sqlite_classes', async () => {
    const e = (await call(mf, '/kv-backed')).json<{ name: string; code: string; message: string }>();
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, /^storage: this Durable Object has no SQLite storage: declare its class under `new_sqlite_classes`/);
  });
});
