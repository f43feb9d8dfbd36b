import { InvalidArgumentError, requireFunction, requireString, WeirError } from '../errors/index.js';
import type { AggregatingState, ListState, MapState, ReducingState, StateAggregateFunction, StateKey, StateKind, StateTtlOptions, ValueState } from './keyed-state.js';
import { aggregatingStateOf, checkAggregateFunction, listStateOf, mapStateOf, reducingStateOf, valueStateOf } from './keyed-state-handles.js';
import { describeTtl, sameTtl, TtlCleanup, ttlCopy, ttlOf, type TimeSource } from './state-ttl.js';
import { ttlAggregatingStateOf, ttlListStateOf, ttlMapStateOf, ttlReducingStateOf, ttlValueStateOf } from './ttl-state-handles.js';
import { KeyedSnapshot } from './keyed-snapshot.js';
import { PendingSnapshot } from './pending-snapshot.js';
import { decodePayload } from './chunk-format.js';
import { applyPayload, checkKeyedStatePayload, payloadOf, type EncodedKeyedChunk, type KeyedStatePayload, type KeyGroupSpan } from './keyed-state-payload.js';
import { copyPlainData, StateEntry, StateTable, type CopyValue, type KeyGroupEntries } from './state-table.js';

export { KEY_GROUPS_PER_CHUNK, restoredWatermark, type EncodedKeyedChunk, type KeyedStatePayload, type KeyGroupSpan } from './keyed-state-payload.js';
import { KEY_GROUPS_PER_CHUNK } from './keyed-state-payload.js';

/** A restored span's chunks (full, then deltas), not decoded yet. */
interface LazySpan {
  readonly range: KeyGroupSpan;
  readonly bodies: Uint8Array[];
}

/** Keys written per key group and state between two snapshots: a record of the change log. */
export interface ChangeRecord {
  /** The version the snapshot that closed it took. */
  readonly version: number;
  readonly changed: ReadonlyMap<StateTable, readonly (Set<StateKey> | undefined)[]>;
}

/**
 * Keyed state on the heap: per state and key group, a Map from key to a mutable entry, so a
 * snapshot is cut along key groups (and restores at any parallelism), an update is one hash
 * lookup, and a checkpoint can (1) take a copy-on-write snapshot in O(key groups) at the barrier
 * and encode it later, and (2) write only the keys that changed (the change log).
 *
 * Versions: every snapshot takes the current version and starts the next; an entry records the
 * version of its last write. An entry of an older version is shared with the snapshots taken
 * since, so its first write in a version goes through `touch` (change log; a copy while a pending
 * snapshot still has to read it); later writes in the same version are plain assignments.
 */
export class HeapKeyedStateBackend {
  private readonly tables = new Map<string, StateTable>();
  private readonly handles = new Map<string, { kind: StateKind; ttlMs: unknown; update: unknown; handle: unknown }>();
  private currentKey: StateKey | undefined;
  private currentGroup = 0;
  /** The version writes belong to now; snapshots so far took 1 … version - 1. */
  version = 1;
  /** The snapshot still being encoded, if any (one at a time). */
  private pending: PendingSnapshot | undefined;
  /** Change records of snapshots whose checkpoints are not yet confirmed complete. */
  private log: ChangeRecord[] = [];
  /** Per key group (relative): restored chunks not decoded yet, shared by the groups of their span. */
  private lazy: (LazySpan | undefined)[] = [];
  /** Spans still to decode: while above 0, a group must be decoded before it is read or written. */
  private lazySpans = 0;

  /** `clock`: the job's processing time (TTL states); `keyGroupOf`: a key's group, to decode only its restored group in entryByKey. */
  constructor(readonly keyGroupRange: KeyGroupSpan, private readonly clock?: TimeSource, private readonly keyGroupOf?: (key: StateKey) => number) {}

  get groupCount(): number {
    return Math.max(0, this.keyGroupRange.end - this.keyGroupRange.start + 1);
  }

