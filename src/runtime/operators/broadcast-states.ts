import { InvalidArgumentError, WeirError } from '../../errors/index.js';
import type { BroadcastState, BroadcastStateDescriptor, ReadOnlyBroadcastState } from '../../graph/two-input-functions.js';

/** What a subtask stores of its broadcast states: [name, entries] pairs. */
export type BroadcastStatesSnapshot = [string, [unknown, unknown][]][];

/**
 * A broadcast operator's broadcast states (Flink's BroadcastState): one map per descriptor, the
 * same in every subtask because only broadcast records, which every subtask sees in the same
 * order, change them. The other input gets a read-only view.
 */
export class BroadcastStates {
  private readonly maps = new Map<string, Map<unknown, unknown>>();
  private readonly writable = new Map<string, BroadcastState<unknown, unknown>>();
  private readonly readOnly = new Map<string, ReadOnlyBroadcastState<unknown, unknown>>();

  constructor(private readonly uid: string, names: readonly string[]) {
    for (const name of names) {
      const map = new Map<unknown, unknown>();
      this.maps.set(name, map);
      const view: ReadOnlyBroadcastState<unknown, unknown> = {
        get: (k) => map.get(k),
        contains: (k) => map.has(k),
        entries: () => map.entries(),
        keys: () => map.keys(),
        values: () => map.values(),
        get size() { return map.size; },
      };
      const refuse = (method: string) => (): never => {
        throw new WeirError('READ_ONLY_STATE', `operator '${uid}': broadcast state '${name}' is read-only in processElement and onTimer (${method} refused): only processBroadcastElement may change it, so that every subtask holds the same state`, {
          domain: 'user', retryable: false, details: { operator: uid, state: name },
        });
      };
      this.readOnly.set(name, Object.defineProperties({ put: refuse('put'), remove: refuse('remove'), clear: refuse('clear') }, Object.getOwnPropertyDescriptors(view)) as unknown as ReadOnlyBroadcastState<unknown, unknown>);
      this.writable.set(name, Object.defineProperties({
        put: (k: unknown, v: unknown) => void map.set(k, v),
        remove: (k: unknown) => void map.delete(k),
        clear: () => map.clear(),
      }, Object.getOwnPropertyDescriptors(view)) as unknown as BroadcastState<unknown, unknown>);
    }
  }

  private named<S>(views: Map<string, S>, descriptor: BroadcastStateDescriptor<unknown, unknown>): S {
    const name = typeof descriptor === 'object' && descriptor !== null ? descriptor.name : undefined;
    const view = name === undefined ? undefined : views.get(name);
    if (view === undefined) {
      throw new InvalidArgumentError('getBroadcastState(descriptor)', `operator '${this.uid}' has no broadcast state ${name === undefined ? String(descriptor) : `'${name}'`}; it has ${[...this.maps.keys()].map((n) => `'${n}'`).join(', ')} (the descriptors given to broadcast(…))`);
    }
    return view;
  }

  forWriting(descriptor: BroadcastStateDescriptor<unknown, unknown>): BroadcastState<unknown, unknown> {
    return this.named(this.writable, descriptor);
  }

  forReading(descriptor: BroadcastStateDescriptor<unknown, unknown>): ReadOnlyBroadcastState<unknown, unknown> {
    return this.named(this.readOnly, descriptor);
  }

  /** Must copy: the snapshot is encoded after processing goes on. */
  snapshot(): BroadcastStatesSnapshot {
    return [...this.maps].map(([name, map]) => [name, [...map]]);
  }

  /** Takes the copy stored by the lowest subtask that stored one: on rescale every new subtask starts from the same state, as in Flink. */
  restore(bySubtask: readonly (readonly unknown[])[]): void {
    const stored = bySubtask.find((list) => list.length > 0)?.[0] as BroadcastStatesSnapshot | undefined;
    if (stored === undefined) return;
    for (const [name, entries] of stored) {
      const map = this.maps.get(name);
      if (map === undefined) continue; // a state the job no longer declares
      map.clear();
      for (const [k, v] of entries) map.set(k, v);
    }
  }
}
