import { job, readSavepoint, sources, type JobDefinition, type JobHandle } from 'weir';
import { buildCheckpointExample } from '../../examples/checkpoint-example.job.js';
import { expectedWindowSums, exampleLines, type WindowSum } from '../../examples/checkpoint-example.lines.js';
import { buildCountingPipeline, checkExactlyOnce } from './counting-pipeline.js';
import { holdUntilCheckpoints } from './held-source.js';

// The savepoint portability matrix (issue 14): each runtime's suite takes a savepoint of the
// counting pipeline and of the seed example at parallelism 2 (its readers held mid-stream), and
// restores every runtime's savepoint at 1 and at 3 into its own storage, checking that the two
// runs together committed the fault-free result. A savepoint travels as an artifact (JSON: the
// archive in base64 and what the first run committed, read back from its storage), in the temp
// folder .test-build/savepoint-matrix/ for the phases that run later, and committed under
// test/fixtures/savepoints/matrix/ (written with WEIR_WRITE_MATRIX=1) for those that run earlier.
// Browser-safe: no node: imports.

export const RUNTIMES = ['node', 'workerd', 'deno', 'chromium'] as const;
export type MatrixRuntime = (typeof RUNTIMES)[number];
export type MatrixJob = 'counting' | 'seed';
export const MATRIX_JOBS: readonly MatrixJob[] = ['counting', 'seed'];

export const COUNTING = { name: 'sp-matrix-counting', records: 4_000, keys: 7 } as const;
export const SEED = { name: 'sp-matrix-seed', lines: 4_000 } as const;
export const TAKEN_AT = 2;
export const RESTORED_AT = [1, 3] as const;

export const jobNameOf = (kind: MatrixJob) => (kind === 'counting' ? COUNTING.name : SEED.name);
export const tablesOf = (kind: MatrixJob) => (kind === 'counting' ? ['seen', 'running'] : ['window-sums', 'dead-letters']);
export const artifactFile = (runtime: MatrixRuntime, kind: MatrixJob) => `${runtime}-${kind}.json`;

export interface MatrixArtifact {
  readonly runtime: MatrixRuntime;
  readonly job: MatrixJob;
  /** The savepoint archive, base64. */
  readonly savepoint: string;
  /** What the run that took it committed, per table. */
  readonly output: Record<string, unknown[]>;
}

/** The job, in-process (`held`: each source reader stops for good after an eighth of its input). */
export function matrixJob(kind: MatrixJob, held: boolean): JobDefinition {
  if (kind === 'counting') {
    return job(COUNTING.name, (env) => buildCountingPipeline(env, { ...COUNTING, ratePerSecond: 1_000_000, hold: held ? { after: COUNTING.records / 8, checkpoints: Infinity } : undefined }));
  }
  const lines = sources.fromElements(exampleLines({ lines: SEED.lines }));
  return job(SEED.name, (env) => buildCheckpointExample(env, held ? holdUntilCheckpoints(lines, { after: SEED.lines / 8, checkpoints: Infinity }) : lines));
}

/** Stops a running first run (its readers held) with a savepoint, after one completed checkpoint, and packs the artifact. */
export async function takeArtifact(runtime: MatrixRuntime, kind: MatrixJob, handle: JobHandle, read: (table: string) => Promise<unknown[]>): Promise<MatrixArtifact> {
  await handle.triggerCheckpoint();
  const bytes = await handle.stop({ savepoint: true });
  const output: Record<string, unknown[]> = {};
  for (const table of tablesOf(kind)) output[table] = await read(table);
  return { runtime, job: kind, savepoint: toBase64(bytes), output };
}

export const savepointOf = (a: MatrixArtifact) => fromBase64(a.savepoint);

/** Throws unless the first run (the artifact's output) and the resumed one (`read`) together committed the fault-free result. */
export async function checkResumed(artifact: MatrixArtifact, read: (table: string) => Promise<unknown[]>): Promise<void> {
  const both = async (table: string) => [...artifact.output[table]!, ...(await read(table))];
  const where = `${artifact.runtime}'s ${artifact.job} savepoint`;
  if (readSavepoint(savepointOf(artifact)).jobName !== jobNameOf(artifact.job)) throw new Error(`${where}: another job`);
  if (artifact.job === 'counting') {
    await checkExactlyOnce(async <T>(_name: string, table: string) => (await both(table)) as T[], where, COUNTING.records, COUNTING.keys);
    return;
  }
  const { sums, badLines } = expectedWindowSums({ lines: SEED.lines });
  const id = (r: WindowSum) => `${r.key}@${r.windowStart}`;
  const rows = (await both('window-sums')) as WindowSum[];
  const seen = new Map<string, WindowSum>();
  for (const r of rows) {
    if (seen.has(id(r))) throw new Error(`${where}: window ${id(r)} committed twice`);
    seen.set(id(r), r);
  }
  if (seen.size !== sums.length) throw new Error(`${where}: ${seen.size} windows committed, expected ${sums.length}`);
  for (const e of sums) {
    const r = seen.get(id(e));
    if (r?.sum !== e.sum) throw new Error(`${where}: window ${id(e)} has sum ${r?.sum}, expected ${e.sum}`);
  }
  const dead = (await both('dead-letters')) as { value: string }[];
  if (dead.length !== badLines || new Set(dead.map((d) => d.value)).size !== badLines) throw new Error(`${where}: ${dead.length} dead letters, expected ${badLines} distinct`);
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
