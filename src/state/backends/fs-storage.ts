// CheckpointStorage in a directory: Node's durable backend (Deno runs it through node:).
// Imported only by the Node entries: it uses node:fs, and browser bundles must never see it.
//
// Layout of `dir`:
//   chunks/<name>          one file per chunk (names: fs-key-names.ts)
//   metadata/<name>        one file per metadata record
//   metadata.journal       a committed metadata batch that may not be fully applied yet
//   metadata.lock          held by whoever changes or lists metadata (fs-lock.ts)
//   tmp/                   files being written; renamed into place once complete and fsynced
//
// Every file write: write to tmp/, fsync, rename over the target, fsync the target's directory.
// So a file is always old or new, never torn, and durable once the call resolves. The bytes
// reach the temporary file synchronously, during the call (see putChunk): no copy is taken.
//
// putMetadata (several records, all or nothing): the batch is staged as ONE journal file (one
// record: its own file), then under the lock (1) a journal a dead writer left is applied first,
// (2) the condition is checked against the record files, (3) the staged journal is renamed to
// metadata.journal: the commit point; (4) it is applied, every record file written as above,
// (5) it is deleted. getMetadata reads the journal first, so no reader sees half a batch: what
// the journal holds is committed, and it goes only after its last record file landed.
// listMetadata and deleteMetadata take the lock (a listing must not see a batch half applied).
// Chunk operations take no lock, except a conditional delete (its check and deletes hold it). Cost: a
// batch of several metadata keys writes its bytes twice.
//
// Guarantees: putMetadata calls of one instance run one at a time; across instances, threads and
// processes the lock file serialises them, within the limits written in fs-lock.ts. A crash at
// any point leaves either the old or the new state visible. Not guaranteed: a multi-key
// deleteMetadata is atomic per key only; Windows and network file systems are untested.
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError, WeirError } from '../../errors/index.js';
import { conditionHolds, fencedError, validateStorageKey, type CheckpointStorage, type MetadataCondition, type MetadataConditions, type StorageDescriptor } from '../checkpoint-storage.js';
import { checkedCondition, checkedConditions, checkedKeys, type CheckedCondition, checkedPrefix, checkedRecords, checkedBytes, storageFailed, type FailWrites } from './backend-support.js';
import { acquireLock, releaseLockOfThread, type HeldLock } from './fs-lock.js';
import { keyPathSegments } from './fs-key-names.js';
import { decodeJournal, encodeJournal, type JournalRecord } from './fs-metadata-journal.js';
import { deleteKeyFile, listKeys, place, readBytes, stage, stageNow, syncDirectory } from './fs-files.js';

export interface FsStorageOptions {
  /** The directory (created if missing); made absolute, so a worker opens the same one. */
  dir: string;
  /** A metadata lock not refreshed for this long is taken over. Default 10 s. */
  lockStaleMs?: number;
  /** A metadata operation waits this long for the lock before it rejects. Default 60 s. */
  lockTimeoutMs?: number;
  /** Test hook: an error returned for a key fails that write before anything of it is stored. */
  failWrites?: FailWrites;
}

type Namespace = 'chunks' | 'metadata';
const TMP_MAX_AGE_MS = 60 * 60_000; // leftovers of crashed writers; a live writer finishes far sooner

export class FsCheckpointStorage implements CheckpointStorage {
  readonly kind = 'fs';
  readonly dir: string;
  readonly workerDescriptor: StorageDescriptor;
  readonly #lockStaleMs: number;
  readonly #lockTimeoutMs: number;
  readonly #failWrites: FailWrites | undefined;
  #ready: Promise<void> | undefined;
  #prepared = false; // #ready resolved: the directories exist
  #metadataQueue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** Creates the directories lazily, on the first operation; openFsStorage() does it at once. */
  constructor(options: FsStorageOptions) {
    if (typeof options?.dir !== 'string' || options.dir === '') throw new InvalidArgumentError('dir', 'expected a directory path');
    this.dir = resolve(options.dir);
    this.#lockStaleMs = options.lockStaleMs ?? 10_000;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
    this.#failWrites = options.failWrites;
    this.workerDescriptor = { kind: 'fs', dir: this.dir };
  }

