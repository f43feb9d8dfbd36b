// The recovery fault matrix (issue 10): every storage fault and runner fault the recovery paths
// must survive × {same parallelism, rescale up, rescale down}, on one storage backend. Each case
// runs the counting pipeline over a gated source (the test decides how far it has read), injects
// its fault once (counted and asserted), lets the job recover, stops it and resumes it at another
// parallelism, and checks that every record was committed exactly once and every key's running
// count and sum are exact. Shared by node:test (memory, files) and mocha in Chromium (IndexedDB):
// browser-safe, with the runner's describe/it passed in.
import { job, readTable, run, type CheckpointStorage, type JobHandle, type RestartEvent, type RestoreEvent, type RunOptions } from 'weir';
import { checkExactlyOnce } from '../support/counting-pipeline.js';
import { FaultyStorage, gate as openLater, isCheckpointMetadataKey, isTableCommitKey } from '../support/faulty-storage.js';
import { buildGatedPipeline, type Gate } from '../support/gated-source.js';

export const FAULTS = [
  'corrupt latest metadata', 'corrupt chunk', 'missing chunk', 'quota on chunk write', 'quota on metadata write',
  'quota on sink commit', 'stale runner', 'worker killed during commit',
] as const;
export type Fault = (typeof FAULTS)[number];

export const RESCALES = [
  { name: 'same parallelism', from: 2, to: 2 },
  { name: 'rescale up', from: 2, to: 3 },
  { name: 'rescale down', from: 3, to: 1 },
] as const;

export interface MatrixBackend {
  readonly name: string;
  /** A new, empty storage for one case. */
  open(): Promise<CheckpointStorage>;
  close?(storage: CheckpointStorage): Promise<void>;
  /**
   * Where run() takes a lock per job (Web Locks in a browser), a second runner waits for the
   * first: a stale runner is then one that lost its lock while running. This takes it away.
   */
  loseJobLock?(jobName: string): Promise<void>;
}

export interface MatrixRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
}

const TOTAL = 3_000;
const KEYS = 7;

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const slug = (s: string) => s.replace(/[^a-z0-9]+/gi, '-');
let cases = 0;

/** Triggers checkpoints until 'seen' holds `rows` committed rows; resolves with the last one's id. */
async function commitUntil(handle: JobHandle, storage: CheckpointStorage, name: string, rows: number): Promise<number> {
  for (let round = 0; ; round++) {
    const stats = await handle.triggerCheckpoint();
    if ((await readTable(name, 'seen', { storage })).length >= rows) return stats.id;
    expect(round < 2_000, `'seen' never reached ${rows} rows`);
  }
}

const pad = (id: number) => `/${String(id).padStart(12, '0')}/`;

/** A chunk only checkpoint `id` refers to: the source's positions (operator state is rewritten at every checkpoint). */
async function sourceChunkOf(storage: CheckpointStorage, name: string, id: number): Promise<string> {
  const key = (await storage.listChunks(`jobs/${name}/chunks/`)).find((k) => k.includes(pad(id)) && k.includes('/numbers/') && k.endsWith('/operator'));
  expect(key !== undefined, `a source chunk of checkpoint ${id}`);
  return key;
}

function nextRestart(handle: JobHandle): Promise<RestartEvent> {
  return new Promise((resolve) => {
    const off = handle.on('restart', (e) => {
      off();
      resolve(e);
    });
  });
}

function nextRestore(handle: JobHandle): Promise<RestoreEvent> {
  return new Promise((resolve) => {
    const off = handle.on('restore', (e) => {
      off();
      resolve(e);
    });
  });
}

function status(handle: JobHandle, wanted: string): Promise<void> {
  return new Promise((resolve) => {
    if (handle.status() === wanted) return resolve();
    const off = handle.on('status', (s) => {
      if (s !== wanted) return;
      off();
      resolve();
    });
  });
}

export function defineRecoveryMatrix(backend: MatrixBackend, { describe, it }: MatrixRunner): void {
  describe(`recovery fault matrix: ${backend.name}`, () => {
    for (const fault of FAULTS) {
      for (const rescale of RESCALES) {
        it(`${fault}, ${rescale.name} (${rescale.from} → ${rescale.to}): every record exactly once`, async () => {
          const inner = await backend.open();
          try {
            await runCase(backend, inner, fault, rescale.from, rescale.to, `m${++cases}-${slug(fault)}-${slug(rescale.name)}`);
          } finally {
            await backend.close?.(inner);
          }
        });
      }
    }
  });
}

