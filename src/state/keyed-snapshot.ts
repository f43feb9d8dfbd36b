import type { ChangeRecord } from './heap-keyed-state-backend.js';
import type { KeyGroupSpan } from './keyed-state-payload.js';
import type { StateKey, StateKind } from './keyed-state.js';
import type { PendingSnapshot } from './pending-snapshot.js';
import type { StateTable } from './state-table.js';
import { takeChunkBuffer, giveBackChunkBuffer } from './chunk-buffers.js';
import { CHUNK_HEADER_BYTES, openChunk, sealChunk } from './chunk-format.js';
import { appendWith, type AppendTarget, type ValueWriter } from './value-codec.js';

/** What a snapshot writes for a span: nothing (a completed checkpoint's chunks still hold it), all of it, or what changed since `since`. */
export type SpanPlan = { readonly kind: 'reuse' } | { readonly kind: 'full' } | { readonly kind: 'delta'; readonly since: number };

/** A span's 'keyed-state' chunk (its payload a KeyedStatePayload), built in a buffer that is lent: see `release`. */
export interface EncodedSpan {
  readonly span: KeyGroupSpan;
  readonly kind: 'full' | 'delta';
  readonly chunk: Uint8Array;
  /** Must be called once nothing reads `chunk` any more (its write settled, or a copy was taken): its buffer builds later chunks. */
  readonly release: () => void;
}

/**
 * A keyed snapshot being encoded, a piece at a time, while records go on being processed (the
 * backend copies what they change first, see PendingSnapshot). The caller plans every span at
 * the barrier, then calls `next()` between batches until `done`; each call encodes one key group
 * of a full span, or one delta span, so no call holds the thread long.
 */
export class KeyedSnapshot {
  private readonly queue: { span: KeyGroupSpan; plan: SpanPlan }[] = [];
  private cursor = 0;
  private group = -1;
  /** The full span being encoded, a group per `next()`: its chunk so far, where its groups array starts, and how many it holds. */
  private building: { target: AppendTarget; groupsAt: number; groups: number } | undefined;
  /** The size of the last chunk: the next one likely needs as much. */
  private lastChunkBytes = 0;
  private closed = false;
  /** Bytes encoded so far: what the caller's slices are budgeted in. */
  bytesEncoded = 0;

  private tables: readonly StateTable[];

  constructor(
    readonly range: KeyGroupSpan,
    private readonly tablesNow: () => readonly StateTable[],
    private readonly pending: PendingSnapshot,
    private readonly log: readonly ChangeRecord[],
    /** Decodes what a span of restored state still has encoded (it must be read to be written). */
    private readonly load: (span: KeyGroupSpan) => void,
    private readonly onClose: () => void,
  ) {
    this.tables = tablesNow();
  }

  /** The version this snapshot took: the state as of the barrier. */
  get version(): number {
    return this.pending.version;
  }

  /** Keys changed in `span` after version `since` (at most: a key changed in several intervals counts in each). */
  changedSince(span: KeyGroupSpan, since: number): number {
    let n = 0;
    for (const record of this.log) {
      if (record.version <= since) continue;
      for (const sets of record.changed.values()) for (let kg = span.start; kg <= span.end; kg++) n += sets[kg - this.range.start]?.size ?? 0;
    }
    return n;
  }

  /** Entries in `span` now (all states). */
  entries(span: KeyGroupSpan): number {
    let n = 0;
    for (const t of this.tables) for (let kg = span.start; kg <= span.end; kg++) n += t.size(kg - this.range.start);
    return n;
  }

  /** Must be called for every span before the first `next()`, at the barrier: full and delta spans are protected from then on. */
  plan(span: KeyGroupSpan, plan: SpanPlan): void {
    if (plan.kind === 'reuse') return;
    this.load(span);
    this.tables = this.tablesNow(); // decoding may have made tables
    for (let kg = span.start; kg <= span.end; kg++) this.pending.todo[kg - this.range.start] = 1;
    this.queue.push({ span, plan });
  }

  get done(): boolean {
    return this.cursor >= this.queue.length;
  }

  /** Encodes the next piece; returns a span's payload when that span is complete (an empty span gives none). */
  next(): EncodedSpan | undefined {
    const item = this.queue[this.cursor];
    if (item === undefined) return undefined;
    const { span, plan } = item;
    if (plan.kind === 'delta') {
      this.cursor++;
      const target = openChunk(takeChunkBuffer(this.lastChunkBytes));
      appendWith(target, (w) => this.writeDelta(w, span, plan.since));
      this.bytesEncoded += target.length - CHUNK_HEADER_BYTES;
      for (let kg = span.start; kg <= span.end; kg++) this.pending.release(kg - this.range.start);
      return this.sealed(span, 'delta', target);
    }
    if (this.group < 0) {
      this.group = span.start;
      const target = openChunk(takeChunkBuffer(this.lastChunkBytes));
      let groupsAt = 0;
      appendWith(target, (w) => (groupsAt = this.writePrefix(w, span)));
      this.building = { target, groupsAt, groups: 0 };
    }
    const g = this.group - this.range.start;
    const b = this.building!;
    const before = b.target.length;
    appendWith(b.target, (w) => {
      if (this.writeGroup(w, g)) b.groups++;
      else w.rewind(before);
    });
    this.bytesEncoded += b.target.length - before;
    this.pending.release(g);
    if (++this.group <= span.end) return undefined;
    this.cursor++;
    this.group = -1;
    this.building = undefined;
    if (b.groups === 0) {
      giveBackChunkBuffer(b.target.bytes);
      return undefined;
    }
    appendWith(b.target, (w) => w.close(b.groupsAt, b.groups));
    return this.sealed(span, 'full', b.target);
  }

