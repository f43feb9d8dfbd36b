import { CorruptDataError, describeValue, InvalidArgumentError } from '../errors/index.js';
import type { StateHandle } from '../runtime/control-messages.js';
import { decodeSavepoint } from '../runtime/coordinator/savepoint-codec.js';
import { chainOrder } from '../runtime/task/keyed-chunk-reuse.js';
import { decodePayload, verifyChunk } from '../state/chunk-format.js';
import type { StateKey, StateKind } from '../state/keyed-state.js';
import { unstamped } from '../state/state-ttl.js';
import { checkKeyedStatePayload, checkOperatorStatePayload, type KeyedStatePayload } from '../state/keyed-state-payload.js';

/** A timer of a keyed operator: the key it fires for and when. */
export interface SavepointTimer {
  readonly key: StateKey;
  readonly timestamp: number;
}

/** One operator's state in a savepoint, decoded (Flink's State Processor API, read side). */
export interface SavepointOperator {
  readonly uid: string;
  /** Its name and kind ('source', 'sink', 'map', 'keyed-reduce', 'window', …) in the job that took it. */
  readonly name: string | undefined;
  readonly kind: string | undefined;
  /** Its parallelism when the savepoint was taken. */
  readonly parallelism: number;
  /** Keyed state per key, then per state name (window contents are state of their operator too). */
  readonly keyedState: Map<StateKey, Record<string, unknown>>;
  /** The kind of each keyed state ('value', 'list', 'map', 'reducing', …). */
  readonly stateKinds: Record<string, string>;
  /** Operator (non-keyed) state: every subtask's list entries, in subtask order. */
  readonly operatorState: unknown[];
  /** Named operator lists (`getOperatorListState` / `getUnionListState`): every subtask's entries, in subtask order. */
  readonly operatorLists: Record<string, { readonly distribution: 'split' | 'union'; readonly entries: unknown[] }>;
  /** A source's split positions (its operator state): what a restore deals out again. */
  readonly sourceSplits?: unknown[];
  readonly timers: { readonly eventTime: SavepointTimer[]; readonly processingTime: SavepointTimer[] };
  /** The operator's event time when it was taken (the lowest over its subtasks), if it has one. */
  readonly watermark?: number;
}

export interface SavepointContents {
  readonly jobName: string;
  readonly checkpointId: number;
  readonly graphFingerprint: string;
  readonly maxParallelism: number;
  /** When the savepoint's checkpoint completed (the taking runner's clock, ms). */
  readonly takenAt: number;
  readonly operators: SavepointOperator[];
}

type MutableOperator = { -readonly [K in keyof SavepointOperator]: SavepointOperator[K] };

/**
 * How each kind of state chunk is read into its operator's view, by `handle.kind` and
 * `handle.part`. Must stay in step with what tasks snapshot: a chunk kind without a reader is
 * refused (a savepoint of a newer build), never skipped silently. Other state kinds add theirs here.
 */
export const SAVEPOINT_CHUNK_READERS: Record<string, (op: MutableOperator, body: Uint8Array, handle: StateHandle) => void> = {
  'keyed/state': (op, body, h) => addKeyed(op, checkKeyedStatePayload(decodePayload('keyed-state', body), h.key)),
  'keyed/delta': (op, body, h) => addKeyed(op, checkKeyedStatePayload(decodePayload('keyed-state', body), h.key)),
  'keyed/timers': (op, body, h) => addKeyed(op, checkKeyedStatePayload(decodePayload('keyed-state', body), h.key)),
  'operator/': (op, body, h) => {
    const entries = checkOperatorStatePayload(decodePayload('operator-state', body), h.key);
    if (h.stateName === undefined) return void op.operatorState.push(...entries);
    const list = op.operatorLists[h.stateName] ??= { distribution: h.distribution ?? 'split', entries: [] };
    list.entries.push(...entries);
  },
};

/**
 * Reads a savepoint's state without running anything: the archive is checked as a restore checks
 * it (every section's checksum, the metadata's fields, each chunk against its handle).
 */
export function readSavepoint(bytes: Uint8Array | ArrayBuffer): SavepointContents {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('readSavepoint(bytes)', `expected a Uint8Array, got ${describeValue(bytes)}`);
  const { info, metadata, chunks } = decodeSavepoint(bytes);
  const operators = Object.entries(metadata.operators).map(([uid, stored]) => {
    const op: MutableOperator = {
      uid, name: info.operators[uid]?.name, kind: info.operators[uid]?.kind, parallelism: stored.parallelism,
      keyedState: new Map(), stateKinds: {}, operatorState: [], operatorLists: Object.create(null) as MutableOperator['operatorLists'], timers: { eventTime: [], processingTime: [] },
    };
    const handles = [...stored.handles].sort((a, b) => a.subtaskIndex - b.subtaskIndex || chainOrder(a, b));
    for (const h of handles) {
      const reader = SAVEPOINT_CHUNK_READERS[`${h.kind}/${h.part ?? ''}`];
      if (reader === undefined) throw new CorruptDataError(`savepoint archive: operator '${uid}' has a state chunk of a kind this build cannot read (${h.kind}/${h.part ?? ''}): '${h.key}'`, { part: 'archive', key: h.key });
      reader(op, verifyChunk(chunks.get(h.key)!).body, h);
    }
    if (op.kind === 'source') op.sourceSplits = op.operatorState;
    return op as SavepointOperator;
  });
  return { jobName: info.jobName, checkpointId: metadata.checkpointId, graphFingerprint: info.graphFingerprint, maxParallelism: metadata.maxParallelism, takenAt: metadata.completedTimestamp, operators };
}

function addKeyed(op: MutableOperator, payload: KeyedStatePayload): void {
  Object.assign(op.stateKinds, payload.kinds);
  const ttl = new Set(payload.ttl ?? []);
  for (const [, states] of payload.groups) {
    for (const [name, entries] of Object.entries(states)) {
      // A state with a time-to-live stores [last access, value] pairs: the reader gets the values.
      const kind: StateKind | undefined = ttl.has(name) ? payload.kinds[name] : undefined;
      for (const [key, stored] of entries) {
        const value = kind === undefined ? stored : unstamped(kind, stored).value;
        let record = op.keyedState.get(key);
        if (record === undefined) op.keyedState.set(key, (record = {}));
        Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true }); // a state named __proto__ stays data
      }
    }
  }
  for (const [, states] of payload.deleted ?? []) {
    for (const [name, keys] of Object.entries(states)) for (const key of keys) delete op.keyedState.get(key)?.[name];
  }
  for (const [, timers] of payload.eventTimers ?? []) for (const [timestamp, key] of timers) op.timers.eventTime.push({ key, timestamp });
  for (const [, timers] of payload.timers ?? []) for (const [timestamp, key] of timers) op.timers.processingTime.push({ key, timestamp });
  if (payload.watermark !== undefined) op.watermark = Math.min(op.watermark ?? Infinity, payload.watermark);
}
