import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import {
  job, MemoryCheckpointStorage, OutputTag, readTable, run as runJob, sinks, sources,
  type CheckpointStats, type DeadLetter, type JobHandle, type ServerSentEvent, type Source,
} from 'weir';
import { serveBody, serveEvents, serveWebSocket } from '../support/test-servers.js';

// Live sources against real servers on 127.0.0.1 and real files: every line, event or captured
// message once, with the job killed after awaited checkpoints mid-input.

const started: JobHandle[] = [];
const run: typeof runJob = async (...args) => {
  const handle = await runJob(...args);
  started.push(handle);
  return handle;
};
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.cancel()));
});

let jobs = 0;
const jobName = (label: string) => `${label}-${process.pid}-${++jobs}`;

/** Records the job processed (counting replays), for killing mid-input. */
let processed = 0;

/**
 * Kills the job right after a completed checkpoint once it processed each of the given counts of
 * records: after an awaited checkpoint, with input on both sides of it.
 */
function killAfterCheckpoints(handle: JobHandle, thresholds: readonly number[]): { kills: () => number } {
  processed = 0;
  let kills = 0;
  handle.on('checkpoint', (c: CheckpointStats) => {
    if (c.status !== 'completed' || c.final || kills >= thresholds.length) return;
    if (processed >= thresholds[kills]! && handle.status() === 'running') {
      handle.injectFailure();
      kills++;
    }
  });
  return { kills: () => kills };
}

interface Totals { key: number; count: number; sum: number }

/** Numbers → per key (n % 97) their count and sum, upserted: a lost or repeated number changes a count. */
function totalsJob(name: string, source: Source<unknown>, toNumber: (value: unknown) => number) {
  return job(name, (env) => {
    env.fromSource(source, { uid: 'input' })
      .map((v) => {
        processed++;
        const n = toNumber(v);
        return { key: n % 97, count: 1, sum: n };
      })
      .keyBy((t) => t.key)
      .reduce((a, b) => ({ key: a.key, count: a.count + b.count, sum: a.sum + b.sum }))
      .sinkTo(sinks.table('totals', { key: 'key' }), { uid: 'totals' });
  });
}

async function checkTotals(name: string, storage: MemoryCheckpointStorage, count: number): Promise<void> {
  const rows = await readTable<Totals>(name, 'totals', { storage });
  const expected = new Map<number, Totals>();
  for (let n = 0; n < count; n++) {
    const t = expected.get(n % 97) ?? { key: n % 97, count: 0, sum: 0 };
    t.count++;
    t.sum += n;
    expected.set(n % 97, t);
  }
  assert.deepEqual(new Map(rows.map((r) => [r.key, r])), expected, 'every line counted once per key');
}

const restartFast = { strategy: 'fixed-delay', attempts: 10, delayMs: 0 } as const;

