import type { StateKey } from '../../state/keyed-state.js';

interface Timer {
  readonly timestamp: number;
  readonly key: StateKey;
  readonly keyGroup: number;
  readonly seq: number;
}

const idOf = (timestamp: number, key: StateKey) => `${timestamp}\u0000${typeof key}\u0000${String(key)}`;

/**
 * Keyed timers of one operator: at most one per key and timestamp, fired in timestamp order
 * (then registration order), snapshotted per key group.
 */
export class TimerQueue {
  private readonly byId = new Map<string, Timer>();
  private heap: Timer[] = [];
  private seq = 0;

  get size(): number {
    return this.byId.size;
  }

  register(timestamp: number, key: StateKey, keyGroup: number): void {
    const id = idOf(timestamp, key);
    if (this.byId.has(id)) return;
    const timer = { timestamp, key, keyGroup, seq: this.seq++ };
    this.byId.set(id, timer);
    this.push(timer);
  }

  delete(timestamp: number, key: StateKey): void {
    this.byId.delete(idOf(timestamp, key)); // the heap entry is dropped lazily when it surfaces
  }

  earliest(): number | undefined {
    this.dropDeleted();
    return this.heap[0]?.timestamp;
  }

  /** Removes and returns the earliest timer due at `time`, if any. */
  pollDue(time: number): Timer | undefined {
    this.dropDeleted();
    const top = this.heap[0];
    if (top === undefined || top.timestamp > time) return undefined;
    this.pop();
    this.byId.delete(idOf(top.timestamp, top.key));
    return top;
  }

  snapshot(): [number, [number, StateKey][]][] {
    const groups = new Map<number, [number, StateKey][]>();
    for (const t of [...this.byId.values()].sort((a, b) => a.seq - b.seq)) {
      let g = groups.get(t.keyGroup);
      if (g === undefined) groups.set(t.keyGroup, (g = []));
      g.push([t.timestamp, t.key]);
    }
    return [...groups];
  }

  restore(groups: readonly [number, [number, StateKey][]][], inRange: (keyGroup: number) => boolean): void {
    for (const [keyGroup, timers] of groups) {
      if (!inRange(keyGroup)) continue;
      for (const [timestamp, key] of timers) this.register(timestamp, key, keyGroup);
    }
  }

  private dropDeleted(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.byId.get(idOf(top.timestamp, top.key)) === top) return;
      this.pop();
    }
  }

  private less(a: Timer, b: Timer): boolean {
    return a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq);
  }

  private push(timer: Timer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