  setCurrentKey(key: StateKey, keyGroup: number): void {
    this.currentKey = key;
    this.currentGroup = keyGroup - this.keyGroupRange.start;
  }

  /** The current key's group (absolute, as keyGroupOf gives it). */
  getCurrentKeyGroup(): number {
    return this.currentGroup + this.keyGroupRange.start;
  }

  /** The current key's group relative to this backend's range: the index of state tables' groups. */
  get currentGroupIndex(): number {
    return this.currentGroup;
  }

  getCurrentKey(): StateKey {
    if (this.currentKey === undefined) throw new InvalidArgumentError('keyed state', 'is only available while a keyed record or timer is processed');
    return this.currentKey;
  }

  /**
   * The table of one state, made on first use. `copy` says how copy-on-write copies its values
   * (default: deep, for values a caller may change in place); `stamped`: a state with a TTL.
   */
  stateTable(name: string, kind: StateKind, copy: CopyValue = copyPlainData, stamped = false): StateTable {
    let table = this.tables.get(name);
    if (table === undefined) this.tables.set(name, (table = new StateTable(name, kind, stamped ? ttlCopy(kind) : copy, stamped)));
    else if (table.kind !== kind) throw new InvalidArgumentError(`state '${name}'`, `is ${table.kind} state; it cannot also be used as ${kind} state`);
    else if (table.stamped !== stamped) {
      // As Flink: a state's TTL cannot be switched on or off across a restore (its stored form differs).
      throw new WeirError('STATE_MISMATCH', `state '${name}' was ${table.stamped ? 'stored with a time-to-live; it cannot be used without one' : 'stored without a time-to-live; it cannot be given one'} (give it a new name to change that)`, {
        domain: 'user', retryable: false, details: { state: name },
      });
    }
    return table;
  }

  /** Whether a state of this name exists (restored, or made by a handle). */
  hasState(name: string): boolean {
    this.loadAll();
    return this.tables.has(name);
  }

  // ---- entries: what operators use, with the key and its group (relative) given ----

  /** The entry of `key`, or undefined. Read only: change it through `writable`. */
  entryOf(t: StateTable, key: StateKey, g: number): StateEntry | undefined {
    const map = t.groups[g];
    if (map !== undefined) return map.get(key);
    if (this.lazySpans === 0 || this.lazy[g] === undefined) return undefined;
    this.load(this.lazy[g]!);
    return t.groups[g]?.get(key);
  }

  /**
   * Keeps `t.byKey` from now on (built from what the table holds), so that entryByKey finds a
   * key's entry without its key group. For operators that get keys without groups (a keyed edge
   * with one downstream subtask: the sender skips the group, see RecordWriter).
   */
  indexByKey(t: StateTable): void {
    if (t.byKey !== undefined) return;
    t.byKey = new Map();
    t.indexGroups(0, t.groups.length - 1);
  }

  /**
   * The entry of `key` in an indexed table (indexByKey), or undefined; its group is `e.g`. Read
   * only, as entryOf's. A key whose restored group is not decoded yet has it decoded first.
   */
  entryByKey(t: StateTable, key: StateKey): StateEntry | undefined {
    const e = t.byKey!.get(key);
    if (e !== undefined || this.lazySpans === 0) return e;
    if (this.keyGroupOf === undefined) this.loadAll();
    else {
      const lazy = this.lazy[this.keyGroupOf(key) - this.keyGroupRange.start];
      if (lazy !== undefined) this.load(lazy);
    }
    return t.byKey!.get(key);
  }

  /** `e` (as entryOf gave it) made safe to change in place or assign: logged, copied if a pending snapshot shares it. */
  writable(t: StateTable, key: StateKey, g: number, e: StateEntry): StateEntry {
    return e.v === this.version ? e : this.touch(t, key, g, e);
  }

