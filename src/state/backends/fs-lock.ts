// A lock file that serialises metadata writers across processes and threads (fs-storage.ts).
// Node (and Deno's node: compatibility) only.
//
// Acquire: create the file with O_CREAT|O_EXCL ('wx'), write { token, pid, host, at }. While
// held, its mtime is refreshed every staleMs / 4. A lock is stale when its mtime is older than
// staleMs, or at once when it names a process on this host that no longer exists. A stale lock
// is renamed aside (atomic: one contender wins) and then compared with what was judged stale; a
// fresh lock moved by mistake is linked back.
//
// Guarantees: mutual exclusion among holders whose event loop does not stall for longer than
// staleMs, on a local file system (or one with atomic O_EXCL create and rename, which NFSv3 and
// some network file systems lack). The rename-aside check leaves one narrow race: two contenders
// that both judged the same lock stale while a third acquires in between.
import { link, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import nodeProcess from 'node:process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

export interface LockOptions {
  /** A lock whose holder has not refreshed it for this long is taken over. */
  staleMs: number;
  /** Give up (reject) after waiting this long. */
  timeoutMs: number;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

export interface HeldLock {
  release(): Promise<void>;
}

export async function acquireLock(path: string, asideDir: string, options: LockOptions): Promise<HeldLock> {
  const token = randomUUID();
  const content = JSON.stringify({ token, pid: nodeProcess.pid, host: hostname(), at: Date.now() });
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return held(path, content, options.staleMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await breakIfStale(path, asideDir, options.staleMs)) continue;
    if (Date.now() >= deadline) throw new LockTimeoutError(`${path} is still held after ${options.timeoutMs} ms`);
    const backoffMs = Math.min(2 ** Math.min(attempt, 6), 50);
    await new Promise((resolve) => setTimeout(resolve, backoffMs * (0.5 + Math.random())));
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
