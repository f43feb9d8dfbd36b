import { InvalidArgumentError } from '../errors/index.js';
import type { ListState, MapState, ReducingState, StateKey, StateKind, ValueState } from './keyed-state.js';

/** Key groups per snapshot chunk: small enough that a few changed keys rewrite little, large enough to keep chunks few. */
export const KEY_GROUPS_PER_CHUNK = 8;

/** A key-group range, inclusive at both ends (the graph layer computes them). */
export interface KeyGroupSpan {
  readonly start: number;
  readonly end: number;
}

/** What a keyed snapshot holds: for each non-empty key group, each state's entries. */
export interface KeyedStatePayload {
  readonly keyGroupRange: KeyGroupSpan;
  readonly kinds: Record<string, StateKind>;
  /** [keyGroup, { stateName: Map<key, value> }] for every key group that has state. */
  readonly groups: [number, Record<string, Map<StateKey, unknown>>][];
  /** Processing-time timers: [keyGroup, [timestamp, key][]]. */
  readonly timers?: [number, [number, StateKey][]][];
  /** Event-time timers, the same way. */
  readonly eventTimers?: [number, [number, StateKey][]][];
  /** The operator's watermark when it was snapshotted: restored as the lowest over the payloads read, so it never goes back. */
  readonly watermark?: number;
}

/** The watermark an operator resumes at: the lowest any restored payload recorded (a rescale may merge several). */
export function restoredWatermark(payloads: readonly KeyedStatePayload[]): number {
  let watermark = Infinity;
  let found = false;
  for (const p of payloads) {
    if (p.watermark === undefined) continue;
    found = true;
    if (p.watermark < watermark) watermark = p.watermark;
  }
  return found ? watermark : -Infinity;
}

/**
 * Keyed state on the heap, one Map per state and key group, so a snapshot is cut along key
 * groups and restores at any parallelism. The task sets the current key before it calls a
 * keyed operator; every state handle reads and writes that key.
 */
export class HeapKeyedStateBackend {
  private readonly tables = new Map<string, { kind: StateKind; groups: Map<StateKey, unknown>[] }>();
  private readonly handles = new Map<string, unknown>();
  private currentKey: StateKey | undefined;
  private currentGroup = 0;
  /** Snapshots taken so far; a write marks its key group with the current value. */
  private version = 0;
  /** Per key group (relative to the range start): the version of its last write, -1 if none since restore. */
  private readonly modifiedAt: Int32Array;

  constructor(readonly keyGroupRange: KeyGroupSpan) {
    this.modifiedAt = new Int32Array(Math.max(0, keyGroupRange.end - keyGroupRange.start + 1)).fill(-1);
  }

  setCurrentKey(key: StateKey, keyGroup: number): void {
    this.currentKey = key;
    this.currentGroup = keyGroup - this.keyGroupRange.start;
  }

  /** The current key's group (absolute, as keyGroupOf gives it). */
  getCurrentKeyGroup(): number {
    return this.currentGroup + this.keyGroupRange.start;
  }

  getCurrentKey(): StateKey {
    if (this.currentKey === undefined) throw new InvalidArgumentError('keyed state', 'is only available while a keyed record or timer is processed');
    return this.currentKey;
  }

  /** The map of one state for the current key's group (created on first use). */
  private mapOf(table: { groups: Map<StateKey, unknown>[] }): Map<StateKey, unknown> {
    return (table.groups[this.currentGroup] ??= new Map());
  }

  /** The same map, for a write: marks the key group changed, for incremental snapshots. */
  private writable(table: { groups: Map<StateKey, unknown>[] }): Map<StateKey, unknown> {
    this.modifiedAt[this.currentGroup] = this.version;
    return (table.groups[this.currentGroup] ??= new Map());
  }

  private table(name: string, kind: StateKind) {
    let table = this.tables.get(name);
    if (table === undefined) {
      table = { kind, groups: [] };
      this.tables.set(name, table);
    } else if (table.kind !== kind) {
      throw new InvalidArgumentError(`state '${name}'`, `is ${table.kind} state; it cannot also be used as ${kind} state`);
    }
    return table;
  }

  private handle<H>(name: string, kind: StateKind, create: (table: { groups: Map<StateKey, unknown>[] }) => H): H {
    const table = this.table(name, kind);
    let handle = this.handles.get(name) as H | undefined;
    if (handle === undefined) {
      handle = create(table);
      this.handles.set(name, handle);
    }
    return handle;
  }

  valueState<T>(name: string, defaultValue?: T): ValueState<T> {
    return this.handle(name, 'value', (table) => ({
      value: () => {
        const v = this.mapOf(table).get(this.getCurrentKey()) as T | undefined;
        return v === undefined ? defaultValue : v;
      },
      update: (value: T) => void this.writable(table).set(this.getCurrentKey(), value),
      clear: () => void this.writable(table).delete(this.getCurrentKey()),
    }));
  }

  /**
   * Value state without the checks of a user-facing handle, for Weir's own operators on the hot
   * path: the caller guarantees a current key is set (the task sets it before every record).
   */
  valueCell(name: string): { get(): unknown; set(value: unknown): void; clear(): void } {
    const table = this.table(name, 'value');
    return {
      get: () => table.groups[this.currentGroup]?.get(this.currentKey!),
      set: (value) => {
        this.modifiedAt[this.currentGroup] = this.version;
        (table.groups[this.currentGroup] ??= new Map()).set(this.currentKey!, value);
      },
      clear: () => {
        const group = table.groups[this.currentGroup];
        if (group?.delete(this.currentKey!)) this.modifiedAt[this.currentGroup] = this.version;
      },
    };
  }

