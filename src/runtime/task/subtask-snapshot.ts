import type { KeyGroupRange } from '../../graph/key-groups.js';
import { chunkChecksum, encodeChunk } from '../../state/chunk-format.js';
import type { KeyGroupSpan } from '../../state/heap-keyed-state-backend.js';
import type { KeyedSnapshot, SpanPlan } from '../../state/keyed-snapshot.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { StateHandle } from '../control-messages.js';
import type { StreamOperator } from '../operators/stream-operator.js';
import type { KeyedChunkReuse, SpanChain } from './keyed-chunk-reuse.js';
import { chainOf } from './keyed-chunk-reuse.js';

export interface SubtaskIdentity {
  readonly jobName: string;
  /** This attempt of this runner (storageLayout.attemptId): names its chunks. */
  readonly attemptId: string;
  readonly subtaskIndex: number;
  readonly keyGroupRange: KeyGroupRange;
}

/** A delta chain longer than this is written in full again (restore reads every link). */
const MAX_CHAIN = 16;

/**
 * Which chunks a span gets: none if nothing changed since the chain a completed checkpoint holds;
 * a delta if few keys changed (at most a quarter) and the chain's deltas are smaller than its
 * full chunk; else the whole span again.
 */
function planSpan(snapshot: KeyedSnapshot, span: KeyGroupSpan, reuse: KeyedChunkReuse | undefined): SpanPlan {
  const chain = reuse?.chainFor(span);
  if (reuse === undefined || chain === undefined || chain.handles.length === 0) return { kind: 'full' };
  const changed = snapshot.changedSince(span, reuse.since);
  if (changed === 0) return { kind: 'reuse' };
  if (chain.handles.length >= MAX_CHAIN || chain.deltaBytes > chain.fullBytes || 4 * changed > snapshot.entries(span)) return { kind: 'full' };
  return { kind: 'delta', since: reuse.since };
}

/**
 * One checkpoint of a subtask's operators. The constructor is the synchronous part, at the
 * barrier: operator state and timers are encoded at once (small), and each keyed backend begins
 * a copy-on-write snapshot and plans its spans. The keyed spans are then encoded a slice at a
 * time (`step`), between batches of records, each chunk handed to `onChunk` as soon as it is
 * framed so that its write overlaps the encoding of the next.
 */
export class SubtaskSnapshot {
  /** Every chunk the snapshot references: written now, or reused. */
  readonly handles: StateHandle[] = [];
  /** Bytes written now (the rest is reused). */
  persistedBytes = 0;
  /** Writes the operators started themselves (a sink's staged data): the ack waits for them too. */
  readonly durable: Promise<void>[] = [];
  private readonly keyed: { uid: string; snapshot: KeyedSnapshot; reuse: KeyedChunkReuse | undefined; chains: Map<string, SpanChain> }[] = [];

  constructor(
    operators: readonly StreamOperator[],
    private readonly checkpointId: number,
    private readonly who: SubtaskIdentity,
    reuse: ReadonlyMap<string, KeyedChunkReuse>,
    /**
     * Returning a promise lends `bytes` until it settles (then they build later chunks: must not be
     * read after); else they are the callee's. `release`, where given, gives them back sooner: the
     * callee may call it once nothing reads them any more (a storage that stored them during the
     * call: at once, so the next chunk is built in the same buffer).
     */
    private readonly onChunk: (handle: StateHandle, bytes: Uint8Array, release?: () => void) => PromiseLike<unknown> | void,
    /** A savepoint: every span written in full, nothing reused. */
    full = false,
  ) {
    for (const op of operators) {
      const taken = op.snapshotState(checkpointId);
      if (taken.durable !== undefined) this.durable.push(taken.durable);
      if (taken.operatorState !== undefined) this.add(op.uid, 'operator', 'operator', encodeChunk('operator-state', taken.operatorState));
      taken.operatorLists?.forEach((list, i) => {
        this.add(op.uid, 'operator', `operator-list-${i}`, encodeChunk('operator-state', list.entries), { stateName: list.name, distribution: list.distribution });
      });
      const backend = taken.keyedBackend;
      if (backend !== undefined) {
        const tracker = reuse.get(op.uid);
        const snapshot = backend.beginSnapshot();
        const chains = new Map<string, SpanChain>();
        for (const span of backend.spans()) {
          const plan: SpanPlan = full ? { kind: 'full' } : planSpan(snapshot, span, tracker);
          if (plan.kind === 'reuse') this.reuseChain(tracker!, snapshot.version, span);
          else chains.set(`${span.start}-${span.end}`, plan.kind === 'delta' ? tracker!.chainFor(span)! : chainOf([]));
          snapshot.plan(span, plan);
        }
        this.keyed.push({ uid: op.uid, snapshot, reuse: tracker, chains });
      }
      if (taken.keyedExtra !== undefined) {
        this.add(op.uid, 'keyed', 'timers', encodeChunk('keyed-state', taken.keyedExtra), { keyGroupRange: who.keyGroupRange, part: 'timers' });
      }
    }
    this.settle();
  }

