/**
 * One runner per job per origin with the Web Locks API: the lock is held for as long as the
 * job runs and released with the tab, so a waiting tab takes over when the first goes away.
 */
export function acquireWebLock(name: string, wait: boolean): Promise<(() => void) | undefined> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks === undefined) return Promise.resolve(() => {}); // no Web Locks here: nothing to coordinate with
  return new Promise((resolve) => {
    locks
      .request(name, wait ? { mode: 'exclusive' } : { mode: 'exclusive', ifAvailable: true }, (lock) => {
        if (lock === null) {
          resolve(undefined);
          return undefined;
        }
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(() => resolve(undefined));
  });
}
