import { tableNotices, tableTopic } from '../connectors/sinks/table-notices.js';
import { TableWatcher, type TableUpdate } from '../connectors/sinks/table-watcher.js';
import { requireFunction, requireInteger, requireOptions, requireString } from '../errors/index.js';
import { resolveStorage, type StorageOption } from '../platform/resolve-storage.js';
import type { RuntimePlatform } from '../platform/runtime-platform.js';
import { systemClock, type Clock } from '../runtime/clock.js';

export interface WatchTableOptions {
  /** Where the job keeps its table: the same options and default as run()'s. */
  storage?: StorageOption;
  /** Called with a failed read (a corrupt record) or a listener's throw; the watch goes on. Default: console.error. */
  onError?: (error: unknown) => void;
  /**
   * How often to look again without a notice, in ms (default 1000; 0: never). Notices reach
   * every tab and worker of the origin; this covers what they cannot (another process sharing a
   * `{ dir }`, a lost message).
   */
  recheckMs?: number;
  /** The clock of the re-check (tests pass a ManualClock). */
  clock?: Clock;
}

const DEFAULT_RECHECK_MS = 1000;

/** Makes `watchTable()` for one runtime (its default storage). */
export function createWatchTable(platform: RuntimePlatform) {
  /**
   * Calls `listener` with the committed content of a job's `sinks.table` at once, then after every
   * commit that changes it; only output no restore can take back. Returns the unsubscribe.
   */
  return function watchTable<T = unknown>(jobName: string, table: string, listener: (update: TableUpdate<T>) => void, options?: WatchTableOptions): () => void {
    requireString('watchTable(jobName)', jobName);
    requireString('watchTable(jobName, table)', table);
    requireFunction('watchTable(jobName, table, listener)', listener);
    const o = requireOptions<WatchTableOptions>('watchTable(jobName, table, listener, options)', options, ['storage', 'onError', 'recheckMs', 'clock']);
    const storage = resolveStorage(o.storage, 'watchTable(jobName, table, listener, options).storage', platform);
    const onError = o.onError === undefined
      ? (error: unknown) => console.error(`weir: watchTable('${jobName}', '${table}')`, error)
      : requireFunction<(error: unknown) => void>('watchTable(jobName, table, listener, options).onError', o.onError);
    const recheckMs = o.recheckMs === undefined ? DEFAULT_RECHECK_MS : requireInteger('watchTable(jobName, table, listener, options).recheckMs', o.recheckMs, { min: 0 });
    const clock = o.clock ?? systemClock;

    const watcher = new TableWatcher<T>(storage, jobName, table, listener, onError);
    const unsubscribe = tableNotices().subscribe(tableTopic(jobName, table), () => void watcher.refresh());
    let timer: unknown;
    let stopped = false;
    const recheck = () => {
      if (stopped || recheckMs === 0) return;
      timer = clock.setTimeout(() => void watcher.refresh().then(recheck), recheckMs);
      (timer as { unref?: () => void } | undefined)?.unref?.(); // Node: a watch must not keep the process alive
    };
    void watcher.refresh().then(recheck);
    return () => {
      if (stopped) return;
      stopped = true;
      watcher.close();
      unsubscribe();
      clock.clearTimeout(timer);
    };
  };
}

export type { TableUpdate } from '../connectors/sinks/table-watcher.js';
