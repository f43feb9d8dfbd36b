import type { StateKey } from '../../../state/keyed-state.js';

/** The keys registered for one time, in registration order (key groups relative to the backend's range). */
export interface FireBucket {
  readonly keys: StateKey[];
  readonly groups: number[];
}

/**
 * The keys of the aligned window operator due to fire, by time: a registration is two array
 * slots in the bucket of its time (no timer object, no per-key lookup), made when a key's window
 * or pane is created, never per record. Not snapshotted: a restore registers again from the
 * windows. A key may be registered twice for one time; the operator tells such a repeat by its
 * state (what fired is gone, or marked).
 */
export class FireSchedule {
  private readonly byTime = new Map<number, FireBucket>();
  /** The bucket registered to last: registrations come in runs of the same time. */
  private lastTime = Number.NaN;
  private last: FireBucket | undefined;

  register(key: StateKey, g: number, time: number): void {
    let bucket = time === this.lastTime ? this.last : this.byTime.get(time);
    if (bucket === undefined) this.byTime.set(time, (bucket = { keys: [], groups: [] }));
    this.lastTime = time;
    this.last = bucket;
    bucket.keys.push(key);
    bucket.groups.push(g);
  }

  /** The earliest time with registrations, if it is at most `upTo`. */
  earliest(upTo: number): number | undefined {
    let min: number | undefined;
    for (const time of this.byTime.keys()) if (time <= upTo && (min === undefined || time < min)) min = time;
    return min;
  }

  /** Removes and returns the registrations of `time`. */
  take(time: number): FireBucket | undefined {
    const bucket = this.byTime.get(time);
    this.byTime.delete(time);
    if (time === this.lastTime) {
      this.lastTime = Number.NaN;
      this.last = undefined;
    }
    return bucket;
  }
}