describe('sources.lines', () => {
  it('a 1,000,000-line file, the job killed after two awaited checkpoints mid-file: every line once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-lines-'));
    const path = join(dir, 'numbers.txt');
    const LINES = 1_000_000;
    writeFileSync(path, Array.from({ length: LINES }, (_, i) => i).join('\n') + '\n');
    const storage = new MemoryCheckpointStorage();
    const name = jobName('lines-file');
    const handle = await run(totalsJob(name, sources.lines(path), Number), { storage, checkpointing: { intervalMs: 20 }, restart: restartFast });
    const killer = killAfterCheckpoints(handle, [LINES / 4, LINES / 2]);
    const result = await handle.done;
    assert.equal(killer.kills(), 2, 'killed twice before the end of the file');
    assert.equal(result.restarts, 2);
    await checkTotals(name, storage, LINES);
  });

  for (const range of [true, false]) {
    it(`NDJSON over HTTP ${range ? 'with Range (206)' : 'from a server that ignores Range (re-read and skip)'}, killed mid-resource: every line once, resumed at its offset`, async () => {
      const LINES = 30_000;
      const body = new TextEncoder().encode(Array.from({ length: LINES }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(i % 7) })).join('\r\n'));
      const server = await serveBody(body, { range, etag: '"v1"' });
      try {
        const storage = new MemoryCheckpointStorage();
        const name = jobName(`lines-http-${range}`);
        const handle = await run(totalsJob(name, sources.lines(server.url, { format: 'ndjson' }), (v) => (v as { n: number }).n), { storage, checkpointing: { intervalMs: 10 }, restart: restartFast });
        const killer = killAfterCheckpoints(handle, [LINES / 3, (2 * LINES) / 3]);
        const result = await handle.done;
        assert.equal(killer.kills(), 2);
        assert.equal(result.restarts, 2);
        await checkTotals(name, storage, LINES);
        const resumed = server.requests.filter((r) => r.range !== undefined);
        assert.ok(resumed.length >= 1, `a resumed read asked for a Range: ${JSON.stringify(server.requests)}`);
        assert.ok(resumed.every((r) => /^bytes=\d+-$/.test(r.range!) && r.range !== 'bytes=0-'), `resumed at byte offsets: ${resumed.map((r) => r.range).join(', ')}`);
      } finally {
        await server.close();
      }
    });
  }

  it('CSV with a header, quoted fields holding commas, quotes and newlines; a bad row goes to dead letters; __proto__ stays a column', async () => {
    const csv = 'id,__proto__,note\r\n1,a,"x, y"\r\n2,b,"she said ""hi"""\r\n3,c,"two\nlines"\r\n4,d\r\n5,e,"ok"\n';
    const server = await serveBody(new TextEncoder().encode(csv), { range: true });
    try {
      const storage = new MemoryCheckpointStorage();
      const name = jobName('lines-csv');
      const bad = new OutputTag<DeadLetter<string>>('bad-rows');
      await (await run(job(name, (env) => {
        const rows = env.fromSource(sources.lines<Record<string, string>>(server.url, { format: 'csv', deadLetters: bad }), { uid: 'csv' });
        rows.sinkTo(sinks.table('rows'));
        rows.getSideOutput(bad).sinkTo(sinks.table('bad'));
      }), { storage })).done;
      const rows = await readTable<Record<string, string>>(name, 'rows', { storage });
      assert.deepEqual(rows.map((r) => [r.id, r.note]), [['1', 'x, y'], ['2', 'she said "hi"'], ['3', 'two\nlines'], ['5', 'ok']]);
      assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype, 'a __proto__ column is data, not a prototype');
      assert.equal(Object.getOwnPropertyDescriptor(rows[0], '__proto__')?.value, 'a');
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
      const dead = await readTable<DeadLetter<string>>(name, 'bad', { storage });
      assert.equal(dead.length, 1);
      assert.equal(dead[0]!.value, '4,d');
      assert.match(dead[0]!.error, /line 6: 2 field\(s\), the header has 3/);
    } finally {
      await server.close();
    }
  });

  it('a line that does not parse fails the job with MALFORMED_INPUT naming the line, without deadLetters', async () => {
    const server = await serveBody(new TextEncoder().encode('{"n":1}\n{"n":2}\nnot json\n{"n":4}\n'), { range: true });
    try {
      const handle = await run(job(jobName('lines-bad'), (env) => {
        env.fromSource(sources.lines(server.url, { format: 'ndjson' }), { uid: 'lines' }).sinkTo(sinks.table('out'));
      }), { storage: new MemoryCheckpointStorage(), restart: { strategy: 'none' } });
      await assert.rejects(handle.done, (error: { code?: string; message?: string }) => {
        assert.equal(error.code, 'MALFORMED_INPUT');
        assert.match(error.message ?? '', /line 3: not JSON/);
        return true;
      });
    } finally {
      await server.close();
    }
  });

  it('a 1 GiB line without a newline is never held in memory: it goes to dead letters as too long, and the lines after it are read', async () => {
    const MiB = 1 << 20;
    const filler = new Uint8Array(MiB).fill(0x78);
    let sent = 0;
    const stream = () => new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent < 1024) {
          sent++;
          controller.enqueue(filler);
        } else {
          controller.enqueue(new TextEncoder().encode('\nafter\n'));
          controller.close();
        }
      },
    });
    const fetchHuge: typeof fetch = async () => new Response(stream(), { status: 200 });
    const storage = new MemoryCheckpointStorage();
    const name = jobName('lines-huge');
    const bad = new OutputTag<DeadLetter<string>>('too-long');
    const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers)), 20);
    try {
      await (await run(job(name, (env) => {
        const lines = env.fromSource(sources.lines('http://127.0.0.1:9/huge', { fetch: fetchHuge, deadLetters: bad, maxLineBytes: 64 * 1024 }), { uid: 'lines' });
        lines.sinkTo(sinks.table('lines'));
        lines.getSideOutput(bad).map((d) => ({ error: d.error, length: d.value.length })).sinkTo(sinks.table('bad'));
      }), { storage })).done;
    } finally {
      clearInterval(sampler);
    }
    assert.equal(sent, 1024, 'the whole GiB was read');
    assert.deepEqual(await readTable(name, 'lines', { storage }), ['after']);
    const [dead] = await readTable<{ error: string; length: number }>(name, 'bad', { storage });
    assert.match(dead!.error, /line 1: the line is 1073741824 bytes long, more than maxLineBytes \(65536\)/);
    assert.ok(dead!.length <= 1025, 'the dead letter carries the first kilobyte, not the line');
    assert.ok(peak - heapBefore < 200 * MiB, `memory stayed bounded (peak +${Math.round((peak - heapBefore) / MiB)} MiB for a 1024 MiB line)`);
  });

  it('refuses bad arguments, naming them', () => {
    const check = (call: () => unknown, argument: string) => assert.throws(call, (e: { code?: string; message?: string }) => e.code === 'INVALID_ARGUMENT' && (e.message ?? '').includes(argument));
    check(() => sources.lines(42 as never), 'sources.lines(target)');
    check(() => sources.lines([]), 'sources.lines(target)');
    check(() => sources.lines(['a', 7 as never]), 'sources.lines(target[1])');
    check(() => sources.lines('a', { format: 'xml' as never }), 'sources.lines(target, options).format');
    check(() => sources.lines('a', { maxLineBytes: 0 }), 'sources.lines(target, options).maxLineBytes');
    check(() => sources.lines('a', { deadLetters: 'bad' as never }), 'sources.lines(target, options).deadLetters');
    check(() => sources.lines('a', { headers: { a: 1 as never } }), 'sources.lines(target, options).headers.a');
    check(() => sources.lines('a', { fromLine: 2 } as never), 'sources.lines(target, options).fromLine');
  });
});

