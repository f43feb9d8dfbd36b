import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, run, sinks, type JobHandle, type JobWarning } from 'weir';
import { gatedSequence, type Gate } from '../support/gated-source.js';
import { seededRandom } from '../support/seeded-random.js';
import { serveAnswer, serveIdempotentEndpoint } from '../support/test-servers.js';
import { bad, namesArgument, uniqueJobName } from '../unit/api/api-test-helpers.js';

// sinks.http against a real endpoint on 127.0.0.1 that keeps the Idempotency-Keys it took: the
// endpoint fails requests (503, 429, dropped connections) and the job's tasks are killed after
// awaited checkpoints; the endpoint must end up with every record exactly once.

const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 4, attempts: 3 };
const SECRET = 'Bearer s3cr3t-token-value';

function waitForRunning(handle: JobHandle): Promise<void> {
  return new Promise((resolve) => {
    const off = handle.on('status', (status) => {
      if (status !== 'running') return;
      off();
      resolve();
    });
  });
}

/** A checkpoint; one whose delivery the endpoint refused for now completes with its commit deferred (COMMIT_DEFERRED). */
async function checkpoint(handle: JobHandle): Promise<void> {
  await handle.triggerCheckpoint().catch((error: { code?: string }) => {
    if (error.code !== 'COMMIT_DEFERRED') throw error;
  });
}

const delivered = (accepted: Map<string, unknown[]>) => [...accepted.values()].flat() as number[];

for (const seed of [11, 12]) {
  describe(`sinks.http, seed ${seed}`, () => {
    it('delivers every record exactly once through endpoint faults and worker kills, each checkpoint under its key', async () => {
      const TOTAL = 2_000;
      const random = seededRandom(seed);
      const endpoint = await serveIdempotentEndpoint(() => {
        const r = random();
        return r < 0.08 ? '503' : r < 0.14 ? '429' : r < 0.2 ? 'dropped' : r < 0.26 ? 'lost' : undefined;
      });
      const gate: Gate = { allowed: 0 };
      const name = uniqueJobName('http-exactly-once');
      const warnings: JobWarning[] = [];
      const handle = await run(job(name, (env) => {
        env.fromSource(gatedSequence(TOTAL, gate), { uid: 'numbers' })
          .sinkTo(sinks.http(endpoint.url, { headers: { Authorization: SECRET }, retry: FAST_RETRY }), { uid: 'out' });
      }), { storage: new MemoryCheckpointStorage(), parallelism: 2, checkpointing: { intervalMs: 3_600_000 }, restart: { strategy: 'fixed-delay', attempts: 20, delayMs: 0 } });
      handle.on('warning', (w) => void warnings.push(w));
      let kills = 0;
      try {
        for (let round = 1; round <= 20; round++) {
          gate.allowed = round * 90;
          for (let i = 0; i < 3; i++) await checkpoint(handle);
          if (round % 5 === 0) {
            // An outage: the checkpoint completes but its delivery cannot; the kill then leaves it to the restore.
            endpoint.down = round % 10 === 0;
            const outagesBefore = endpoint.faults.outage;
            gate.allowed += 10;
            for (let i = 0; endpoint.down && endpoint.faults.outage === outagesBefore; i++) {
              assert.ok(i < 200, 'a delivery reached the endpoint during the outage');
              await checkpoint(handle);
            }
            const running = waitForRunning(handle);
            handle.injectFailure();
            kills++;
            await running;
            endpoint.down = false;
          }
        }
        gate.allowed = TOTAL;
        assert.equal((await handle.done).status, 'finished');
      } finally {
        await handle.cancel();
        await endpoint.close();
      }
      assert.equal(kills, 4);
      const f = endpoint.faults;
      const injected = f['503'] + f['429'] + f.dropped + f.lost + f.outage;
      assert.ok(f['503'] > 0 && f['429'] > 0 && f.dropped > 0 && f.lost > 0 && f.outage > 0, `every kind of fault was injected: ${JSON.stringify(f)}`);
      assert.ok(endpoint.repeats.same >= f.lost, 'a key whose answer was lost was sent again');
      assert.ok(warnings.filter((w) => w.kind === 'sink-commit-deferred').length >= 2, 'the outages deferred commits past the kills');
      const records = delivered(endpoint.accepted).sort((a, b) => a - b);
      assert.equal(records.length, TOTAL, `every record once (${injected} faulty answers, ${endpoint.repeats.same} keys sent again)`);
      records.forEach((n, i) => assert.equal(n, i));
      assert.equal(endpoint.repeats.different, 0, 'a key sent again carries the same records');
      for (const key of endpoint.accepted.keys()) assert.match(key, new RegExp(`^${name}/out/[01]/\\d+$`));
      assert.ok(endpoint.headers.every((h) => h.authorization === SECRET && h['content-type'] === 'application/json'));
      for (const w of warnings) assert.ok(!JSON.stringify(w).includes('s3cr3t'), 'no event shows a header value');
    });
  });
}