  private touch(t: StateTable, key: StateKey, g: number, e: StateEntry): StateEntry {
    (t.changed[g] ??= new Set()).add(key);
    const p = this.pending;
    if (p !== undefined && p.shares(g, e.v)) {
      p.keep(t, g, key, e);
      const copy = new StateEntry(t.copyValue(e.value), this.version);
      t.groups[g]!.set(key, copy);
      if (t.byKey !== undefined) t.indexed(key, g, copy);
      return copy;
    }
    e.v = this.version;
    return e;
  }

  /** `e` safe to hand to user code that may change the value in place without writing it back (Flink copies on get too). */
  readable(t: StateTable, key: StateKey, g: number, e: StateEntry): StateEntry {
    const p = this.pending;
    if (p === undefined || !p.shares(g, e.v) || typeof e.value !== 'object' || e.value === null) return e;
    p.keep(t, g, key, e);
    // Half a version above the snapshot's: no longer shared, yet not a write (the change log ignores it).
    const copy = new StateEntry(t.copyValue(e.value), p.version + 0.5);
    t.groups[g]!.set(key, copy);
    if (t.byKey !== undefined) t.indexed(key, g, copy);
    return copy;
  }

  insert(t: StateTable, key: StateKey, g: number, value: unknown): StateEntry {
    if (this.lazySpans > 0 && this.lazy[g] !== undefined) this.load(this.lazy[g]!);
    const e = new StateEntry(value, this.version);
    (t.groups[g] ??= new Map()).set(key, e);
    if (t.byKey !== undefined) t.indexed(key, g, e);
    (t.changed[g] ??= new Set()).add(key);
    if (this.pending !== undefined && this.pending.todo[g] === 1) this.pending.keep(t, g, key, null);
    return e;
  }

  remove(t: StateTable, key: StateKey, g: number): void {
    if (this.lazySpans > 0 && this.lazy[g] !== undefined) this.load(this.lazy[g]!);
    const map = t.groups[g];
    const e = map?.get(key);
    if (e === undefined) return;
    (t.changed[g] ??= new Set()).add(key);
    if (this.pending !== undefined && this.pending.shares(g, e.v)) this.pending.keep(t, g, key, e);
    map!.delete(key);
    t.byKey?.delete(key);
  }

  /** Every entry of one state, with its key group (absolute). */
  forEach(t: StateTable, fn: (key: StateKey, keyGroup: number, value: unknown) => void): void {
    this.loadAll();
    t.groups.forEach((map, g) => map?.forEach((e, key) => fn(key, g + this.keyGroupRange.start, e.value)));
  }

  // ---- the user-facing states, scoped to the current key (keyed-state-handles.ts, ttl-state-handles.ts) ----

  /**
   * The handle of state `name`, made on first use. Later calls with the same TTL options return
   * it without checking anything (the record path); the first checks the name and options.
   */
  private handle<H>(
    accessor: string, name: string, kind: StateKind, options: StateTtlOptions | undefined, known: readonly string[],
    create: (t: StateTable, ttl: TtlCleanup | undefined) => H,
  ): H {
    const cached = this.handles.get(name);
    if (cached !== undefined && cached.kind === kind && cached.ttlMs === options?.ttlMs && cached.update === options?.update) return cached.handle as H;
    requireString(`${accessor}(name)`, name);
    const ttl = ttlOf(`${accessor}(options)`, options, known);
    const table = this.stateTable(name, kind, undefined, ttl !== undefined);
    if (ttl !== undefined) table.ttl ??= new TtlCleanup(table, ttl);
    if (!sameTtl(table.ttl?.config, ttl)) {
      throw new InvalidArgumentError(`${accessor}(options)`, `state '${name}' is used with ${describeTtl(table.ttl?.config)} elsewhere; every use of a state must give the same time-to-live`);
    }
    if (cached !== undefined) return cached.handle as H;
    const handle = create(table, table.ttl);
    this.handles.set(name, { kind, ttlMs: options?.ttlMs, update: options?.update, handle });
    return handle;
  }