  /** Resolves once the directories exist (and stale temporary files are swept). */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new WeirError('CHECKPOINT_STORAGE_FAILED', `fs storage ${this.dir} is closed`, { domain: 'internal', retryable: false, details: { backend: 'fs', dir: this.dir } }));
    this.#ready ??= this.#prepare().catch((error: unknown) => {
      this.#ready = undefined;
      throw storageFailed('fs', 'open', error, { dir: this.dir });
    });
    return this.#ready;
  }

  /** A worker_thread of this process was terminated: frees the metadata lock if it died holding it (fs-lock.ts). */
  async releaseLockOfThread(thread: number): Promise<void> {
    if (!this.#prepared) return;
    await releaseLockOfThread(join(this.dir, 'metadata.lock'), join(this.dir, 'tmp'), thread).catch(() => false);
  }

  /** Waits for this instance's metadata operations; later operations reject. */
  async close(): Promise<void> {
    await this.#metadataQueue;
    this.#closed = true;
  }

  /**
   * Must store the bytes as they are at the call. Once the directories exist, they are written
   * to the temporary file synchronously, into the page cache, before the call returns: cheaper
   * than copying them (a large slice() costs more, in time and in event-loop time, than the
   * write); fsync and rename follow asynchronously. Before that, a copy waits for ready().
   */
  async putChunk(key: string, bytes: Uint8Array): Promise<void> {
    validateStorageKey(key, 'key');
    checkedBytes(bytes, 'bytes');
    const failure = this.#failWrites?.('putChunk', key);
    if (failure !== undefined) throw storageFailed('fs', 'putChunk', failure, { key });
    const staged = this.#prepared && !this.#closed ? stageNow(this.dir, bytes) : this.#stageLater(bytes.slice());
    try {
      const target = this.#path('chunks', key);
      await place(await staged, target);
      await syncDirectory(dirname(target));
    } catch (error) {
      this.#failed('putChunk', { key })(error);
    }
  }

  async getChunk(key: string): Promise<Uint8Array | undefined> {
    validateStorageKey(key, 'key');
    await this.ready();
    return readBytes(this.#path('chunks', key)).catch(this.#failed('getChunk', { key }));
  }

  /** Unconditional deletes take no lock; a conditional one holds the metadata lock from its check to its last delete. */
  async deleteChunks(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    checkedKeys(keys);
    const expected = condition === undefined ? undefined : checkedCondition(condition);
    await this.ready();
    const deleteAll = async () => {
      for (const key of keys) await deleteKeyFile(join(this.dir, 'chunks'), this.#path('chunks', key)).catch(this.#failed('deleteChunks', { key }));
    };
    if (expected === undefined) return deleteAll();
    await this.#underLock('deleteChunks', { keys }, async () => {
      await this.#check(expected);
      await deleteAll();
    });
  }

  async listChunks(prefix: string): Promise<string[]> {
    checkedPrefix(prefix);
    await this.ready();
    return listKeys(join(this.dir, 'chunks'), prefix).catch(this.#failed('listChunks', { prefix }));
  }

  /**
   * What gets renamed at the commit point (the one record's file, or the journal of several) is
   * staged from the caller's bytes as putChunk stages a chunk, before the lock is even asked
   * for; a batch that is fenced or fails leaves only a temporary file, removed at once.
   */
  async putMetadata(records: ReadonlyArray<{ key: string; bytes: Uint8Array }>, condition?: MetadataConditions): Promise<void> {
    const final = lastPerKey(checkedRecords(records));
    const conditions = checkedConditions(condition);
    let apply: JournalRecord[] = [];
    let staged: Promise<string> | undefined;
    if (final.length > 0) {
      // The journal is an encoded copy of the batch; its records are then views of that copy.
      const file = final.length === 1 ? final[0].bytes : encodeJournal(final);
      if (final.length > 1) apply = decodeJournal(file, 'the batch', { views: true });
      staged = this.#prepared && !this.#closed ? stageNow(this.dir, file) : this.#stageLater(file === final[0].bytes ? file.slice() : file);
      staged.catch(() => undefined); // awaited under the lock
    }
    const discard = async () => {
      const temp = await staged?.catch(() => undefined);
      if (temp !== undefined) await unlink(temp).catch(() => undefined);
    };
    try {
      await this.ready();
      await this.#underLock('putMetadata', { keys: final.map((r) => r.key) }, async () => {
        for (const expected of conditions) await this.#check(expected);
        if (staged === undefined) return;
        const temp = await staged;
        for (const { key } of final) {
          const failure = this.#failWrites?.('putMetadata', key);
          if (failure !== undefined) throw storageFailed('fs', 'putMetadata', failure, { key });
        }
        const target = final.length === 1 ? this.#path('metadata', final[0].key) : this.#journalPath;
        await place(temp, target);
        await syncDirectory(dirname(target)); // the commit point
        if (apply.length === 0) return;
        try {
          await this.#applyJournal(apply);
        } catch {
          // Committed all the same: readers see the journal, and the next writer applies it again.
        }
      });
    } catch (error) {
      await discard(); // fenced, failed, closed, or the lock timed out: only the staged file to remove
      throw error;
    }
  }

  async getMetadata(key: string): Promise<Uint8Array | undefined> {
    validateStorageKey(key, 'key');
    await this.ready();
    try {
      // The journal first: a record in it is committed even while its file is still the old one.
      const journal = await this.#readJournal();
      const pending = journal === undefined ? undefined : lastPerKey(journal).find((r) => r.key === key);
      return pending !== undefined ? pending.bytes : await readBytes(this.#path('metadata', key));
    } catch (error) {
      throw error instanceof WeirError ? error : storageFailed('fs', 'getMetadata', error, { key });
    }
  }

  async deleteMetadata(keys: readonly string[], condition?: MetadataCondition): Promise<void> {
    checkedKeys(keys);
    const expected = condition === undefined ? undefined : checkedCondition(condition);
    await this.ready();
    if (keys.length === 0 && expected === undefined) return;
    await this.#underLock('deleteMetadata', { keys }, async () => {
      if (expected !== undefined) await this.#check(expected);
      for (const key of keys) await deleteKeyFile(join(this.dir, 'metadata'), this.#path('metadata', key));
      await syncDirectory(join(this.dir, 'metadata'));
    });
  }

  async listMetadata(prefix: string): Promise<string[]> {
    checkedPrefix(prefix);
    await this.ready();
    return this.#underLock('listMetadata', { prefix }, () => listKeys(join(this.dir, 'metadata'), prefix));
  }

  /**
   * Must run under the lock, after a pending journal was applied: the record files are then the
   * committed state. Whether a record exists is a stat, not a read of its file.
   */
  async #check(expected: CheckedCondition): Promise<void> {
    const path = this.#path('metadata', expected.key);
    const stored = typeof expected.expect === 'string' ? await presence(path) : await readBytes(path);
    if (!conditionHolds(expected.expect, stored)) throw fencedError(expected.original);
  }

  get #journalPath(): string {
    return join(this.dir, 'metadata.journal');
  }

  #path(namespace: Namespace, key: string): string {
    return join(this.dir, namespace, ...keyPathSegments(key));
  }

  #failed(op: string, details: Record<string, unknown>): (error: unknown) => never {
    return (error) => {
      throw error instanceof WeirError ? error : storageFailed('fs', op, error, { dir: this.dir, ...details });
    };
  }

  async #prepare(): Promise<void> {
    for (const sub of ['chunks', 'metadata', 'tmp']) await mkdir(join(this.dir, sub), { recursive: true });
    this.#prepared = true;
    const tmp = join(this.dir, 'tmp');
    for (const entry of await readdir(tmp)) {
      const path = join(tmp, entry);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > TMP_MAX_AGE_MS) await unlink(path).catch(() => undefined);
    }
  }

  /**
   * Runs `body` with the metadata lock held, after this instance's earlier metadata operations
   * and after finishing a journal a dead writer left. Must release the lock whatever happens.
   */
  #underLock<T>(op: string, details: Record<string, unknown>, body: () => Promise<T>): Promise<T> {
    const run = this.#metadataQueue.then(async () => {
      if (this.#closed) throw new WeirError('CHECKPOINT_STORAGE_FAILED', `fs storage ${this.dir} is closed`, { domain: 'internal', retryable: false, details: { backend: 'fs', dir: this.dir } });
      let lock: HeldLock;
      try {
        lock = await acquireLock(join(this.dir, 'metadata.lock'), join(this.dir, 'tmp'), { staleMs: this.#lockStaleMs, timeoutMs: this.#lockTimeoutMs });
      } catch (error) {
        throw storageFailed('fs', op, error, { dir: this.dir, ...details });
      }
      try {
        const pending = await this.#readJournal();
        if (pending !== undefined) await this.#applyJournal(lastPerKey(pending));
        return await body();
      } catch (error) {
        throw error instanceof WeirError ? error : storageFailed('fs', op, error, { dir: this.dir, ...details });
      } finally {
        await lock.release();
      }
    });
    this.#metadataQueue = run.catch(() => undefined);
    return run;
  }

  async #readJournal(): Promise<JournalRecord[] | undefined> {
    const file = await readBytes(this.#journalPath);
    return file === undefined ? undefined : decodeJournal(file, this.#journalPath);
  }

  /** Idempotent: writes every record file, then deletes the journal. Needs the lock. */
  async #applyJournal(records: readonly JournalRecord[]): Promise<void> {
    const targets = records.map(({ key }) => this.#path('metadata', key));
    const staged = await Promise.allSettled(records.map(({ bytes }) => stage(this.dir, bytes)));
    const failed = staged.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(staged.map((r) => (r.status === 'fulfilled' ? unlink(r.value).catch(() => undefined) : undefined)));
      throw failed.reason;
    }
    for (const [i, result] of staged.entries()) await place((result as PromiseFulfilledResult<string>).value, targets[i]);
    for (const dir of new Set(targets.map((t) => dirname(t)))) await syncDirectory(dir);
    await unlink(this.#journalPath).catch((error: NodeJS.ErrnoException) => { if (error.code !== 'ENOENT') throw error; });
    await syncDirectory(this.dir);
  }

  async #stageLater(copy: Uint8Array): Promise<string> {
    await this.ready();
    return stage(this.dir, copy);
  }

}

/** Creates the directories (and sweeps stale temporary files) before resolving. */
export async function openFsStorage(options: FsStorageOptions): Promise<FsCheckpointStorage> {
  const storage = new FsCheckpointStorage(options);
  await storage.ready();
  return storage;
}

/** Some bytes (standing for the file's) when the file is there, undefined when it is not. */
async function presence(path: string): Promise<Uint8Array | undefined> {
  try {
    await stat(path);
    return PRESENT;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

const PRESENT = new Uint8Array(0);

/** Of duplicate keys the last wins (as in one transaction), kept in the order of first appearance. */
function lastPerKey(records: readonly JournalRecord[]): JournalRecord[] {
  const byKey = new Map<string, JournalRecord>();
  for (const record of records) byKey.set(record.key, record);
  return [...byKey.values()];
}