  get done(): boolean {
    return this.keyed.length === 0;
  }

  /** Encodes keyed state until about `budgetBytes` more are encoded or nothing is left; returns `done`. */
  step(budgetBytes: number): boolean {
    let encoded = 0;
    while (this.keyed.length > 0 && encoded < budgetBytes) {
      const k = this.keyed[0]!;
      const before = k.snapshot.bytesEncoded;
      const span = k.snapshot.next();
      encoded += k.snapshot.bytesEncoded - before + 1;
      if (span !== undefined) {
        const key = `${span.span.start}-${span.span.end}`;
        const base = k.chains.get(key)!;
        if (span.kind === 'delta') this.handles.push(...base.handles);
        const handle = this.add(k.uid, 'keyed', `${span.kind === 'full' ? 'keyed' : 'delta'}-${key}`, span.chunk, {
          keyGroupRange: span.span, part: span.kind === 'full' ? 'state' : 'delta', seq: this.checkpointId,
        }, span.release);
        k.chains.set(key, span.kind === 'full' ? chainOf([handle]) : chainOf([...base.handles, handle]));
      }
      this.settle();
    }
    return this.done;
  }

  /** Encodes what is left, at once. */
  finish(): void {
    this.step(Infinity);
  }

  /** Stops encoding: the checkpoint was given up (or the task stops). Writes already handed on are not taken back. */
  abandon(): void {
    for (const k of this.keyed) k.snapshot.close();
    this.keyed.length = 0;
  }

  /** Drops keyed snapshots that are fully encoded, recording their chains. */
  private settle(): void {
    while (this.keyed.length > 0 && this.keyed[0]!.snapshot.done) {
      const k = this.keyed.shift()!;
      k.snapshot.close();
      for (const [key, chain] of k.chains) {
        const [start, end] = key.split('-').map(Number) as [number, number];
        k.reuse?.record(this.checkpointId, k.snapshot.version, { start, end }, chain); // empty: a full span that held nothing
      }
    }
  }

  private reuseChain(tracker: KeyedChunkReuse, version: number, span: KeyGroupSpan): void {
    const chain = tracker.chainFor(span)!;
    this.handles.push(...chain.handles);
    tracker.record(this.checkpointId, version, span, chain);
  }

  private add(uid: string, kind: 'operator' | 'keyed', name: string, bytes: Uint8Array, extra: Partial<StateHandle> = {}, release?: () => void): StateHandle {
    const key = storageLayout.stateChunkKey(this.who.jobName, this.checkpointId, this.who.attemptId, uid, this.who.subtaskIndex, name);
    const handle: StateHandle = { key, kind, operatorUid: uid, subtaskIndex: this.who.subtaskIndex, bytes: bytes.byteLength, checksum: chunkChecksum(bytes), ...extra };
    this.handles.push(handle);
    this.persistedBytes += bytes.byteLength;
    const reading = this.onChunk(handle, bytes, release);
    // Without a promise the bytes are the callee's to keep: their buffer is not taken back.
    if (release !== undefined && typeof reading?.then === 'function') reading.then(release, release);
    return handle;
  }
}
