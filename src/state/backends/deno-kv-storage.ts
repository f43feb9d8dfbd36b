// CheckpointStorage in Deno KV (`await Deno.openKv(path)`; `--unstable-kv` on Deno 2): Deno's
// durable backend. EDGE.md has the limits: a value ≤ 64 KiB, a key ≤ 2 KiB, an atomic operation
// ≤ 1,000 mutations, ≤ 100 checks and ≤ 800 KiB, getMany ≤ 10 keys; a list is no snapshot.
//
// Layout, under `prefix` (default ['weir']):
//   [...prefix, 'c' | 'm', keyBytes]   the head of a chunk / metadata record (deno-kv-values.ts)
//   [...prefix, 'p', version, i]       part i (≤ 60 KiB raw bytes) of a value too big for its head
//   [...prefix, 'w', version]          a marker: parts not yet committed, or replaced (see sweep)
// keyBytes is the key in ordered-key-bytes, so KV's byte order of Uint8Array parts is the
// contract's UTF-16 order. A version is unique per write: parts are never overwritten in place.
//
// A write stages a big value's parts first (≤ 12 per atomic operation, the first also setting
// the version's marker), invisible to readers; then ONE atomic operation sets the heads, deletes
// the markers, and checks (by versionstamp) the condition key and the heads it replaces (a chunk
// of at most 12 parts skips the staging: its parts go into that one operation). That
// atomic operation is the commit point: a metadata batch with its condition, or a chunk, lands
// whole or not at all. The parts of replaced values are deleted after it (their marker is set in
// the commit, so a crash in between leaves them to the next sweep). A reader reads the head, then
// its parts by exact keys; a part gone means a newer write replaced the head: read it again.
import { CorruptDataError, InvalidArgumentError, WeirError } from '../../errors/index.js';
import { conditionHolds, fencedError, validateStorageKey, type CheckpointStorage, type ConditionExpectation, type MetadataCondition, type MetadataConditions, conditionList } from '../checkpoint-storage.js';
import { checkedBytes, checkedCondition, checkedKeys, checkedPrefix, checkedRecords, lastPerKey, storageFailed, type FailWrites } from './backend-support.js';
import { isWholeBuffer } from './exact-bytes.js';
import { keyFromBytes, keyToBytes, prefixRange } from './ordered-key-bytes.js';
import { commitNewChunk } from './deno-kv-new-chunk.js';
import { KV_LIMITS, parseHead, splitParts, joinParts, type Head, type DenoKvLike, type KvKey } from './deno-kv-values.js';

export type { DenoKvLike } from './deno-kv-values.js';

export interface DenoKvStorageOptions {
  /** The key prefix everything lives under, so that an app can share its database. Default ['weir']. */
  prefix?: readonly (string | number)[];
  /** Test hook: an error returned for a key fails that write before anything of it is committed. */
  failWrites?: FailWrites;
}

type Space = 'c' | 'm';
/** A checked MetadataCondition, with its key as KV key bytes. */
interface Condition {
  readonly condition: MetadataCondition;
  readonly keyBytes: Uint8Array;
  readonly expect: ConditionExpectation;
}
/** A value ready to commit: its head, and the staged parts (if any) to clean up should it not land. */
interface Staged {
  readonly key: string;
  readonly head: Head;
  readonly version?: string;
  /** Parts not written yet: they go into the commit's own atomic operation (a value of at most 12 parts). */
  readonly parts?: readonly Uint8Array[];
}
/** Stands for "some bytes" where a condition asks only whether its record exists. */
const PRESENT = new Uint8Array(0);
const SWEEP_AFTER_MS = 60 * 60_000; // uncommitted parts older than this belong to a dead writer
const COMMIT_ROUNDS = 32; // contention on the same keys: re-read and try again this often
const LOCKED_RETRIES = 50; // 'database is locked' from another connection to the file: about 3 s of waiting

export class DenoKvCheckpointStorage implements CheckpointStorage {
  readonly kind = 'deno-kv';
  readonly #kv: DenoKvLike;
  readonly #prefix: KvKey;
  readonly #failWrites: FailWrites | undefined;
  #swept: Promise<void> | undefined;

  constructor(kv: DenoKvLike, options: DenoKvStorageOptions = {}) {
    checkDenoKv(kv, 'kv');
    this.#kv = kv;
    this.#prefix = [...(options.prefix ?? ['weir'])];
    this.#failWrites = options.failWrites;
  }

