/// <reference types="mocha" />
// The recovery fault matrix (test/fault/recovery-matrix.ts) on Chromium's real IndexedDB: a new
// database per case, deleted afterwards.
import { openIndexedDbStorage, type IndexedDbCheckpointStorage } from '../../src/state/backends/indexeddb-storage.js';
import { defineRecoveryMatrix } from '../fault/recovery-matrix.js';

let databases = 0;
const unique = () => `weir-matrix-${Date.now()}-${++databases}`;

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

defineRecoveryMatrix({
  name: 'indexeddb (Chromium)',
  open: () => openIndexedDbStorage({ database: unique() }),
  close: async (storage) => {
    const db = storage as IndexedDbCheckpointStorage;
    await db.close();
    await deleteDatabase(db.database);
  },
  // Steals the job's Web Lock from its runner and lets it go: the runner goes on, stale.
  loseJobLock: (jobName) => new Promise<void>((resolve) => {
    void navigator.locks.request(`weir:job:${jobName}`, { steal: true }, async () => resolve());
  }),
}, { describe, it });
