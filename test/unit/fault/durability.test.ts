import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, ManualClock, MemoryCheckpointStorage, readTable, run, sinks, sources, type CheckpointStorage, type RestartEvent, type RestoreEvent } from 'weir';
import { advanceByCheckpoints, advanceUntilSettled } from '../../support/clock-steps.js';
import { buildCountingPipeline, checkExactlyOnce } from '../../support/counting-pipeline.js';

// Storage faults, with nothing lost: a full disk fails checkpoints, not the job; a corrupt chunk
// makes the job fall back one checkpoint; a second runner fences the first.

const RECORDS = 60_000;
const KEYS = 31;
const counting = (name: string, rate = 200_000) => job(name, (env) => buildCountingPipeline(env, { records: RECORDS, keys: KEYS, ratePerSecond: rate }));
const read = (storage: CheckpointStorage) => <T>(jobName: string, table: string) => readTable<T>(jobName, table, { storage });

describe('storage faults', () => {
  it('a quota error while writing state fails those checkpoints, not the job, and the output is exactly once', async () => {
    let full = false;
    let quotaErrors = 0;
    const quota = () => Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
    const storage = new MemoryCheckpointStorage({ failWrites: (op) => (full && op === 'putChunk' ? (quotaErrors++, quota()) : undefined) });
    const name = 'quota';
    // The source is rate-limited on a clock the test moves, a checkpoint interval at a time: the storage
    // fills mid-stream, and has room again, at checkpoint events, however loaded the machine.
    const clock = new ManualClock(0);
    const handle = await run(counting(name), { storage, checkpointing: { intervalMs: 10, tolerableFailures: 1000 }, restart: { strategy: 'none' }, clock });
    await advanceByCheckpoints(clock, handle, 10, (c) => c.status === 'completed' && !c.final && c.id >= 2);
    // Full until two checkpoints failed for it (events, not a span of time), then room again.
    full = true;
    let failures = 0;
    await advanceByCheckpoints(clock, handle, 10, (c) => c.status === 'failed' && ++failures === 2);
    full = false;
    await advanceUntilSettled(clock, handle.done, 10);
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    assert.equal(result.restarts, 0);
    const failed = handle.checkpoints().filter((c) => c.status === 'failed');
    assert.ok(failed.length >= 2, 'checkpoints failed while the storage was full');
    // Every failed checkpoint is one the injected quota errors explain, and nothing else failed one.
    assert.ok(quotaErrors >= failed.length, `${quotaErrors} quota errors injected, ${failed.length} checkpoints failed`);
    for (const c of failed) assert.match(c.failureReason ?? '', /quota/i, `checkpoint ${c.id}'s failure`);
    assert.ok(handle.checkpoints().some((c) => c.status === 'completed' && c.id > failed[failed.length - 1]!.id), 'checkpoints completed again afterwards');
    await checkExactlyOnce(read(storage), name, RECORDS, KEYS);
  });

  it('a corrupt chunk of the latest checkpoint makes the job fall back one checkpoint, saying so, and the output is still exactly once', async () => {
    const storage = new MemoryCheckpointStorage();
    const name = 'corrupt-chunk';
    // Slow enough that four checkpoints complete before the end, even on a loaded machine.
    const clock = new ManualClock(0); // moved by the test: four checkpoints complete mid-stream, however loaded the machine
    const handle = await run(counting(name, 30_000), {
      storage, checkpointing: { intervalMs: 25, retained: 2 }, restart: { strategy: 'fixed-delay', attempts: 10, delayMs: 0 }, clock,
    });
    const restarts: RestartEvent[] = [];
    const restores: RestoreEvent[] = [];
    handle.on('restart', (e) => restarts.push(e));
    handle.on('restore', (e) => restores.push(e));
    const id = (await advanceByCheckpoints(clock, handle, 25, (c) => c.status === 'completed' && !c.final && c.id >= 4)).id;
    // Flip a byte in a chunk only the latest checkpoint holds (operator state is rewritten every time).
    const chunk = (await storage.listChunks('')).find((k) => k.includes(`/${String(id).padStart(12, '0')}/`) && k.endsWith('/operator'));
    assert.ok(chunk !== undefined, `a chunk of checkpoint ${id}`);
    const bytes = (await storage.getChunk(chunk))!;
    bytes[bytes.length - 1] ^= 0xff;
    await storage.putChunk(chunk, bytes);
    handle.injectFailure();
    await advanceUntilSettled(clock, handle.done, 25);
    const result = await handle.done;
    assert.equal(result.status, 'finished');
    // The faults counted: the kill restarted the job from checkpoint `id`, whose corrupt chunk failed
    // the restore and made it fall back (a second restart); nothing else restarted it.
    assert.deepEqual(restarts.map((r) => [(r.cause as { code?: string }).code, r.restoredCheckpointId === id ? 'from the corrupt one' : 'from an older one']),
      [['INJECTED_FAILURE', 'from the corrupt one'], ['CORRUPT_DATA', 'from an older one']], 'the restarts');
    assert.equal(result.restarts, 2);
    const fallback = restarts.find((r) => r.fellBackFrom !== undefined);
    assert.ok(fallback !== undefined, `a restart fell back: ${JSON.stringify(restarts.map((r) => [r.restoredCheckpointId, r.fellBackFrom]))}`);
    assert.ok(fallback.restoredCheckpointId === undefined || fallback.restoredCheckpointId < fallback.fellBackFrom!, 'it fell back to an older checkpoint');
    assert.ok(restores.some((r) => r.skipped.some((s) => /checksum|corrupt|decode/i.test(s.reason))), 'a restore event names the unreadable checkpoint');
    await checkExactlyOnce(read(storage), name, RECORDS, KEYS);
  });

  it('a second runner of the same job fences the first: the first stops, the second ends exactly once', async () => {
    const storage = new MemoryCheckpointStorage();
    const name = 'fenced';
    const clock = new ManualClock(0); // the first runner's: it is mid-stream when the second one starts, however loaded the machine
    const first = await run(counting(name, 60_000), { storage, checkpointing: { intervalMs: 20 }, restart: { strategy: 'none' }, clock });
    await advanceByCheckpoints(clock, first, 20, (c) => c.status === 'completed' && !c.final && c.id >= 3);
    const second = await run(counting(name, 200_000), { storage, checkpointing: { intervalMs: 20 } });
    // The first runner goes on (its clock moves) until its next checkpoint's metadata write is refused.
    await advanceUntilSettled(clock, first.done, 20);
    await assert.rejects(first.done, (error: { code?: string }) => error.code === 'STORAGE_FENCED');
    assert.equal(first.status(), 'failed');
    assert.equal((await second.done).status, 'finished');
    await checkExactlyOnce(read(storage), name, RECORDS, KEYS);
  });

  it('a checkpoint with state for operators the job no longer has is refused, naming them, unless allowed', async () => {
    const storage = new MemoryCheckpointStorage();
    const name = 'uid-mismatch';
    const build = (uid: string) =>
      job(name, (env) => {
        env.fromSource(sources.sequence({ from: 0, to: 1000 }), { uid: 'numbers' }).keyBy((n) => n % 3).reduce((a, b) => a + b).uid(uid).sinkTo(sinks.table('out'), { uid: 'out' });
      });
    await (await run(build('sum-v1'), { storage })).done;
    await assert.rejects(run(build('sum-v2'), { storage }), (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'STATE_MISMATCH');
      assert.match(error.message ?? '', /'sum-v1'/);
      return true;
    });
    const allowed = await run(build('sum-v2'), { storage, allowNonRestoredState: true });
    assert.equal((await allowed.done).status, 'finished');
  });
});
