/**
 * A way to run a callback on a fresh turn of the event loop, as soon as possible: the task
 * scheduler yields through it so timers, I/O and control messages interleave with data.
 * setTimeout(0) is clamped to ≥ 4 ms in browsers after a few nestings, far too slow for that.
 */
export function createMacrotaskScheduler(): (callback: () => void) => void {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown; scheduler?: { postTask?: (cb: () => void) => Promise<unknown> } };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return (callback) => void setImmediate(callback);
  }
  // Browsers with the Prioritized Task Scheduling API: a task on the thread's own queue. A
  // MessageChannel message goes through another thread (Chromium's IO thread), which a loaded
  // machine may not run at once: the yield then costs ms, and a checkpoint's encoding yields per slice.
  const scheduler = g.scheduler;
  if (typeof scheduler?.postTask === 'function') {
    // A callback that throws is reported as an uncaught error, as from the other ways, not as a rejection.
    return (callback) => void scheduler.postTask!(callback).then(undefined, (error: unknown) => queueMicrotask(() => { throw error; }));
  }
  if (typeof MessageChannel === 'function') {
    const queue: (() => void)[] = [];
    let channel: MessageChannel | undefined;
    return (callback) => {
      if (channel === undefined) {
        channel = new MessageChannel();
        channel.port1.onmessage = () => queue.shift()?.();
        (channel.port1 as { unref?: () => void }).unref?.();
      }
      queue.push(callback);
      channel.port2.postMessage(0);
    };
  }
  return (callback) => void setTimeout(callback, 0);
}
