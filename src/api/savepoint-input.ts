import { InvalidArgumentError, WeirError } from '../errors/index.js';
import { decodeSavepoint } from '../runtime/coordinator/savepoint-codec.js';
import type { StartPoint } from '../runtime/coordinator/savepoint-restore.js';
import type { ResumeOption } from './run-options.js';

/** Reads a file's bytes (a path or a file: URL): Node and Deno only. */
export type ReadFile = (pathOrFileUrl: string) => Promise<Uint8Array>;

const ARG = 'run(job, options).resume.savepoint';
const URL_LIKE = /^(https?|file|blob|data):/i;

/**
 * Where a run starts, with a savepoint's bytes fetched or read and its archive checked (so a bad
 * savepoint is refused before anything of the job runs or any storage is touched).
 */
export async function resolveStartPoint(resume: ResumeOption, readFile: ReadFile | undefined): Promise<StartPoint> {
  if (typeof resume === 'string' || 'checkpoint' in resume) return resume;
  return { savepoint: decodeSavepoint(await savepointBytes(resume.savepoint, readFile)) };
}

async function savepointBytes(source: Uint8Array | URL | string, readFile: ReadFile | undefined): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  const href = source instanceof URL ? source.href : source;
  if (href.toLowerCase().startsWith('file:') || !URL_LIKE.test(href)) {
    if (readFile === undefined) {
      throw new InvalidArgumentError(ARG, `a file (${href}) can be read only in Node and Deno; pass the savepoint's bytes or an http(s) URL`);
    }
    try {
      return await readFile(href);
    } catch (error) {
      throw new InvalidArgumentError(ARG, `cannot read ${href}: ${(error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error))}`, { cause: error });
    }
  }
  let response: Response;
  try {
    response = await fetch(href);
  } catch (error) {
    throw new WeirError('SOURCE_FAILED', `${ARG}: fetching ${href} failed: ${error instanceof Error ? error.message : String(error)}`, { domain: 'external', retryable: true, cause: error });
  }
  if (!response.ok) {
    throw new WeirError('SOURCE_FAILED', `${ARG}: fetching ${href} answered ${response.status} ${response.statusText}`, { domain: 'external', retryable: response.status >= 500, details: { status: response.status } });
  }
  return new Uint8Array(await response.arrayBuffer());
}