  async putChunk(key: string, bytes: Uint8Array): Promise<void> {
    return this.putLentChunk(key, checkedBytes(bytes, 'bytes').slice()); // the bytes as they are at the call
  }

  /**
   * No copy: the parts are views of the lent bytes, which KV reads when each atomic operation
   * commits, all before this settles. A checkpoint's chunk was a fresh copy per chunk before:
   * ~10 MB of new pages per 10 MB checkpoint, in a process whose first checkpoint pays their faults.
   */
  async putLentChunk(key: string, bytes: Uint8Array, _done?: () => void): Promise<void> {
    const keyBytes = checkedKey(key, 'key');
    const copy = checkedBytes(bytes, 'bytes');
    const failure = this.#failWrites?.('putChunk', key);
    if (failure !== undefined) throw storageFailed('deno-kv', 'putChunk', failure, { key });
    // Its first commit handed to KV now, within the checkpoint writer's slice (deno-kv-new-chunk.ts).
    let first = commitNewChunk(this.#kv, this.#head('c', keyBytes), this.#part, copy);
    await this.#guard('putChunk', { key }, async () => {
      const attempt = first;
      first = undefined;
      if (attempt !== undefined && (await attempt)) return;
      const staged = await this.#stage(key, copy, false, true);
      await this.#commit('c', [{ ...staged, keyBytes }], [], attempt === undefined);
    });
  }

  async getChunk(key: string): Promise<Uint8Array | undefined> {
    const keyBytes = checkedKey(key, 'key');
    return this.#guard('getChunk', { key }, () => this.#read('c', key, keyBytes));
  }

  /** With a condition, each atomic delete checks it (by versionstamp): a superseded writer deletes nothing. */
  async deleteChunks(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    const keyBytes = checkedKeys(keys).map((k, i) => checkedKey(k, `keys[${i}]`));
    const expected = this.#checkedCondition(condition);
    await this.#guard('deleteChunks', {}, () => this.#delete('c', keyBytes, expected));
  }

  async listChunks(prefix: string): Promise<string[]> {
    checkedPrefix(prefix);
    return this.#guard('listChunks', { prefix }, () => this.#list('c', prefix));
  }

  async putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions): Promise<void> {
    const batch = lastPerKey(checkedRecords(records)).map((r, i) => ({ key: r.key, keyBytes: checkedKey(r.key, `records[${i}].key`), bytes: r.bytes.slice() }));
    if (condition !== undefined && (typeof condition !== 'object' || condition === null)) throw new InvalidArgumentError('condition', 'expected { key, equals } or an array of them');
    const expected = conditionList(condition).map((c) => this.#checkedCondition(c)!);
    // Keys appear twice in the commit (a check and a set); what is left of its budget holds inline values.
    let budget = KV_LIMITS.commitBudgetBytes - batch.reduce((n, r) => n + 2 * r.keyBytes.byteLength + 100, 0);
    if (batch.length > KV_LIMITS.recordsPerBatch || budget < 0) {
      throw new InvalidArgumentError('records', `a Deno KV metadata batch is one atomic operation: at most ${KV_LIMITS.recordsPerBatch} records and ${KV_LIMITS.commitBudgetBytes} bytes of keys, got ${batch.length} records`);
    }
    for (const { key } of batch) {
      const failure = this.#failWrites?.('putMetadata', key);
      if (failure !== undefined) throw storageFailed('deno-kv', 'putMetadata', failure, { key });
    }
    await this.#guard('putMetadata', { keys: batch.map((r) => r.key) }, async () => {
      // Values inline in their heads while the commit has room; the rest as parts.
      const staged = await Promise.all(batch.map(async (r) => {
        const inline = r.bytes.byteLength <= KV_LIMITS.inlineBytes && r.bytes.byteLength <= budget;
        if (inline) budget -= r.bytes.byteLength;
        return { ...(await this.#stage(r.key, r.bytes, !inline)), keyBytes: r.keyBytes };
      }));
      await this.#commit('m', staged, expected);
    });
  }

  async getMetadata(key: string): Promise<Uint8Array | undefined> {
    const keyBytes = checkedKey(key, 'key');
    return this.#guard('getMetadata', { key }, () => this.#read('m', key, keyBytes));
  }

  async deleteMetadata(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    const keyBytes = checkedKeys(keys).map((k, i) => checkedKey(k, `keys[${i}]`));
    const expected = this.#checkedCondition(condition);
    await this.#guard('deleteMetadata', {}, () => this.#delete('m', keyBytes, expected));
  }

  #checkedCondition(condition: MetadataCondition | undefined): Condition | undefined {
    return condition === undefined ? undefined : { condition, keyBytes: checkedKey(condition.key, 'condition.key'), expect: checkedCondition(condition).expect };
  }

  /**
   * The check (for an atomic operation) that the condition's record is as expected now; rejects
   * as fenced when it is not. Whether it exists needs only its head, never its parts.
   */
  async #conditionCheck(condition: Condition): Promise<{ key: KvKey; versionstamp: string | null }> {
    const head = this.#head('m', condition.keyBytes);
    const current = await this.#kv.get(head);
    const bytes = current.value === null ? undefined
      : typeof condition.expect === 'string' ? PRESENT : await this.#valueOf(parseHead(current.value, condition.condition.key), condition.condition.key);
    if (!conditionHolds(condition.expect, bytes)) throw fencedError(condition.condition);
    return { key: head, versionstamp: current.versionstamp };
  }

  async listMetadata(prefix: string): Promise<string[]> {
    checkedPrefix(prefix);
    return this.#guard('listMetadata', { prefix }, () => this.#list('m', prefix));
  }

  #head = (space: Space, keyBytes: Uint8Array): KvKey => [...this.#prefix, space, keyBytes];
  #part = (version: string, i: number): KvKey => [...this.#prefix, 'p', version, i];
  #marker = (version: string): KvKey => [...this.#prefix, 'w', version];

  /**
   * A small value goes inline in its head; a big one is written as parts under a new version
   * first — unless `inCommit` and it has at most 12 parts: then they go into the commit's own
   * atomic operation (one round trip less, and no marker: parts and head land together).
   */
  async #stage(key: string, bytes: Uint8Array, forceParts = false, inCommit = false): Promise<Staged> {
    // A head is an object, which KV clones whole: a view inside it would take its entire buffer along.
    if (!forceParts && bytes.byteLength <= KV_LIMITS.inlineBytes) return { key, head: { b: isWholeBuffer(bytes) ? bytes : bytes.slice() } };
    const version = crypto.randomUUID();
    const parts = splitParts(bytes);
    const head = { v: version, n: parts.length, s: bytes.byteLength };
    if (inCommit && parts.length <= KV_LIMITS.partsPerAtomic) return { key, head, version, parts };
    for (let first = 0; first < parts.length; first += KV_LIMITS.partsPerAtomic) {
      const atomic = this.#kv.atomic();
      if (first === 0) atomic.set(this.#marker(version), { n: parts.length, at: Date.now() });
      parts.slice(first, first + KV_LIMITS.partsPerAtomic).forEach((part, i) => atomic.set(this.#part(version, first + i), part));
      const result = await atomic.commit();
      if (!result.ok) throw new WeirError('CHECKPOINT_STORAGE_FAILED', `deno-kv storage: staging the parts of ${key} was refused`, { domain: 'external', retryable: true, details: { key } });
    }
    return { key, head, version };
  }

  /**
   * The commit point: sets every head in one atomic operation, checked against the condition's
   * record and the heads it replaces. A lost race re-reads and tries again; a condition that
   * no longer holds rejects as fenced. Either way, a batch that does not land leaves no parts.
   * `fresh`: the heads are most likely new (a checkpoint's chunk keys are unique), so the first
   * attempt checks that they are absent (versionstamp null) instead of reading them first: no
   * read before the write, and no turn of the event loop between the call and the commit. A
   * head that exists fails that check, and the usual rounds (read, then commit) follow.
   */
  async #commit(space: Space, staged: readonly (Staged & { keyBytes: Uint8Array })[], conditions: readonly Condition[], fresh = false): Promise<void> {
    try {
      for (let round = fresh ? -1 : 0; round < COMMIT_ROUNDS; round++) {
        const heads = staged.map((s) => this.#head(space, s.keyBytes));
        // The heads and the conditions' records read at once (one round trip, not two in turn):
        // the commit checks every versionstamp read, so the order of the reads does not matter.
        const [olds, checks] = await Promise.all([
          round < 0 ? heads.map((key) => ({ key, value: null, versionstamp: null })) : this.#getMany(heads),
          Promise.all(conditions.map((condition) => this.#conditionCheck(condition))),
        ]);
        const atomic = this.#kv.atomic();
        for (const check of checks) atomic.check(check);
        const replaced: { v: string; n: number }[] = [];
        staged.forEach((s, i) => {
          const old = olds[i]!;
          // A batch too big to check every head it replaces risks only garbage: parts a racing write orphaned.
          if (staged.length < KV_LIMITS.checksPerAtomic) atomic.check({ key: old.key, versionstamp: old.versionstamp });
          s.parts?.forEach((part, p) => atomic.set(this.#part(s.version!, p), part));
          atomic.set(this.#head(space, s.keyBytes), s.head);
          if (s.version !== undefined && s.parts === undefined) atomic.delete(this.#marker(s.version));
          const previous = old.value === null ? undefined : parseHead(old.value, s.key);
          if (previous?.v !== undefined) {
            replaced.push({ v: previous.v, n: previous.n });
            atomic.set(this.#marker(previous.v), { n: previous.n, at: Date.now(), replaced: true });
          }
        });
        if ((await atomic.commit()).ok) {
          await this.#deleteParts(replaced).catch(() => undefined); // their markers stay for the next sweep
          return;
        }
      }
      throw new WeirError('CHECKPOINT_STORAGE_FAILED', `deno-kv storage: ${COMMIT_ROUNDS} attempts to commit lost to concurrent writers`, { domain: 'external', retryable: true, details: { keys: staged.map((s) => s.key) } });
    } catch (error) {
      await this.#deleteParts(staged.flatMap((s) => (s.version === undefined || s.parts !== undefined ? [] : [{ v: s.version, n: (s.head as { n: number }).n }]))).catch(() => undefined);
      throw error;
    }
  }

  async #read(space: Space, key: string, keyBytes: Uint8Array): Promise<Uint8Array | undefined> {
    let previous: string | null = null;
    for (;;) {
      const entry = await this.#kv.get(this.#head(space, keyBytes));
      if (entry.value === null) return undefined;
      const value = await this.#valueOf(parseHead(entry.value, key), key);
      if (value !== undefined) return value;
      // A part is missing: a newer write replaced the head meanwhile, or the parts are lost.
      if (entry.versionstamp === previous) throw new CorruptDataError(`deno-kv storage: the stored value of ${JSON.stringify(key)} lacks parts`, { key, backend: 'deno-kv' });
      previous = entry.versionstamp;
    }
  }

  /** The bytes a head stands for; undefined when one of its parts is gone. */
  async #valueOf(head: Head, key: string): Promise<Uint8Array | undefined> {
    if (head.b !== undefined) return head.b.byteOffset === 0 && head.b.buffer.byteLength === head.b.byteLength ? head.b : head.b.slice();
    const parts = await this.#getMany(Array.from({ length: head.n }, (_, i) => this.#part(head.v, i)));
    if (parts.some((p) => !(p.value instanceof Uint8Array))) return undefined;
    return joinParts(parts.map((p) => p.value as Uint8Array), head.s, key);
  }

  async #delete(space: Space, keys: readonly Uint8Array[], condition: Condition | undefined): Promise<void> {
    const group = KV_LIMITS.checksPerAtomic - 2;
    if (keys.length === 0 && condition !== undefined) await this.#conditionCheck(condition); // an empty delete still checks it
    for (let first = 0; first < keys.length; first += group) {
      const heads = keys.slice(first, first + group).map((k) => this.#head(space, k));
      for (let round = 0; ; round++) {
        const [olds, check] = await Promise.all([this.#getMany(heads), condition === undefined ? undefined : this.#conditionCheck(condition)]);
        const atomic = this.#kv.atomic();
        if (check !== undefined) atomic.check(check);
        const replaced: { v: string; n: number }[] = [];
        for (const old of olds) {
          if (old.value === null) continue;
          atomic.check({ key: old.key, versionstamp: old.versionstamp }).delete(old.key);
          const head = parseHead(old.value, keyFromBytes(old.key[old.key.length - 1] as Uint8Array));
          if (head.v === undefined) continue;
          replaced.push({ v: head.v, n: head.n });
          atomic.set(this.#marker(head.v), { n: head.n, at: Date.now(), replaced: true });
        }
        if ((await atomic.commit()).ok) {
          await this.#deleteParts(replaced).catch(() => undefined);
          break;
        }
        if (round >= COMMIT_ROUNDS) throw new WeirError('CHECKPOINT_STORAGE_FAILED', 'deno-kv storage: a delete kept losing to concurrent writers', { domain: 'external', retryable: true });
      }
    }
  }

  async #list(space: Space, prefix: string): Promise<string[]> {
    const { start, end } = prefixRange(prefix);
    const base = [...this.#prefix, space];
    const selector = end === undefined ? { prefix: base } : { start: [...base, start], end: [...base, end] };
    const keys: string[] = [];
    for await (const entry of this.#kv.list(selector, { batchSize: KV_LIMITS.listBatch })) keys.push(keyFromBytes(entry.key[base.length] as Uint8Array));
    return keys;
  }

  /** Deletes the parts of these versions, then their markers. */
  async #deleteParts(versions: readonly { v: string; n: number }[]): Promise<void> {
    const keys = versions.flatMap(({ v, n }) => [...Array.from({ length: n }, (_, i) => this.#part(v, i)), this.#marker(v)]);
    for (let first = 0; first < keys.length; first += KV_LIMITS.deletesPerAtomic) {
      const atomic = this.#kv.atomic();
      for (const key of keys.slice(first, first + KV_LIMITS.deletesPerAtomic)) atomic.delete(key);
      await atomic.commit();
    }
  }

  /**
   * Once per instance, before its first operation: deletes the parts of replaced values whose
   * deletion a crash interrupted, and those of writes that never committed (a marker older than
   * an hour: no live writer takes that long between staging and commit).
   */
  async #sweep(): Promise<void> {
    const stale: { v: string; n: number }[] = [];
    for await (const entry of this.#kv.list({ prefix: [...this.#prefix, 'w'] }, { batchSize: KV_LIMITS.listBatch })) {
      const marker = entry.value as { n?: unknown; at?: unknown; replaced?: unknown } | null;
      const version = entry.key[entry.key.length - 1];
      if (typeof version !== 'string' || typeof marker?.n !== 'number') continue;
      if (marker.replaced === true || (typeof marker.at === 'number' && marker.at < Date.now() - SWEEP_AFTER_MS)) stale.push({ v: version, n: marker.n });
    }
    await this.#deleteParts(stale);
  }

  async #getMany(keys: readonly KvKey[]) {
    const groups: Promise<Awaited<ReturnType<DenoKvLike['getMany']>>>[] = [];
    for (let first = 0; first < keys.length; first += KV_LIMITS.getMany) groups.push(this.#kv.getMany(keys.slice(first, first + KV_LIMITS.getMany)));
    return (await Promise.all(groups)).flat();
  }

  /**
   * Sweeps once, then runs `body`, again after a short wait while SQLite reports the database
   * locked (another connection to the same file is writing: a second process, or a second
   * handle). A body that fails leaves nothing it staged, so running it again is safe. A
   * WeirError passes as it is, anything else becomes a storage failure.
   */
  async #guard<T>(op: string, details: Record<string, unknown>, body: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        await (this.#swept ??= this.#sweep().catch(() => undefined));
        return await body();
      } catch (error) {
        if (error instanceof WeirError) throw error;
        if (attempt < LOCKED_RETRIES && /database is locked/i.test(String((error as Error)?.message))) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(100, attempt * 2) * (0.5 + Math.random())));
          continue;
        }
        throw storageFailed('deno-kv', op, error, details);
      }
    }
  }
}

/** A storage key as KV key bytes, refused (naming `argument`) when it is invalid or too long for a KV key. */
function checkedKey(key: string, argument: string): Uint8Array {
  validateStorageKey(key, argument);
  const bytes = keyToBytes(key);
  if (bytes.byteLength > KV_LIMITS.keyBytes) throw new InvalidArgumentError(argument, `is ${bytes.byteLength} bytes encoded; a Deno KV key holds at most ${KV_LIMITS.keyBytes}`);
  return bytes;
}

/** Checks that `kv` is an open Deno.Kv, naming `argument`. */
export function checkDenoKv(kv: unknown, argument: string): asserts kv is DenoKvLike {
  const k = kv as Partial<DenoKvLike> | null | undefined;
  const missing = ['get', 'getMany', 'list', 'atomic'].filter((m) => typeof (k as Record<string, unknown> | null | undefined)?.[m] !== 'function');
  if (typeof k !== 'object' || k === null || missing.length > 0) {
    throw new InvalidArgumentError(argument, `expected a Deno.Kv from \`await Deno.openKv(path)\` (run Deno with --unstable-kv), got ${k === null ? 'null' : typeof k === 'object' ? `an object without ${missing.join(', ')}` : typeof k}`);
  }
}

const opened = new WeakMap<object, DenoKvCheckpointStorage>();

/** One backend per Deno.Kv (every run(), readTable() and log of a process shares it); checks it, naming `argument`. */
export function denoKvStorageFor(kv: unknown, argument: string): DenoKvCheckpointStorage {
  checkDenoKv(kv, argument);
  let backend = opened.get(kv);
  if (backend === undefined) opened.set(kv, (backend = new DenoKvCheckpointStorage(kv)));
  return backend;
}