describe('sources.sse', () => {
  it('reads an event stream over dropped connections (Last-Event-ID), killed after awaited checkpoints: every event once, then the 204 ends it', async () => {
    const EVENTS = 3000;
    const server = await serveEvents(EVENTS, 250);
    try {
      const storage = new MemoryCheckpointStorage();
      const name = jobName('sse');
      const source = sources.sse<{ n: number }>(server.url, { format: 'json', reconnect: { initialDelayMs: 1, maxDelayMs: 20 } });
      const handle = await run(totalsJob(name, source as Source<unknown>, (e) => (e as ServerSentEvent<{ n: number }>).data.n - 1), { storage, checkpointing: { intervalMs: 10 }, restart: restartFast });
      const killer = killAfterCheckpoints(handle, [EVENTS / 3, (2 * EVENTS) / 3]);
      const result = await handle.done;
      assert.equal(killer.kills(), 2);
      assert.equal(result.restarts, 2);
      await checkTotals(name, storage, EVENTS);
      const resumed = server.requests.filter((r) => r.lastEventId !== undefined);
      assert.ok(resumed.length >= EVENTS / 250, `reconnects sent Last-Event-ID (${resumed.length})`);
    } finally {
      await server.close();
    }
  });

  it('refuses bad arguments, naming them', () => {
    const check = (call: () => unknown, argument: string) => assert.throws(call, (e: { code?: string; message?: string }) => e.code === 'INVALID_ARGUMENT' && (e.message ?? '').includes(argument));
    check(() => sources.sse('ftp://x'), 'sources.sse(url)');
    check(() => sources.sse('http://x', { format: 'xml' as never }), 'sources.sse(url, options).format');
    check(() => sources.sse('http://x', { reconnect: { initialDelayMs: -1 } }), 'sources.sse(url, options).reconnect.initialDelayMs');
    check(() => sources.sse('http://x', { maxEventBytes: 0 }), 'sources.sse(url, options).maxEventBytes');
  });
});