  private sealed(span: KeyGroupSpan, kind: 'full' | 'delta', target: AppendTarget): EncodedSpan {
    this.lastChunkBytes = target.length;
    let lent = true;
    const release = () => {
      if (lent) giveBackChunkBuffer(target.bytes);
      lent = false;
    };
    return { span, kind, chunk: sealChunk('keyed-state', target), release };
  }

  /** Stops protecting the state (the snapshot was encoded, or abandoned). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.building !== undefined) giveBackChunkBuffer(this.building.target.bytes);
    this.building = undefined;
    for (let g = 0; g < this.pending.todo.length; g++) if (this.pending.todo[g] === 1) this.pending.release(g);
    this.onClose();
  }

  private kinds(): Record<string, StateKind> {
    const kinds: Record<string, StateKind> = {};
    for (const t of this.tables) ownField(kinds, t.name, t.kind);
    return kinds;
  }

  /** Writes `ttl` (the states with a time-to-live) if there are any; returns the fields written. */
  private writeTtl(w: ValueWriter): number {
    const ttl = this.tables.filter((t) => t.stamped).map((t) => t.name);
    if (ttl.length === 0) return 0;
    w.value('ttl');
    w.value(ttl);
    return 1;
  }

  /** { keyGroupRange, kinds, ttl?, groups: [ …groups append… ] }: groups is the last field; returns where its array starts, to close with the count. */
  private writePrefix(w: ValueWriter, span: KeyGroupSpan): number {
    const o = w.openObject();
    w.value('keyGroupRange');
    w.value({ start: span.start, end: span.end });
    w.value('kinds');
    w.value(this.kinds());
    const ttl = this.writeTtl(w);
    w.value('groups');
    const groupsAt = w.openArray();
    w.close(o, 3 + ttl);
    return groupsAt;
  }

  /** Writes [kg, { state: Map }] of group g as of the snapshot; false if it held nothing (the caller drops what it wrote). */
  private writeGroup(w: ValueWriter, g: number): boolean {
    const a = w.openArray();
    w.value(g + this.range.start);
    const o = w.openObject();
    let states = 0;
    for (const t of this.tables) {
      const live = t.groups[g];
      const kept = this.pending.kept(t, g);
      if ((live === undefined || live.size === 0) && kept === undefined) continue;
      const mark = w.position;
      w.value(t.name);
      const m = w.openMap();
      let n = 0;
      if (live !== undefined) {
        for (const [k, e] of live) {
          if (e.value === undefined || (kept !== undefined && kept.has(k))) continue;
          w.value(k);
          w.value(e.value);
          n++;
        }
      }
      if (kept !== undefined) {
        for (const [k, e] of kept) {
          if (e === null || e.value === undefined) continue;
          w.value(k);
          w.value(e.value);
          n++;
        }
      }
      if (n === 0) w.rewind(mark);
      else {
        w.close(m, n);
        states++;
      }
    }
    w.close(o, states);
    w.close(a, 2);
    return states > 0;
  }

  /** The keys of `t` in group g that changed after `since`, each once. */
  private changedKeys(t: StateTable, g: number, since: number): Iterable<StateKey> {
    const sets: Set<StateKey>[] = [];
    for (const record of this.log) {
      if (record.version <= since) continue;
      const set = record.changed.get(t)?.[g];
      if (set !== undefined && set.size > 0) sets.push(set);
    }
    if (sets.length <= 1) return sets[0] ?? [];
    const union = new Set<StateKey>();
    for (const s of sets) for (const k of s) union.add(k);
    return union;
  }

  private writeDelta(w: ValueWriter, span: KeyGroupSpan, since: number): void {
    const deleted: [number, Record<string, StateKey[]>][] = [];
    const o = w.openObject();
    w.value('keyGroupRange');
    w.value({ start: span.start, end: span.end });
    w.value('kinds');
    w.value(this.kinds());
    w.value('groups');
    const groupsAt = w.openArray();
    let groups = 0;
    for (let kg = span.start; kg <= span.end; kg++) {
      const g = kg - this.range.start;
      const mark = w.position;
      const a = w.openArray();
      w.value(kg);
      const s = w.openObject();
      let states = 0;
      const removed: Record<string, StateKey[]> = {};
      let anyRemoved = false;
      for (const t of this.tables) {
        const tableMark = w.position;
        w.value(t.name);
        const m = w.openMap();
        let n = 0;
        for (const k of this.changedKeys(t, g, since)) {
          const e = this.pending.entryAt(t, g, k);
          if (e === null || e.value === undefined) {
            (Object.hasOwn(removed, t.name) ? removed[t.name]! : ownField(removed, t.name, [] as StateKey[])).push(k);
            anyRemoved = true;
            continue;
          }
          w.value(k);
          w.value(e.value);
          n++;
        }
        if (n === 0) w.rewind(tableMark);
        else {
          w.close(m, n);
          states++;
        }
      }
      if (anyRemoved) deleted.push([kg, removed]);
      if (states === 0) w.rewind(mark);
      else {
        w.close(s, states);
        w.close(a, 2);
        groups++;
      }
    }
    w.close(groupsAt, groups);
    w.value('deleted');
    w.value(deleted);
    w.value('delta');
    w.value(true);
    w.close(o, 5 + this.writeTtl(w));
  }
}

/** A state named '__proto__' must be a field of the payload, not its prototype (an assignment would lose it). */
function ownField<T>(record: Record<string, T>, key: string, value: T): T {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}
