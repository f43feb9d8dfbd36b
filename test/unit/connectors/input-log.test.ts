import 'fake-indexeddb/auto';
import { indexedDB as fakeIndexedDB } from 'fake-indexeddb';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { job, ManualClock, MemoryCheckpointStorage, openLog, readTable, run as runJob, sinks, sources, type CheckpointStorage, type JobHandle } from 'weir';
import { FsCheckpointStorage } from '../../../src/state/backends/fs-storage.js';
import { IndexedDbCheckpointStorage } from '../../../src/state/backends/indexeddb-storage.js';
import { encodeLogReader } from '../../../src/connectors/log/log-records.js';
import { LogRetention } from '../../../src/connectors/log/log-retention.js';
import { storageLayout } from '../../../src/state/storage-layout.js';
import { bad, namesArgument, uniqueJobName, waitUntil } from '../api/api-test-helpers.js';

// The input log over the generic CheckpointStorage: the same checks on memory, files and
// IndexedDB (fake-indexeddb here; the real one in Chromium, test/browser).

const started: JobHandle[] = [];
const run: typeof runJob = async (...args) => {
  const handle = await runJob(...args);
  started.push(handle);
  return handle;
};
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.cancel()));
});

const backends: { name: string; open(): CheckpointStorage; again(s: CheckpointStorage): CheckpointStorage }[] = [
  { name: 'memory', open: () => new MemoryCheckpointStorage(), again: (s) => s },
  {
    name: 'fs',
    open: () => new FsCheckpointStorage({ dir: mkdtempSync(join(tmpdir(), 'weir-log-')) }),
    again: (s) => new FsCheckpointStorage({ dir: (s as FsCheckpointStorage).dir }),
  },
  {
    name: 'indexeddb (fake)',
    open: () => new IndexedDbCheckpointStorage({ database: `weir-log-${Math.random()}`, indexedDB: fakeIndexedDB }),
    again: (s) => new IndexedDbCheckpointStorage({ database: (s as IndexedDbCheckpointStorage).database, indexedDB: fakeIndexedDB }),
  },
];

/** Every record of a log, per partition in offset order, read by a job that runs until the log's end. */
async function readAll<T>(storage: CheckpointStorage, log: string, partitions = 1, parallelism = 1): Promise<T[]> {
  const name = uniqueJobName('read-all');
  const handle = await run(job(name, (env) => {
    env.fromSource(sources.log<T>(log, { partitions }), { uid: 'log' }).sinkTo(sinks.table('out'), { uid: 'out' });
  }), { storage, parallelism, checkpointing: false });
  await handle.done;
  return readTable<T>(name, 'out', { storage });
}

