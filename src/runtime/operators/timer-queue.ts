import type { StateKey } from '../../state/keyed-state.js';

export interface Timer {
  readonly timestamp: number;
  readonly key: StateKey;
  readonly keyGroup: number;
}

/**
 * Keyed timers of one operator: at most one per key and timestamp, fired in timestamp order
 * (then registration order), snapshotted per key group. After a restore, timers of the same
 * time fire key group by key group: as in Flink, their relative order is not part of the contract.
 *
 * Timers are bucketed by timestamp (a Map from key to key group per distinct time) with a heap
 * of the distinct times: a window operator registers one timer per key and window, all at the
 * few times windows end, so registering is one Map lookup, with no string or object per timer.
 */
export class TimerQueue {
  private readonly buckets = new Map<number, Map<StateKey, number>>();
  /** Distinct timestamps that have a bucket. */
  private readonly times: number[] = [];
  private count = 0;
  /** The bucket being fired: its keys in registration order, and how far firing got. */
  private draining: { timestamp: number; bucket: Map<StateKey, number>; keys: StateKey[]; next: number } | undefined;

  get size(): number {
    return this.count;
  }

  register(timestamp: number, key: StateKey, keyGroup: number): void {
    let bucket = this.buckets.get(timestamp);
    if (bucket === undefined) {
      this.buckets.set(timestamp, (bucket = new Map()));
      this.pushTime(timestamp);
    } else if (bucket.has(key)) {
      return;
    }
    bucket.set(key, keyGroup);
    this.count++;
  }

  delete(timestamp: number, key: StateKey): void {
    const bucket = this.buckets.get(timestamp) ?? (this.draining?.timestamp === timestamp ? this.draining.bucket : undefined);
    if (bucket?.delete(key)) this.count--;
  }

  earliest(): number | undefined {
    if (this.draining !== undefined) return this.draining.timestamp;
    this.dropEmpty();
    return this.times[0];
  }

  /** Removes and returns the earliest timer due at `time`, if any. */
  pollDue(time: number): Timer | undefined {
    for (;;) {
      const d = this.draining;
      if (d !== undefined) {
        while (d.next < d.keys.length) {
          const key = d.keys[d.next++]!;
          const keyGroup = d.bucket.get(key);
          if (keyGroup === undefined) continue; // deleted meanwhile
          d.bucket.delete(key);
          this.count--;
          return { timestamp: d.timestamp, key, keyGroup };
        }
        this.draining = undefined;
      }
      this.dropEmpty();
      const earliest = this.times[0];
      if (earliest === undefined || earliest > time) return undefined;
      // Detach the bucket: a timer registered at this time while it fires gets a new bucket, fired after it.
      this.popTime();
      const bucket = this.buckets.get(earliest)!;
      this.buckets.delete(earliest);
      this.draining = { timestamp: earliest, bucket, keys: [...bucket.keys()], next: 0 };
    }
  }

  snapshot(): [number, [number, StateKey][]][] {
    const groups = new Map<number, [number, StateKey][]>();
    const add = (timestamp: number, key: StateKey, keyGroup: number) => {
      let g = groups.get(keyGroup);
      if (g === undefined) groups.set(keyGroup, (g = []));
      g.push([timestamp, key]);
    };
    if (this.draining !== undefined) for (const [key, keyGroup] of this.draining.bucket) add(this.draining.timestamp, key, keyGroup);
    for (const timestamp of [...this.buckets.keys()].sort((a, b) => a - b)) {
      for (const [key, keyGroup] of this.buckets.get(timestamp)!) add(timestamp, key, keyGroup);
    }
    return [...groups];
  }

  restore(groups: readonly [number, [number, StateKey][]][], inRange: (keyGroup: number) => boolean): void {
    for (const [keyGroup, timers] of groups) {
      if (!inRange(keyGroup)) continue;
      for (const [timestamp, key] of timers) this.register(timestamp, key, keyGroup);
    }
  }

  /** Buckets emptied by deletes leave their time in the heap until it surfaces. */
  private dropEmpty(): void {
    while (this.times.length > 0) {
      const t = this.times[0]!;
      const bucket = this.buckets.get(t);
      if (bucket !== undefined && bucket.size > 0) return;
      this.popTime();
      this.buckets.delete(t);
    }
  }

  private pushTime(t: number): void {
    const h = this.times;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]! <= t) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = t;
  }

  private popTime(): void {
    const h = this.times;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const m = r < h.length && h[r]! < h[l]! ? r : l;
      if (h[m]! >= last) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
  }
}
