import { checkLogName, checkPartitions, openInputLog, type InputLog } from '../connectors/log/input-log.js';
import { requireOptions } from '../errors/index.js';
import { resolveStorage, type StorageOption } from '../platform/resolve-storage.js';
import type { RuntimePlatform } from '../platform/runtime-platform.js';

export interface OpenLogOptions {
  /** Where the log lives: the same options and default as run()'s (a job reads logs from its own storage). */
  storage?: StorageOption;
  /** Fixed when the log is created (default 1); opening it later with another count is refused. */
  partitions?: number;
}

/** Makes `openLog()` for one runtime (its default storage). */
export function createOpenLog(platform: RuntimePlatform) {
  return async function openLog<T = unknown>(name: string, options?: OpenLogOptions): Promise<InputLog<T>> {
    checkLogName('openLog(name)', name);
    const o = requireOptions<OpenLogOptions>('openLog(name, options)', options, ['storage', 'partitions']);
    const partitions = checkPartitions('openLog(name, options).partitions', o.partitions);
    const storage = resolveStorage(o.storage, 'openLog(name, options).storage', platform);
    return openInputLog<T>(storage, name, partitions === undefined ? {} : { partitions });
  };
}