  /** The job's processing time, for TTL states. */
  now(): number {
    if (this.clock === undefined) throw new WeirError('TASK_FAILED', 'HeapKeyedStateBackend: a state with a time-to-live needs the job\'s clock', { domain: 'internal', retryable: false });
    return this.clock.now();
  }

  valueState<T>(name: string, options?: { defaultValue?: T } & StateTtlOptions): ValueState<T> {
    return this.handle('getState', name, 'value', options, ['defaultValue'], (t, ttl) =>
      ttl === undefined ? valueStateOf(this, t, options?.defaultValue) : ttlValueStateOf(this, t, ttl, options?.defaultValue));
  }

  listState<T>(name: string, options?: StateTtlOptions): ListState<T> {
    return this.handle('getListState', name, 'list', options, [], (t, ttl) => (ttl === undefined ? listStateOf<T>(this, t) : ttlListStateOf<T>(this, t, ttl)));
  }

  mapState<UK, UV>(name: string, options?: StateTtlOptions): MapState<UK, UV> {
    return this.handle('getMapState', name, 'map', options, [], (t, ttl) => (ttl === undefined ? mapStateOf<UK, UV>(this, t) : ttlMapStateOf<UK, UV>(this, t, ttl)));
  }

  reducingState<T>(name: string, reduce: (a: T, b: T) => T, options?: StateTtlOptions): ReducingState<T> {
    return this.handle('getReducingState', name, 'reducing', options, [], (t, ttl) => {
      requireFunction('getReducingState(reduce)', reduce);
      return ttl === undefined ? reducingStateOf(this, t, reduce) : ttlReducingStateOf(this, t, ttl, reduce);
    });
  }

  aggregatingState<IN, ACC, OUT>(name: string, fn: StateAggregateFunction<IN, ACC, OUT>, options?: StateTtlOptions): AggregatingState<IN, OUT> {
    return this.handle('getAggregatingState', name, 'aggregating', options, [], (t, ttl) => {
      checkAggregateFunction('getAggregatingState(aggregate)', fn);
      return ttl === undefined ? aggregatingStateOf(this, t, fn) : ttlAggregatingStateOf(this, t, ttl, fn);
    });
  }

  // ---- snapshots and restore ----

