import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { threadId, Worker } from 'node:worker_threads';
import { acquireLock, releaseLockOfThread } from '../../../src/state/backends/fs-lock.js';

// A worker_thread terminated while it holds a folder's metadata lock cannot release it, and its
// process (this one) lives on: whoever terminated it frees the lock at once, instead of every
// other writer waiting until the lock goes stale.

/** A thread that writes the lock as its holder would, then waits to be terminated. */
async function threadHoldingLock(path: string): Promise<Worker> {
  const code = `
    const { writeFileSync } = require('node:fs');
    const { threadId, parentPort } = require('node:worker_threads');
    const { hostname } = require('node:os');
    writeFileSync(${JSON.stringify(path)}, JSON.stringify({ token: 't', pid: process.pid, thread: threadId, host: hostname(), at: Date.now() }));
    parentPort.postMessage('holding');
    setInterval(() => {}, 1000);`;
  const worker = new Worker(code, { eval: true });
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
}

describe('fs lock: threads of this process', () => {
  it('a lock held by a terminated thread is released at once by its id; a lock of another thread or process is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-lock-'));
    const aside = join(dir, 'tmp');
    mkdirSync(aside);
    const path = join(dir, 'metadata.lock');
    const worker = await threadHoldingLock(path);
    const holder = worker.threadId;
    assert.equal(await releaseLockOfThread(path, aside, holder + 1000), false, 'not the holder: kept');
    await worker.terminate();
    assert.equal(await releaseLockOfThread(path, aside, holder), true, 'the terminated holder: released');
    // timeoutMs 1: the lock is free at once, or this throws (no wall-clock bound to meet on a loaded machine).
    const lock = await acquireLock(path, aside, { staleMs: 60_000, timeoutMs: 1 });
    const content = JSON.parse(await readFile(path, 'utf8')) as { thread: number; pid: number };
    assert.equal(content.thread, threadId, 'the lock names the thread that holds it');
    assert.equal(content.pid, process.pid);
    assert.equal(await releaseLockOfThread(path, aside, threadId), false, 'a thread never breaks its own lock this way');
    await lock.release();
    await writeFile(path, JSON.stringify({ token: 'x', pid: process.pid + 1, thread: 5, host: hostname(), at: Date.now() }));
    assert.equal(await releaseLockOfThread(path, aside, 5), false, 'a thread of another process: kept');
  });
});