describe('sources.webSocket', () => {
  it('captures messages into the log before the job reads them: killed after awaited checkpoints, every captured message once', async () => {
    const server = await serveWebSocket();
    try {
      const storage = new MemoryCheckpointStorage();
      const name = jobName('ws');
      const seen: string[] = [];
      const handle = await run(job(name, (env) => {
        const messages = env.fromSource(sources.webSocket(server.url, {
          log: `${name}-capture`, createWebSocket: (url) => new WebSocket(url) as never, reconnect: { initialDelayMs: 1, maxDelayMs: 10 },
        }), { uid: 'ws' });
        messages.map((m) => {
          seen.push(String(m));
          return String(m);
        }).sinkTo(sinks.table('messages'), { uid: 'messages' });
      }), { storage, checkpointing: { intervalMs: 10 }, restart: restartFast });
      let sent = 0;
      let kills = 0;
      for (let round = 0; round < 3; round++) {
        while (server.opened() <= round) await new Promise((r) => setImmediate(r)); // the connection of this attempt
        for (let i = 0; i < 50; i++) if (server.send(`m${round}-${i}`)) sent++;
        const target = sent;
        // Wait until the job read what was sent (so it was captured), then for a checkpoint, then kill.
        while (new Set(seen).size < target) await new Promise((r) => setImmediate(r));
        await new Promise<void>((resolve) => {
          const off = handle.on('checkpoint', (c) => {
            if (c.status === 'completed') {
              off();
              resolve();
            }
          });
        });
        if (round < 2) {
          handle.injectFailure();
          kills++;
        }
      }
      const messages = await readTableUntil(name, storage, sent);
      assert.equal(kills, 2);
      assert.equal(messages.length, sent, 'every captured message once');
      assert.equal(new Set(messages).size, sent);
      await handle.cancel();
    } finally {
      await server.close();
    }
  });

  it('refuses bad arguments, naming them', () => {
    const check = (call: () => unknown, argument: string) => assert.throws(call, (e: { code?: string; message?: string }) => e.code === 'INVALID_ARGUMENT' && (e.message ?? '').includes(argument));
    check(() => sources.webSocket('http://x', { log: 'l' }), 'sources.webSocket(url)');
    check(() => sources.webSocket('ws://x', undefined as never), 'sources.webSocket(url, options)');
    check(() => sources.webSocket('ws://x', { log: '' }), 'sources.webSocket(url, options).log');
    check(() => sources.webSocket('ws://x', { log: 'l', maxMessageBytes: 0 }), 'sources.webSocket(url, options).maxMessageBytes');
  });
});

/** The committed 'messages' table once it holds `count` rows (committed by the checkpoints that follow). */
async function readTableUntil(name: string, storage: MemoryCheckpointStorage, count: number): Promise<string[]> {
  for (let i = 0; i < 10_000; i++) {
    const rows = await readTable<string>(name, 'messages', { storage });
    if (rows.length >= count) return rows;
    await new Promise((r) => setImmediate(r));
  }
  return readTable<string>(name, 'messages', { storage });
}