  /** Whether any state is held (an operator without keyed state writes no keyed chunk). */
  get isEmpty(): boolean {
    this.loadAll();
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

  /**
   * Begins a snapshot: O(states + key groups), at the barrier. The snapshot reads the state as it
   * is now for as long as it takes to encode (copy-on-write); writes go on meanwhile. Must not be
   * called while another snapshot of this backend is pending: finish that one first.
   */
  beginSnapshot(): KeyedSnapshot {
    if (this.pending !== undefined) throw new WeirError('TASK_FAILED', 'HeapKeyedStateBackend: a snapshot is still being encoded', { domain: 'internal', retryable: true });
    this.sweepExpired();
    const version = this.version++;
    const changed = new Map<StateTable, (Set<StateKey> | undefined)[]>();
    for (const t of this.tables.values()) {
      changed.set(t, t.changed);
      t.changed = [];
    }
    this.log.push({ version, changed });
    const pending = (this.pending = new PendingSnapshot(version, this.groupCount));
    return new KeyedSnapshot(this.keyGroupRange, () => [...this.tables.values()], pending, this.log.slice(), (span) => this.loadSpan(span), () => {
      if (this.pending === pending) this.pending = undefined;
    });
  }

  /** Cleanup in snapshots: what expired by now leaves every TTL state before a snapshot (removals logged as changes). */
  private sweepExpired(): void {
    let now: number | undefined;
    for (const t of this.tables.values()) {
      if (t.ttl === undefined) continue;
      now ??= this.now();
      t.ttl.sweep(this, now);
    }
  }

  /** Whether restored state remains to decode (see `loadNext`). */
  get restoring(): boolean {
    return this.lazySpans > 0;
  }

  /** Decodes one restored span still encoded; returns whether more remain (the task calls it between batches). */
  loadNext(): boolean {
    if (this.lazySpans === 0) return false;
    const span = this.lazy.find((l) => l !== undefined);
    if (span !== undefined) this.load(span);
    return this.lazySpans > 0;
  }

  private loadAll(): void {
    while (this.lazySpans > 0) this.loadNext();
  }

  /** Decodes what `span` (absolute) still has encoded. */
  private loadSpan(span: KeyGroupSpan): void {
    if (this.lazySpans === 0) return;
    for (let kg = span.start; kg <= span.end; kg++) {
      const lazy = this.lazy[kg - this.keyGroupRange.start];
      if (lazy !== undefined) this.load(lazy);
    }
  }

  private load(span: LazySpan): void {
    const { start, end } = this.keyGroupRange;
    const from = Math.max(start, span.range.start) - start;
    const to = Math.min(end, span.range.end) - start;
    for (let g = from; g <= to; g++) if (this.lazy[g] === span) this.lazy[g] = undefined;
    this.lazySpans--;
    for (const t of this.tables.values()) if (t.byKey !== undefined) t.unindexGroups(from, to);
    for (const body of span.bodies) {
      const payload = checkKeyedStatePayload(decodePayload('keyed-state', body), `keyed state of key groups ${span.range.start}-${span.range.end}`);
      applyPayload(payload, start, end, (name, kind, stamped) => this.stateTable(name, kind, undefined, stamped), (t, g) => (t.groups[g] ??= new Map() as KeyGroupEntries));
    }
    for (const t of this.tables.values()) if (t.byKey !== undefined) t.indexGroups(from, to);
  }

  /** A checkpoint whose snapshot took `version` completed: change records up to it are no longer needed. */
  releaseChanges(version: number): void {
    this.log = this.log.filter((r) => r.version > version);
  }

  /**
   * The state of `span` as one payload of plain Maps, synchronously (tests, and callers that
   * encode at once). Must be encoded before any further write: the values are shared.
   */
  snapshot(span: KeyGroupSpan = this.keyGroupRange): KeyedStatePayload {
    this.loadAll();
    this.sweepExpired();
    return payloadOf([...this.tables.values()], this.keyGroupRange.start, span);
  }

  /**
   * Takes the key groups of this backend's range from snapshots of any parallelism. Must be
   * given each span's full chunk before its deltas, and the deltas in the order written.
   */
  restore(payloads: readonly KeyedStatePayload[], encoded: readonly EncodedKeyedChunk[] = []): void {
    const { start, end } = this.keyGroupRange;
    for (const payload of payloads) {
      applyPayload(payload, start, end, (name, kind, stamped) => this.stateTable(name, kind, undefined, stamped), (t, g) => (t.groups[g] ??= new Map() as KeyGroupEntries));
    }
    // A full chunk replaces its groups' maps: the index is rebuilt from what they hold now.
    for (const t of this.tables.values()) {
      if (t.byKey === undefined || payloads.length === 0) continue;
      t.byKey = undefined;
      this.indexByKey(t);
    }
    // Encoded chunks: decoded when their key groups are first used (a span's chain together), or by loadNext.
    const spans = new Map<string, LazySpan>();
    for (const chunk of encoded) {
      const r = chunk.keyGroupRange;
      if (r.end < start || r.start > end) continue;
      const id = `${r.start}-${r.end}`;
      let span = spans.get(id);
      if (span === undefined) spans.set(id, (span = { range: r, bodies: [] }));
      span.bodies.push(chunk.body);
    }
    for (const span of spans.values()) {
      for (let kg = Math.max(start, span.range.start); kg <= Math.min(end, span.range.end); kg++) this.lazy[kg - start] = span;
      this.lazySpans++;
    }
  }
}