describe('sinks.http refusals', () => {
  it('a 4xx fails the job with the response in the error, and the header value redacted from it', async () => {
    const server = await serveAnswer(422, { body: (req) => `unprocessable; you sent ${String(req.headers.authorization)}` });
    const handle = await run(job(uniqueJobName('http-422'), (env) => {
      env.fromSource(gatedSequence(10, { allowed: 10 }), { uid: 'numbers' }).sinkTo(sinks.http(`${server.url}/x`, { headers: { Authorization: SECRET }, retry: FAST_RETRY }), { uid: 'out' });
    }), { storage: new MemoryCheckpointStorage(), restart: { strategy: 'none' } });
    try {
      const error = await handle.done.then(() => undefined, (e: unknown) => e);
      const text = `${String((error as Error)?.message)} ${String(((error as Error)?.cause as Error)?.message)} ${JSON.stringify(error)}`;
      assert.match(text, /HTTP 422: unprocessable; you sent \[redacted\]/);
      assert.ok(!text.includes('s3cr3t'), 'the header value is not in the error');
      assert.equal(server.requests.length, 1, 'a 4xx is not retried');
    } finally {
      await handle.cancel();
      await server.close();
    }
  });

  it('follows a same-origin 307, and refuses a cross-origin redirect without sending anything there', async () => {
    const endpoint = await serveIdempotentEndpoint();
    const elsewhere = await serveIdempotentEndpoint();
    const redirector = await serveAnswer(307, { location: elsewhere.url });
    try {
      const moved = await run(job(uniqueJobName('http-moved'), (env) => {
        env.fromSource(gatedSequence(20, { allowed: 20 }), { uid: 'numbers' }).sinkTo(sinks.http(endpoint.url.replace('/ingest', '/moved')), { uid: 'out' });
      }), { storage: new MemoryCheckpointStorage() });
      assert.equal((await moved.done).status, 'finished');
      assert.equal(delivered(endpoint.accepted).length, 20);

      const cross = await run(job(uniqueJobName('http-cross'), (env) => {
        env.fromSource(gatedSequence(20, { allowed: 20 }), { uid: 'numbers' }).sinkTo(sinks.http(redirector.url, { headers: { Authorization: SECRET } }), { uid: 'out' });
      }), { storage: new MemoryCheckpointStorage(), restart: { strategy: 'none' } });
      const error = await cross.done.then(() => undefined, (e: unknown) => e);
      assert.match(`${String((error as Error)?.message)} ${String(((error as Error)?.cause as Error)?.message)}`, /another origin/);
      assert.equal(elsewhere.headers.length, 0, 'the other origin got no request');
    } finally {
      await Promise.all([endpoint.close(), elsewhere.close(), redirector.close()]);
    }
  });

  it('bad arguments are refused, naming the argument (credentials in the URL among them)', () => {
    assert.throws(() => sinks.http('https://user:pw@example.com/x'), namesArgument('sinks.http(url)'));
    assert.throws(() => sinks.http('ftp://example.com/x'), namesArgument('sinks.http(url)'));
    assert.throws(() => sinks.http(bad(42)), namesArgument('sinks.http(url)'));
    assert.throws(() => sinks.http('https://example.com/x', { method: bad('GET') }), namesArgument('sinks.http(url, options).method'));
    assert.throws(() => sinks.http('https://example.com/x', { headers: { 'Idempotency-Key': 'mine' } }), namesArgument("sinks.http(url, options).headers['Idempotency-Key']"));
    assert.throws(() => sinks.http('https://example.com/x', { headers: { 'X-A': 'a\r\nb' } }), namesArgument("sinks.http(url, options).headers['X-A']"));
    assert.throws(() => sinks.http('https://example.com/x', { headers: { 'bad name': 'x' } }), namesArgument("sinks.http(url, options).headers['bad name']"));
    assert.throws(() => sinks.http('https://example.com/x', { retry: { attempts: 0 } }), namesArgument('sinks.http(url, options).retry.attempts'));
    assert.throws(() => sinks.http('https://example.com/x', bad({ header: {} })), namesArgument('sinks.http(url, options).header'));
  });
});
