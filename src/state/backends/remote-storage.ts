// A CheckpointStorage in another Durable Object, reached by RPC: each operation is one plain-data
// call (StorageCall), answered by serveStorageCall() on the other side, which refuses a caller
// whose epoch is older than its own. Errors cross as data, so their codes survive the hop.
import { CorruptDataError, InvalidArgumentError, WeirError, type WeirErrorCode } from '../../errors/index.js';
import type { CheckpointStorage, MetadataCondition, MetadataConditions } from '../checkpoint-storage.js';

export type StorageCall =
  | { op: 'putChunk'; key: string; bytes: Uint8Array }
  | { op: 'getChunk'; key: string }
  | { op: 'deleteChunks'; keys: readonly string[]; condition?: MetadataCondition }
  | { op: 'listChunks'; prefix: string }
  | { op: 'putMetadata'; records: ReadonlyArray<{ key: string; bytes: Uint8Array }>; condition?: MetadataConditions }
  | { op: 'getMetadata'; key: string }
  | { op: 'deleteMetadata'; keys: readonly string[]; condition?: MetadataCondition }
  | { op: 'listMetadata'; prefix: string };

/** An error as plain data, and back: what crosses an RPC without losing its code. */
export interface WireError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
  readonly retryable?: boolean;
}

export type Reply<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

export function errorToWire(error: unknown): WireError {
  const e = error as { name?: unknown; code?: unknown; message?: unknown; details?: unknown; retryable?: unknown };
  const details = typeof e?.details === 'object' && e.details !== null ? plainDetails(e.details as Record<string, unknown>) : undefined;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    code: typeof e?.code === 'string' ? e.code : 'TASK_FAILED',
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(details !== undefined ? { details } : {}),
    ...(typeof e?.retryable === 'boolean' ? { retryable: e.retryable } : {}),
  };
}

export function errorFromWire(wire: WireError): WeirError {
  if (wire.code === 'INVALID_ARGUMENT') {
    const argument = String(wire.details?.argument ?? 'argument');
    return new InvalidArgumentError(argument, wire.message.startsWith(`${argument}: `) ? wire.message.slice(argument.length + 2) : wire.message);
  }
  if (wire.code === 'CORRUPT_DATA') return new CorruptDataError(wire.message, wire.details);
  const code = wire.code as WeirErrorCode;
  return new WeirError(code, wire.message, { domain: code === 'STORAGE_FENCED' || code === 'CHECKPOINT_STORAGE_FAILED' ? 'external' : 'internal', retryable: wire.retryable ?? code !== 'STORAGE_FENCED', details: wire.details ?? {} });
}

/** Details that cross a structured clone: primitives and arrays of them (causes and objects stay behind). */
function plainDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'))) out[k] = v;
  }
  return out;
}

/** Unwraps a reply: its value, or its error rebuilt. */
export function unwrap<T>(reply: Reply<T>): T {
  if (reply.ok) return reply.value;
  throw errorFromWire(reply.error);
}

/** The storage `call` reaches; `call` must deliver a StorageCall to serveStorageCall() of the other side. */
export class RemoteStorage implements CheckpointStorage {
  readonly kind = 'remote';

  constructor(private readonly call: (call: StorageCall) => Promise<Reply<unknown>>) {}

  async #do<T>(call: StorageCall): Promise<T> {
    return unwrap(await this.call(call)) as T;
  }

  putChunk(key: string, bytes: Uint8Array): Promise<void> {
    return this.#do({ op: 'putChunk', key, bytes });
  }
  getChunk(key: string): Promise<Uint8Array | undefined> {
    return this.#do({ op: 'getChunk', key });
  }
  deleteChunks(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    return this.#do({ op: 'deleteChunks', keys, ...(condition !== undefined ? { condition } : {}) });
  }
  listChunks(prefix: string): Promise<string[]> {
    return this.#do({ op: 'listChunks', prefix });
  }
  putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions): Promise<void> {
    return this.#do({ op: 'putMetadata', records, ...(condition !== undefined ? { condition } : {}) });
  }
  getMetadata(key: string): Promise<Uint8Array | undefined> {
    return this.#do({ op: 'getMetadata', key });
  }
  deleteMetadata(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    return this.#do({ op: 'deleteMetadata', keys, ...(condition !== undefined ? { condition } : {}) });
  }
  listMetadata(prefix: string): Promise<string[]> {
    return this.#do({ op: 'listMetadata', prefix });
  }
}

/** Runs a StorageCall that came over RPC against `storage`; the reply carries the result or the error. */
export async function serveStorageCall(storage: CheckpointStorage, call: StorageCall): Promise<Reply<unknown>> {
  try {
    return { ok: true, value: await dispatch(storage, call) };
  } catch (error) {
    return { ok: false, error: errorToWire(error) };
  }
}

function dispatch(storage: CheckpointStorage, call: StorageCall): Promise<unknown> {
  switch (call?.op) {
    case 'putChunk': return storage.putChunk(call.key, call.bytes);
    case 'getChunk': return storage.getChunk(call.key);
    case 'deleteChunks': return storage.deleteChunks(call.keys, call.condition);
    case 'listChunks': return storage.listChunks(call.prefix);
    case 'putMetadata': return storage.putMetadata(call.records, call.condition);
    case 'getMetadata': return storage.getMetadata(call.key);
    case 'deleteMetadata': return storage.deleteMetadata(call.keys, call.condition);
    case 'listMetadata': return storage.listMetadata(call.prefix);
    default: return Promise.reject(new InvalidArgumentError('call.op', `not a storage operation: ${String((call as { op?: unknown })?.op)}`));
  }
}
