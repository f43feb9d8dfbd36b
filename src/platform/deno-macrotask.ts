/**
 * The task scheduler's yield on Deno: setImmediate, and at least every `pollEveryMs` one yield
 * that waits for an async op another thread completes (a SHA-1 of no bytes, which Deno computes
 * off the JS thread), so that the runtime is idle for a moment.
 *
 * Why: Deno drives async ops (Deno KV commits, file and network I/O) from a task of their own on
 * a tokio current-thread runtime. A completion on another thread wakes that task through tokio's
 * shared queue, which the runtime reads only when it runs out of local work, or every 31 polls.
 * A thread that keeps yielding through setImmediate never runs out: its I/O waited 31 yields, 31
 * slices of 8 ms while a checkpoint encodes. Deno KV hands its SQLite thread one commit at a
 * time, each hand-over such a wake-up, so a checkpoint's chunk commits all waited for the end of
 * its encoding and ran after it (docs/decisions.md, "Deno KV: the chunk commits overlap the
 * encoding"). A 0 ms setTimeout would do too, but costs ~1–2 ms of idle time a hop here; the
 * digest ~20–50 µs.
 * Must run every callback once, in a turn of its own, as setImmediate does (a callback that
 * throws is reported as an uncaught error, not as a rejection).
 */
export function createDenoMacrotaskScheduler(now: () => number = () => performance.now(), pollEveryMs = 4): (callback: () => void) => void {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown; crypto?: { subtle?: { digest?: (algorithm: string, data: Uint8Array) => Promise<unknown> } } };
  const setImmediate = g.setImmediate;
  const digest = g.crypto?.subtle?.digest?.bind(g.crypto.subtle);
  if (typeof setImmediate !== 'function') return (callback) => void setTimeout(callback, 0);
  if (typeof digest !== 'function') return (callback) => void setImmediate(callback);
  const nothing = new Uint8Array(0);
  let polled = now();
  return (callback) => {
    const at = now();
    if (at - polled < pollEveryMs) {
      setImmediate(callback);
      return;
    }
    polled = at;
    const run = () => void setImmediate(callback);
    digest('SHA-1', nothing).then(run, run);
  };
}