async function runCase(backend: MatrixBackend, inner: CheckpointStorage, fault: Fault, from: number, to: number, name: string): Promise<void> {
  const storage = new FaultyStorage(inner);
  const gate: Gate = { allowed: 0 };
  const build = () => job(name, (env) => buildGatedPipeline(env, TOTAL, KEYS, gate));
  const options = (parallelism: number): RunOptions => ({
    storage, parallelism, checkpointing: { intervalMs: 3_600_000, retained: 2 }, restart: { strategy: 'fixed-delay', attempts: 5, delayMs: 0 },
  });
  const handles: JobHandle[] = [];
  const start = async (parallelism: number) => {
    const handle = await run(build(), options(parallelism));
    handles.push(handle);
    return handle;
  };
  try {
    const first = await start(from);
    gate.allowed = 800;
    await commitUntil(first, storage, name, 800);
    gate.allowed = 1_600;
    const latest = await commitUntil(first, storage, name, 1_600);
    let injected = 0;
    let second: JobHandle | undefined;

    switch (fault) {
      case 'corrupt latest metadata':
      case 'corrupt chunk':
      case 'missing chunk': {
        await first.cancel();
        if (fault === 'corrupt latest metadata') {
          const key = (await inner.listMetadata(`jobs/${name}/checkpoints/`)).at(-1)!;
          expect(key.endsWith(pad(latest).slice(1, -1)), `the latest metadata is checkpoint ${latest}'s`);
          const bytes = (await inner.getMetadata(key))!;
          bytes[bytes.length - 5] ^= 0x40;
          await inner.putMetadata([{ key, bytes }]);
        } else {
          const key = await sourceChunkOf(inner, name, latest);
          if (fault === 'missing chunk') await inner.deleteChunks([key]);
          else {
            const bytes = (await inner.getChunk(key))!;
            bytes[bytes.length - 1] ^= 0x01;
            await inner.putChunk(key, bytes);
          }
        }
        injected++;
        gate.allowed = TOTAL;
        second = await start(to);
        if (fault === 'corrupt latest metadata') {
          const restore = await nextRestore(second);
          expect(restore.skipped.some((s) => s.checkpointId === latest), `the start passed over checkpoint ${latest}: ${JSON.stringify(restore)}`);
        } else {
          const restart = await nextRestart(second);
          expect(restart.fellBackFrom === latest, `the restore of checkpoint ${latest} failed and the job fell back: ${JSON.stringify({ ...restart, cause: String(restart.cause) })}`);
        }
        break;
      }
      case 'quota on chunk write':
      case 'quota on metadata write':
      case 'quota on sink commit': {
        const target = fault === 'quota on chunk write' ? 'putChunk' : 'putMetadata';
        const matches = fault === 'quota on chunk write' ? () => true : fault === 'quota on metadata write' ? isCheckpointMetadataKey : isTableCommitKey;
        const warnings: string[] = [];
        first.on('warning', (w) => warnings.push(w.kind));
        storage.plan.quota = (op, keys) => storage.injected.quota === 0 && op === target && keys.some(matches);
        gate.allowed = 2_400;
        // The checkpoint that meets the quota fails (or, for a commit, is deferred); the next ones carry on.
        for (let i = 0; storage.injected.quota === 0; i++) {
          expect(i < 100, 'the quota was never met');
          await first.triggerCheckpoint().then(
            () => undefined,
            (error: { code?: string }) => expect(['CHECKPOINT_STORAGE_FAILED', 'COMMIT_DEFERRED'].includes(error.code ?? ''), `a checkpoint failed with ${error.code}`),
          );
        }
        injected = storage.injected.quota;
        storage.plan.quota = undefined;
        if (fault === 'quota on sink commit') expect(warnings.includes('sink-commit-deferred'), `the deferred commit was surfaced: ${warnings.join(', ')}`);
        await commitUntil(first, storage, name, 2_400);
        expect(first.status() === 'running', `the job is running, not ${first.status()}`);
        await first.cancel();
        gate.allowed = TOTAL;
        second = await start(to);
        break;
      }
      case 'stale runner': {
        await backend.loseJobLock?.(name);
        second = await start(to);
        // The first runner is stale: its next checkpoint meets the new epoch, and it stops at once
        // (the gate stays shut, so it cannot end its input instead; it did under load).
        await first.triggerCheckpoint().then(
          () => expect(false, 'a stale runner completed a checkpoint'),
          (error: { code?: string }) => expect(error.code === 'STORAGE_FENCED', `the stale runner's checkpoint was fenced, not ${error.code}`),
        );
        await first.done.then(() => expect(false, 'the stale runner finished'), (error: { code?: string }) => expect(error.code === 'STORAGE_FENCED', `the stale runner stopped fenced, not ${error.code}`));
        injected++;
        gate.allowed = TOTAL;
        break;
      }
      case 'worker killed during commit': {
        const reached = openLater();
        const release = openLater();
        storage.plan.hold = (op, keys) => {
          if (storage.injected.held > 0 || op !== 'putMetadata' || !keys.some(isTableCommitKey)) return undefined;
          reached.open();
          return release.promise;
        };
        gate.allowed = 2_400;
        const restarted = nextRestart(first);
        // Checkpoints until one has something to commit; its commit is held, and the tasks are killed meanwhile.
        void (async () => {
          while (storage.injected.held === 0 && first.status() === 'running') await first.triggerCheckpoint().catch(() => undefined);
        })();
        await reached.promise;
        first.injectFailure();
        injected++;
        await restarted; // the failover did not wait for the killed attempt's commit
        const fencedBefore = storage.fenced;
        release.open();
        await status(first, 'running');
        await commitUntil(first, storage, name, 1_600); // one round trip: the released commit has been answered
        expect(storage.fenced === fencedBefore + 1, `the killed attempt's commit was refused by the attempt fence (refused: ${storage.fenced - fencedBefore})`);
        await commitUntil(first, storage, name, 2_400);
        await first.cancel();
        gate.allowed = TOTAL;
        second = await start(to);
        break;
      }
    }
    expect(injected === 1, `one fault injected, counted ${injected}`);
    const result = await second.done;
    expect(result.status === 'finished', `the resumed job finished: ${result.status}`);
    await checkExactlyOnce((j, t) => readTable(j, t, { storage: inner }), name, TOTAL, KEYS);
  } finally {
    for (const h of handles) await h.cancel();
  }
}
