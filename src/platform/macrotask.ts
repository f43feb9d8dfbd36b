/**
 * A way to run a callback on a fresh turn of the event loop, as soon as possible: the task
 * scheduler yields through it so timers, I/O and control messages interleave with data.
 * setTimeout(0) is clamped to ≥ 4 ms in browsers after a few nestings, far too slow for that.
 */
export function createMacrotaskScheduler(): (callback: () => void) => void {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === 'function') {
    const setImmediate = g.setImmediate;
    return (callback) => void setImmediate(callback);
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
