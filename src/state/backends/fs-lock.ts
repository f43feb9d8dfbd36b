// A lock file that serialises metadata writers across processes and threads (fs-storage.ts).
// Node (and Deno's node: compatibility) only.
//
// Acquire: write { token, pid, thread, host, at } to a file of its own, then hard-link it to the
// lock's name (atomic, and fails if the name exists, as O_CREAT|O_EXCL would). While
// held, its mtime is refreshed every staleMs / 4. A lock is stale when its mtime is older than
// staleMs, or at once when it names a process on this host that no longer exists. A stale lock
// is renamed aside (atomic: one contender wins) and then compared with what was judged stale; a
// fresh lock moved by mistake is linked back.
//
// Guarantees: mutual exclusion among holders whose event loop does not stall for longer than
// staleMs, on a local file system (or one with atomic O_EXCL create and rename, which NFSv3 and
// some network file systems lack). The rename-aside check leaves one narrow race: two contenders
// that both judged the same lock stale while a third acquires in between.
//
// A worker_thread terminated while it holds the lock cannot release it, and its process lives on:
// the thread that terminated it calls releaseLockOfThread once termination completed (the Node
// worker platform does), so the others need not wait staleMs. An fs request the dead thread had
// already handed to libuv may still land just after; the same narrow window as a stale takeover.
import { link, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import nodeProcess from 'node:process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';

export interface LockOptions {
  /** A lock whose holder has not refreshed it for this long is taken over. */
  staleMs: number;
  /** Give up (reject) after waiting this long. */
  timeoutMs: number;
}

/**
 * Only ever the cause of the CHECKPOINT_STORAGE_FAILED WeirError the fs backend throws (its name
 * is that error's `details.reason`), so it carries no code of its own.
 */
export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

export interface HeldLock {
  release(): Promise<void>;
}

export async function acquireLock(path: string, asideDir: string, options: LockOptions): Promise<HeldLock> {
  const token = randomUUID();
  const content = JSON.stringify({ token, pid: nodeProcess.pid, thread: threadId, host: hostname(), at: Date.now() });
  const deadline = Date.now() + options.timeoutMs;
  // The lock appears with its content (a hard link of a complete file): a holder that dies right
  // after taking it leaves a lock that names it, never an empty one that only staleness can break.
  const staged = join(asideDir, `lock-${token}`);
  const handle = await open(staged, 'wx');
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(staged, path);
        return held(path, content, options.staleMs);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await breakIfStale(path, asideDir, options.staleMs)) continue;
      if (Date.now() >= deadline) throw new LockTimeoutError(`${path} is still held after ${options.timeoutMs} ms`);
      const backoffMs = Math.min(2 ** Math.min(attempt, 6), 50);
      await new Promise((resolve) => setTimeout(resolve, backoffMs * (0.5 + Math.random())));
    }
  } finally {
    await unlink(staged).catch(() => undefined);
  }
}

function held(path: string, content: string, staleMs: number): HeldLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, Math.max(1, Math.floor(staleMs / 4)));
  (heartbeat as { unref?: () => void }).unref?.();
  return {
    async release() {
      clearInterval(heartbeat);
      // Remove it only if it is still ours (it may have been taken over after a stall).
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current === content) await unlink(path).catch(() => undefined);
    },
  };
}

/** Breaks the lock if a thread of this process that has been terminated holds it; true if it did. */
export async function releaseLockOfThread(path: string, asideDir: string, thread: number): Promise<boolean> {
  const judged = await readFile(path, 'utf8').catch(() => undefined);
  if (judged === undefined || thread === threadId) return false;
  let holder: { pid?: unknown; thread?: unknown; host?: unknown };
  try {
    holder = JSON.parse(judged) as typeof holder;
  } catch {
    return false;
  }
  if (holder.pid !== nodeProcess.pid || holder.host !== hostname() || holder.thread !== thread) return false;
  return breakJudged(path, asideDir, judged);
}

/** True when the lock is gone (or was stale and is now gone): try to acquire again at once. */
async function breakIfStale(path: string, asideDir: string, staleMs: number): Promise<boolean> {
  let mtimeMs: number;
  let judged: string;
  try {
    judged = await readFile(path, 'utf8');
    mtimeMs = (await stat(path)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  if (Date.now() - mtimeMs < staleMs && !holderIsGone(judged)) return false;
  return breakJudged(path, asideDir, judged);
}

/** Moves the lock aside if it still holds `judged` (atomic: one contender wins); a fresh lock moved by mistake is linked back. */
async function breakJudged(path: string, asideDir: string, judged: string): Promise<boolean> {
  const aside = join(asideDir, `stale-lock-${randomUUID()}`);
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true; // another contender broke it
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== judged) await link(aside, path).catch(() => undefined); // a fresh lock: put it back unless taken again
  await unlink(aside).catch(() => undefined);
  return moved === judged;
}

/** A holder on this host whose process has exited (threads of a live process still count as alive). */
function holderIsGone(content: string): boolean {
  let holder: { pid?: unknown; host?: unknown };
  try {
    holder = JSON.parse(content) as typeof holder;
  } catch {
    return false; // being written, or foreign: judge by age alone
  }
  if (holder.host !== hostname() || typeof holder.pid !== 'number' || holder.pid === nodeProcess.pid) return false;
  try {
    nodeProcess.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
