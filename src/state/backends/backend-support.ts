// What the durable backends (IndexedDB, files, Durable Objects, Deno KV) share: argument checks, and the one
// rejection every storage failure becomes. Platform-free.
import { InvalidArgumentError, WeirError } from '../../errors/index.js';
import { conditionList, validateStorageKey, type ConditionExpectation, type MetadataCondition, type MetadataConditions } from '../checkpoint-storage.js';

/** Test hook of the durable backends: return an error to fail that write (nothing of it is stored). */
export type FailWrites = (op: 'putChunk' | 'putMetadata', key: string) => Error | undefined;

/** A copy of `bytes` in a buffer of its own and of exactly its length (a view's neighbours are not stored). */
export function copyIn(bytes: Uint8Array, argument: string): Uint8Array {
  return checkedBytes(bytes, argument).slice();
}

/** `bytes` itself, checked to be a Uint8Array: for a caller that copies only when it must. */
export function checkedBytes(bytes: Uint8Array, argument: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(argument, 'expected a Uint8Array');
  return bytes;
}

/** A batch with only the last record of each key (the contract: of duplicate keys, the last wins). */
export function lastPerKey<T extends { key: string }>(records: readonly T[]): T[] {
  return [...new Map(records.map((r) => [r.key, r] as const)).values()];
}

/** Checked records; their bytes are the caller's (each backend copies or writes them during the call). */
export function checkedRecords(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>): { key: string; bytes: Uint8Array }[] {
  if (!Array.isArray(records)) throw new InvalidArgumentError('records', 'expected an array of { key, bytes }');
  return records.map((record, i) => {
    if (typeof record !== 'object' || record === null) throw new InvalidArgumentError(`records[${i}]`, 'expected { key, bytes }');
    validateStorageKey(record.key, `records[${i}].key`);
    return { key: record.key, bytes: checkedBytes(record.bytes, `records[${i}].bytes`) };
  });
}

/** A checked condition: what it expects of its record (expected bytes copied), with the original for fencedError. */
export interface CheckedCondition {
  readonly key: string;
  readonly expect: ConditionExpectation;
  readonly original: MetadataCondition;
}

/**
 * The condition checked, with a copy of its expected bytes (the caller may reuse its array
 * before the check runs). Must refuse anything but `{ key, equals }` or `{ key, exists }`.
 */
export function checkedCondition(condition: MetadataCondition): CheckedCondition {
  if (typeof condition !== 'object' || condition === null) throw new InvalidArgumentError('condition', 'expected { key, equals } or { key, exists }');
  validateStorageKey(condition.key, 'condition.key');
  const hasExists = Object.hasOwn(condition, 'exists');
  if (hasExists === Object.hasOwn(condition, 'equals') && (hasExists || (condition as { equals?: unknown }).equals !== undefined)) {
    throw new InvalidArgumentError('condition', `expected either equals or exists, not both, for '${condition.key}'`);
  }
  if (hasExists) {
    const exists = (condition as { exists: unknown }).exists;
    if (typeof exists !== 'boolean') throw new InvalidArgumentError('condition.exists', `expected a boolean, got ${typeof exists}`);
    return { key: condition.key, expect: exists ? 'present' : 'absent', original: condition };
  }
  const equals = (condition as { equals?: Uint8Array }).equals;
  return { key: condition.key, expect: equals === undefined ? 'absent' : copyIn(equals, 'condition.equals'), original: condition };
}

/** Every condition of a putMetadata, checked and copied as checkedCondition does. */
export function checkedConditions(condition: MetadataConditions | undefined): CheckedCondition[] {
  if (condition !== undefined && (typeof condition !== 'object' || condition === null)) throw new InvalidArgumentError('condition', 'expected { key, equals } or { key, exists }, or an array of them');
  return conditionList(condition).map(checkedCondition);
}

export function checkedKeys(keys: readonly string[]): readonly string[] {
  if (!Array.isArray(keys)) throw new InvalidArgumentError('keys', 'expected an array of keys');
  keys.forEach((key, i) => validateStorageKey(key, `keys[${i}]`));
  return keys;
}

export function checkedPrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw new InvalidArgumentError('prefix', `expected a string, got ${typeof prefix}`);
  return prefix;
}

/**
 * The rejection of a failed storage operation: code 'CHECKPOINT_STORAGE_FAILED', the platform's
 * error (a DOMException such as QuotaExceededError, a Node error such as ENOSPC) as `cause`,
 * and its name or code in `details.reason`. Retryable: a later checkpoint may well succeed
 * (DESIGN: a full disk fails that checkpoint, not the job).
 */
export function storageFailed(backend: 'indexeddb' | 'fs' | 'durable-object' | 'deno-kv', op: string, cause: unknown, details: Record<string, unknown> = {}): WeirError {
  const reason = errorReason(cause);
  const message = cause instanceof Error || isErrorLike(cause) ? (cause as { message: string }).message : String(cause);
  return new WeirError('CHECKPOINT_STORAGE_FAILED', `${backend} storage: ${op} failed: ${reason}${message && message !== reason ? `: ${message}` : ''}`, {
    domain: 'external', retryable: true, details: { backend, op, reason, ...details }, cause,
  });
}

function isErrorLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** 'QuotaExceededError', 'ENOSPC', ... : what a caller matches on without unwrapping the cause. */
function errorReason(cause: unknown): string {
  if (typeof cause !== 'object' || cause === null) return 'Error';
  const { code, name } = cause as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'Error';
}