  listState<T>(name: string): ListState<T> {
    return this.handle(name, 'list', (table) => {
      const list = (create: boolean): T[] | undefined => {
        const map = create ? this.writable(table) : this.mapOf(table);
        let l = map.get(this.getCurrentKey()) as T[] | undefined;
        if (l === undefined && create) map.set(this.getCurrentKey(), (l = []));
        return l;
      };
      return {
        get: () => list(false)?.slice() ?? [],
        add: (value: T) => void list(true)!.push(value),
        addAll: (values: Iterable<T>) => void list(true)!.push(...values),
        update: (values: Iterable<T>) => void this.writable(table).set(this.getCurrentKey(), [...values]),
        clear: () => void this.writable(table).delete(this.getCurrentKey()),
      };
    });
  }

  mapState<UK, UV>(name: string): MapState<UK, UV> {
    return this.handle(name, 'map', (table) => {
      const inner = (create: boolean): Map<UK, UV> | undefined => {
        const map = create ? this.writable(table) : this.mapOf(table);
        let m = map.get(this.getCurrentKey()) as Map<UK, UV> | undefined;
        if (m === undefined && create) map.set(this.getCurrentKey(), (m = new Map()));
        return m;
      };
      const empty = new Map<UK, UV>();
      return {
        get: (k: UK) => inner(false)?.get(k),
        put: (k: UK, v: UV) => void inner(true)!.set(k, v),
        putAll: (entries: Iterable<readonly [UK, UV]>) => {
          const m = inner(true)!;
          for (const [k, v] of entries) m.set(k, v);
        },
        contains: (k: UK) => inner(false)?.has(k) ?? false,
        remove: (k: UK) => {
          const m = inner(true)!;
          m.delete(k);
          if (m.size === 0) this.mapOf(table).delete(this.getCurrentKey());
        },
        entries: () => (inner(false) ?? empty).entries(),
        keys: () => (inner(false) ?? empty).keys(),
        values: () => (inner(false) ?? empty).values(),
        isEmpty: () => (inner(false)?.size ?? 0) === 0,
        clear: () => void this.writable(table).delete(this.getCurrentKey()),
      };
    });
  }

  reducingState<T>(name: string, reduce: (a: T, b: T) => T): ReducingState<T> {
    return this.handle(name, 'reducing', (table) => ({
      get: () => this.mapOf(table).get(this.getCurrentKey()) as T | undefined,
      add: (value: T) => {
        const map = this.writable(table);
        const key = this.getCurrentKey();
        const current = map.get(key) as T | undefined;
        map.set(key, current === undefined ? value : reduce(current, value));
      },
      clear: () => void this.writable(table).delete(this.getCurrentKey()),
    }));
  }

  /** Whether any state is held (an operator without keyed state writes no keyed chunk). */
  get isEmpty(): boolean {
    for (const t of this.tables.values()) if (t.groups.some((g) => g !== undefined && g.size > 0)) return false;
    return true;
  }

  /**
   * The spans a snapshot is cut into: runs of KEY_GROUPS_PER_CHUNK key groups aligned to
   * absolute key-group numbers, so that the same span has the same bounds at every snapshot
   * (and at every restore at the same parallelism) and an unchanged span can be reused.
   */
  spans(): KeyGroupSpan[] {
    const { start, end } = this.keyGroupRange;
    const spans: KeyGroupSpan[] = [];
    for (let s = start; s <= end; s = (Math.floor(s / KEY_GROUPS_PER_CHUNK) + 1) * KEY_GROUPS_PER_CHUNK) {
      spans.push({ start: s, end: Math.min(end, (Math.floor(s / KEY_GROUPS_PER_CHUNK) + 1) * KEY_GROUPS_PER_CHUNK - 1) });
    }
    return spans;
  }

  /** The version of the last write in `span` (-1: none since the restore). */
  lastModified(span: KeyGroupSpan): number {
    let m = -1;
    for (let kg = span.start; kg <= span.end; kg++) m = Math.max(m, this.modifiedAt[kg - this.keyGroupRange.start]!);
    return m;
  }

  /** Starts a snapshot: returns its version; writes from now on are newer than it. */
  beginSnapshot(): number {
    return this.version++;
  }

  /**
   * Must be called synchronously at the barrier and its result encoded before any further
   * record is processed: the maps are shared, not copied.
   */
  snapshot(span: KeyGroupSpan = this.keyGroupRange): KeyedStatePayload {
    const kinds: Record<string, StateKind> = {};
    const groups = new Map<number, Record<string, Map<StateKey, unknown>>>();
    for (const [name, table] of this.tables) {
      setOwn(kinds, name, table.kind);
      table.groups.forEach((map, i) => {
        if (map === undefined || map.size === 0) return;
        const kg = this.keyGroupRange.start + i;
        if (kg < span.start || kg > span.end) return;
        let entry = groups.get(kg);
        if (entry === undefined) groups.set(kg, (entry = {}));
        setOwn(entry, name, map);
      });
    }
    return { keyGroupRange: span, kinds, groups: [...groups].sort((a, b) => a[0] - b[0]) };
  }

  /** Takes the key groups of this backend's range from snapshots of any parallelism. */
  restore(payloads: readonly KeyedStatePayload[]): void {
    const { start, end } = this.keyGroupRange;
    for (const payload of payloads) {
      for (const [kg, states] of payload.groups) {
        if (kg < start || kg > end) continue;
        for (const [name, map] of Object.entries(states)) {
          this.table(name, payload.kinds[name] ?? 'value').groups[kg - start] = map;
        }
      }
    }
  }
}

/** A state named '__proto__' must be a field of the snapshot, not its prototype (an assignment would lose it). */
function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
