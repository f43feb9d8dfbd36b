import { memoryStorageForRealm } from '../state/backends/memory-storage.js';
import { InvalidArgumentError } from '../errors/index.js';
import { createMacrotaskScheduler } from './macrotask.js';
import type { RuntimePlatform } from './runtime-platform.js';

/** Relative module strings resolve against `base`; absolute URLs stand as they are. */
export function resolveAgainst(job: string | URL, base: string | undefined): string {
  if (job instanceof URL) return job.href;
  try {
    return new URL(job, base).href;
  } catch {
    throw new InvalidArgumentError('run(job)', `'${job}' is not a URL, and there is no base URL to resolve it against here; pass an absolute URL`);
  }
}

/** No workers, memory storage: what every runtime can do (and all that an unknown one gets). */
export function defaultPlatform(name: RuntimePlatform['name'] = 'default', base?: () => string | undefined): RuntimePlatform {
  return {
    name,
    defaultStorage: memoryStorageForRealm,
    resolveModuleUrl: (job) => resolveAgainst(job, base?.()),
    scheduleMacrotask: createMacrotaskScheduler(),
  };
}
