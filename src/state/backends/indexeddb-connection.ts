// Opening Weir's IndexedDB database: its schema (two object stores of bytes) and a connection that
// steps aside when another context upgrades or deletes the database.
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import { storageFailed } from './backend-support.js';

export interface WeirStorageSchema extends DBSchema {
  /** A Blob (this build) or a Uint8Array (earlier builds): indexeddb-chunk-value.ts. */
  chunks: { key: string; value: Blob | Uint8Array };
  metadata: { key: string; value: Uint8Array };
}
export type StoreName = 'chunks' | 'metadata';
export type Database = IDBPDatabase<WeirStorageSchema>;

const SCHEMA_VERSION = 1;

// idb's openDB() always opens through the global `indexedDB`; this is the same thing with a given factory.
export function openConnection(factory: IDBFactory, name: string, onClosed: (db: Database) => void): Promise<Database> {
  return new Promise<Database>((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, SCHEMA_VERSION);
    } catch (error) {
      reject(storageFailed('indexeddb', 'open', error, { database: name }));
      return;
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const store of ['chunks', 'metadata']) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
    };
    // 'blocked': an older connection elsewhere has not closed yet; every Weir connection closes on
    // 'versionchange' (below), so waiting is right.
    request.onerror = () => reject(storageFailed('indexeddb', 'open', request.error, { database: name }));
    request.onsuccess = () => {
      const raw = request.result;
      const db = wrap(raw) as unknown as Database;
      // Another context wants to upgrade or delete the database: step aside instead of blocking it.
      raw.addEventListener('versionchange', () => { raw.close(); onClosed(db); });
      raw.addEventListener('close', () => onClosed(db)); // closed abnormally (storage cleared, disk error)
      resolve(db);
    };
  });
}