/** Polls an async reading on the event loop (no sleeps) until `done` accepts it. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, maxTurns = 5000): Promise<T> {
  for (let i = 0; i < maxTurns; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return assert.fail(`timed out waiting until ${what}`);
}

const batchKeys = (storage: CheckpointStorage, log: string) => storage.listMetadata(`logs/${log}/partitions/`).then((keys) => keys.filter((k) => k.includes('/batches/')));

describe('openLog / InputLog', () => {
  for (const backend of backends) {
    describe(backend.name, () => {
      it('appends records with consecutive offsets, one stored value per append, readable from another handle', async () => {
        const storage = backend.open();
        const log = await openLog<{ n: number }>('clicks', { storage });
        assert.equal(log.name, 'clicks');
        assert.equal(log.partitions, 1);
        const first = await log.append({ n: 0 });
        assert.deepEqual([...first], [0]);
        assert.equal(first.partition, 0);
        const second = await log.append([{ n: 1 }, { n: 2 }, { n: 3 }]);
        assert.deepEqual([...second], [1, 2, 3]);
        assert.equal((await batchKeys(storage, 'clicks')).length, 2, 'one stored batch per append call');
        const other = await openLog<{ n: number }>('clicks', { storage: backend.again(storage) });
        assert.deepEqual([...(await other.append({ n: 4 }))], [4], 'another handle continues after the first one');
        await other.end();
        assert.deepEqual(await readAll(storage, 'clicks'), [0, 1, 2, 3, 4].map((n) => ({ n })));
      });

      it('concurrent appenders on several handles lose nothing and never share an offset', async () => {
        const storage = backend.open();
        const handles = await Promise.all([0, 1, 2, 3].map(() => openLog<string>('race', { storage: backend.again(storage) })));
        const appends = handles.flatMap((h, w) => Array.from({ length: 8 }, (_, i) => h.append([`w${w}-${i}-a`, `w${w}-${i}-b`])));
        const results = await Promise.all(appends);
        const offsets = results.flatMap((r) => [...r]).sort((a, b) => a - b);
        assert.deepEqual(offsets, Array.from({ length: 64 }, (_, i) => i), 'offsets 0..63, each once');
        await handles[0]!.end();
        const records = await readAll<string>(storage, 'race');
        assert.equal(records.length, 64);
        for (const [i, result] of results.entries()) {
          const w = Math.floor(i / 8);
          const n = i % 8;
          assert.equal(records[result[0]!], `w${w}-${n}-a`, 'each record sits at the offset its append was given');
          assert.equal(records[result[1]!], `w${w}-${n}-b`);
        }
      });

      it('an appender whose last batch retention deleted meanwhile appends at the end, never into the deleted range', async () => {
        const storage = backend.open();
        const a = await openLog<string>('gone', { storage });
        const b = await openLog<string>('gone', { storage: backend.again(storage) });
        assert.deepEqual([...(await a.append('a0'))], [0]);
        assert.deepEqual([...(await b.append('b1'))], [1]);
        assert.deepEqual([...(await b.append('b2'))], [2]);
        // Retention, for a reader that passed offset 2: the floor moves to 2, then the oldest go (a's own batch 0, and 1).
        await storage.putMetadata([{ key: storageLayout.logReaderKey('gone', 'job', 'uid', 0), bytes: encodeLogReader({ next: 2 }) }]);
        assert.equal(await new LogRetention(storage, 'gone', 'job', 'uid', () => 0, 0).trim(0), 2);
        assert.deepEqual([...(await a.append('a3'))], [3], 'a claimed the offset after the last batch, not the deleted offset 1 after its own');
        await b.end();
        const name = uniqueJobName('gone');
        const handle = await run(job(name, (env) => {
          env.fromSource(sources.log<string>('gone'), { uid: 'log' }).sinkTo(sinks.table('out'), { uid: 'out' });
        }), { storage, checkpointing: false });
        await handle.done;
        assert.deepEqual(await readTable(name, 'out', { storage }), ['b2', 'a3'], 'a fresh reader reads what is kept, the late append included');
      });
    });
  }

  it('refuses a record the codec cannot store, naming the path to it, and stores nothing of that append', async () => {
    const storage = new MemoryCheckpointStorage();
    const log = await openLog('bad-records', { storage });
    await log.append({ ok: 1 });
    await assert.rejects(log.append([{ ok: 2 }, { nested: { fn: () => 1 } }]), (error: { code?: string; message?: string; details?: { path?: string } }) => {
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message ?? '', /a function cannot be stored \(at records\[1\]\.nested\.fn\)/);
      assert.equal(error.details?.path, 'records[1].nested.fn');
      return true;
    });
    await assert.rejects(log.append({ when: new (class Custom {})() }), /an instance of Custom cannot be stored \(at record\.when\)/);
    await assert.rejects(log.append([]), namesArgument('log.append(records)'));
    await assert.rejects(log.append(1, bad({ partition: 1 })), namesArgument('log.append(records, options).partition'));
    await assert.rejects(log.append(1, bad({ partiton: 0 })), namesArgument('log.append(records, options).partiton'));
    assert.deepEqual([...(await log.append({ ok: 3 }))], [1], 'the refused appends took no offset');
    await log.end();
    assert.deepEqual(await readAll(storage, 'bad-records'), [{ ok: 1 }, { ok: 3 }]);
  });

  it('refuses bad names and options, naming the argument', async () => {
    await assert.rejects(openLog(bad(42)), (error: { message?: string }) => {
      namesArgument('openLog(name)')(error);
      assert.match(error.message ?? '', /must be a non-empty string, got number 42/);
      return true;
    });
    await assert.rejects(openLog(''), namesArgument('openLog(name)'));
    await assert.rejects(openLog('x', bad({ partitions: 0 })), namesArgument('openLog(name, options).partitions'));
    await assert.rejects(openLog('x', bad({ partitions: 1.5 })), namesArgument('openLog(name, options).partitions'));
    await assert.rejects(openLog('x', bad({ storage: 'disk' })), namesArgument('openLog(name, options).storage'));
    await assert.rejects(openLog('x', bad({ partition: 2 })), namesArgument('openLog(name, options).partition'));
    await assert.rejects(openLog('x', bad('memory')), namesArgument('openLog(name, options)'));
    const storage = new MemoryCheckpointStorage();
    await openLog('fixed', { storage, partitions: 3 });
    assert.equal((await openLog('fixed', { storage })).partitions, 3, 'an existing log keeps its count');
    await assert.rejects(openLog('fixed', { storage, partitions: 2 }), namesArgument('openLog(name, options).partitions'));
    assert.throws(() => sources.log(bad(undefined)), namesArgument('sources.log(name)'));
    assert.throws(() => sources.log('x', bad({ partitions: -1 })), namesArgument('sources.log(name, options).partitions'));
    assert.throws(() => sources.log('x', bad({ from: 0 })), namesArgument('sources.log(name, options).from'));
  });

  it('end() refuses later appends with LOG_ENDED; close() refuses them with LOG_CLOSED', async () => {
    const storage = new MemoryCheckpointStorage();
    const log = await openLog('ending', { storage, partitions: 2 });
    const other = await openLog('ending', { storage });
    await log.append('a');
    await other.append('b', { partition: 1 });
    await log.end();
    await assert.rejects(other.append('late'), { code: 'LOG_ENDED' });
    await assert.rejects(log.append('late', { partition: 1 }), { code: 'LOG_ENDED' });
    await other.close();
    await assert.rejects(other.append('closed'), { code: 'LOG_CLOSED' });
    assert.deepEqual((await readAll<string>(storage, 'ending', 2)).sort(), ['a', 'b']);
  });

  it('a storage that fails (a full quota) fails the append with its error; nothing of it lands and the next append goes through', async () => {
    let full = false;
    const quota = () => Object.assign(new Error('the quota is full'), { name: 'QuotaExceededError' });
    const storage = new MemoryCheckpointStorage({ failWrites: (op) => (full && op === 'putMetadata' ? quota() : undefined) });
    const log = await openLog('quota', { storage });
    await log.append('before');
    full = true;
    await assert.rejects(log.append(['lost-1', 'lost-2']), (error: { message?: string }) => {
      assert.match(error.message ?? '', /the quota is full/);
      return true;
    });
    full = false;
    assert.deepEqual([...(await log.append('after'))], [1]);
    await log.end();
    assert.deepEqual(await readAll(storage, 'quota'), ['before', 'after']);
  });

  it('a batch changed in storage is refused with CORRUPT_DATA naming its key', async () => {
    const storage = new MemoryCheckpointStorage();
    const log = await openLog('tampered', { storage });
    await log.append(['a', 'b']);
    await log.end();
    const [key] = await batchKeys(storage, 'tampered');
    const bytes = (await storage.getMetadata(key!))!;
    bytes[bytes.length - 1] ^= 0xff;
    await storage.putMetadata([{ key: key!, bytes }]);
    const name = uniqueJobName('tampered');
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.log('tampered'), { uid: 'log' }).sinkTo(sinks.table('out'));
    }), { storage, checkpointing: false, restart: { strategy: 'none' } });
    await assert.rejects(handle.done, (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'CORRUPT_DATA');
      assert.ok(error.message?.includes(key!), `the message names ${key}: ${error.message}`);
      return true;
    });
  });
});

describe('sources.log', () => {
  it('reads what is appended while the job runs, waits in between, and finishes after end()', async () => {
    const storage = new MemoryCheckpointStorage();
    const log = await openLog<number>('live', { storage });
    const name = uniqueJobName('live');
    const seen: number[] = [];
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.log<number>('live'), { uid: 'live' }).map((n) => n * 2).sinkTo(sinks.print({ log: (line) => seen.push(Number(line)) }));
    }), { storage, checkpointing: { intervalMs: 20 } });
    for (let i = 0; i < 10; i++) {
      await log.append([i * 2, i * 2 + 1]);
      await waitUntil(() => seen.length === (i + 1) * 2, `the records of append ${i} were processed`);
    }
    await log.end();
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i * 2));
  });

  it('a job that fails after an awaited checkpoint replays the log from that checkpoint: every record once, in order', async () => {
    const storage = new MemoryCheckpointStorage();
    const log = await openLog<number>('replay', { storage, partitions: 3 });
    const name = uniqueJobName('replay');
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.log<number>('replay', { partitions: 3 }), { uid: 'log' })
        .map((n) => ({ n, partition: n % 3 }))
        .sinkTo(sinks.table('out'), { uid: 'out' });
    }), { storage, parallelism: 2, checkpointing: false, restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 } });
    let next = 0;
    const appendRound = async () => {
      for (let i = 0; i < 3; i++) {
        const records = Array.from({ length: 5 }, () => next++);
        for (const p of [0, 1, 2]) await log.append(records.filter((n) => n % 3 === p), { partition: p });
      }
    };
    let kills = 0;
    for (let round = 0; round < 4; round++) {
      await appendRound();
      const stats = await handle.triggerCheckpoint();
      assert.equal(stats.status, 'completed');
      await appendRound();
      await waitUntil(() => handle.status() === 'running', 'running');
      handle.injectFailure();
      kills++;
      await waitUntil(() => handle.status() === 'running', 'restarted');
    }
    await log.end();
    const result = await handle.done;
    assert.equal(result.restarts, kills);
    const out = await readTable<{ n: number; partition: number }>(name, 'out', { storage });
    assert.deepEqual(out.map((r) => r.n).sort((a, b) => a - b), Array.from({ length: next }, (_, i) => i), 'every record once');
    for (const p of [0, 1, 2]) {
      const inPartition = out.filter((r) => r.partition === p).map((r) => r.n);
      assert.deepEqual(inPartition, [...inPartition].sort((a, b) => a - b), `partition ${p} in offset order`);
    }
  });

  it('a reader that names fewer partitions than the log has is refused (it would skip some)', async () => {
    const storage = new MemoryCheckpointStorage();
    const log = await openLog('four', { storage, partitions: 4 });
    await log.append('x');
    const handle = await run(job(uniqueJobName('four'), (env) => {
      env.fromSource(sources.log('four'), { uid: 'log' }).sinkTo(sinks.table('out'));
    }), { storage, checkpointing: false, restart: { strategy: 'none' } });
    await assert.rejects(handle.done, (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'STATE_MISMATCH');
      assert.match(error.message ?? '', /partitions: 4/);
      return true;
    });
  });

  it('retention deletes what every registered reader passed one completed checkpoint before its latest, and keeps what a slower job has not passed', async () => {
    const storage = new MemoryCheckpointStorage();
    const log = await openLog<number>('retained', { storage });
    const clock = new ManualClock(0); // drives the trim interval; wake-ups need no timer
    const counts = { fast: 0, slow: 0 };
    const start = async (label: 'fast' | 'slow') => run(job(uniqueJobName(`retained-${label}`), (env) => {
      env.fromSource(sources.log<number>('retained'), { uid: 'reader' })
        .sinkTo(sinks.print({ log: () => void counts[label]++ }));
    }), { storage, checkpointing: false, clock });
    const fast = await start('fast');
    const appendTen = async (from: number) => {
      for (let i = from; i < from + 10; i++) await log.append([i * 2, i * 2 + 1]);
    };
    await appendTen(0);
    await waitUntil(() => counts.fast === 20, 'the fast job read 20');
    await fast.triggerCheckpoint(); // at offset 20
    await appendTen(10);
    await waitUntil(() => counts.fast === 40, 'the fast job read 40');
    clock.advance(1000);
    await fast.triggerCheckpoint(); // at 40: registers checkpoint 1's offset 20, and trims
    const keys = await eventually(() => batchKeys(storage, 'retained'), (k) => k.length === 10, 'the store shrank to 10 batches');
    assert.equal(keys[0], 'logs/retained/partitions/00000/batches/0000000000000020', 'the oldest batch kept holds offset 20, where checkpoint 1 stood');
    const slow = await start('slow'); // a second job registers at the oldest offset kept
    await eventually(() => storage.listMetadata('logs/retained/readers/'), (k) => k.length === 2, 'the second job registered');
    await appendTen(20);
    await waitUntil(() => counts.fast === 60, 'the fast job read 60');
    clock.advance(1000);
    await fast.triggerCheckpoint();
    clock.advance(1000);
    await fast.triggerCheckpoint();
    clock.advance(1000);
    await fast.triggerCheckpoint();
    const after = await batchKeys(storage, 'retained');
    assert.equal(after.length, 20, 'nothing the slow job has not passed in a completed checkpoint was deleted');
    await log.end();
    await Promise.all([fast.done, slow.done]);
    assert.equal(counts.slow, 40, 'the slow job read every record from where it registered (offset 20) to the end');
  });

  it('a job that falls back to its previous checkpoint (the latest corrupt) still finds the records from there: retention stays a checkpoint behind', async () => {
    const storage = new MemoryCheckpointStorage();
    const log = await openLog<number>('fallback', { storage });
    const clock = new ManualClock(0);
    const name = uniqueJobName('fallback');
    let read = 0;
    const handle = await run(job(name, (env) => {
      env.fromSource(sources.log<number>('fallback'), { uid: 'log' })
        .map((n) => {
          read++;
          return n;
        })
        .sinkTo(sinks.table('out'), { uid: 'out' });
    }), { storage, clock, checkpointing: { intervalMs: 1_000_000, retained: 2 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 } });
    let next = 0;
    let id = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) await log.append([next++, next++]);
      await waitUntil(() => read === next, `round ${round} read`);
      clock.advance(1000); // past the trim interval
      id = (await handle.triggerCheckpoint()).id;
    }
    // After checkpoint 3 retention may delete below checkpoint 2's offset (20), never below 3's (30).
    const kept = await eventually(() => batchKeys(storage, 'fallback'), (k) => k.length === 5, 'retention deleted below offset 10, then 20');
    assert.equal(kept[0], 'logs/fallback/partitions/00000/batches/0000000000000020');
    const chunk = (await storage.listChunks('')).find((k) => k.includes(`/${String(id).padStart(12, '0')}/`) && k.includes('/log/'));
    assert.ok(chunk !== undefined, `a chunk of the source in checkpoint ${id}`);
    const bytes = (await storage.getChunk(chunk))!;
    bytes[bytes.length - 1] ^= 0xff;
    await storage.putChunk(chunk, bytes);
    const restarts: { fellBackFrom?: number; restoredCheckpointId?: number }[] = [];
    handle.on('restart', (e) => restarts.push(e));
    handle.injectFailure();
    await waitUntil(() => {
      clock.advance(0); // the restart's timers run on the job's clock
      return read === next + 10;
    }, 'the records after checkpoint 2 were read again');
    await log.end();
    await waitUntil(() => {
      clock.advance(0);
      return handle.status() === 'finished';
    }, 'the job finished');
    assert.ok(restarts.some((r) => r.fellBackFrom === id), 'the job fell back from the corrupt checkpoint');
    assert.deepEqual(await readTable(name, 'out', { storage }), Array.from({ length: next }, (_, i) => i), 'every record once');
  });
});
