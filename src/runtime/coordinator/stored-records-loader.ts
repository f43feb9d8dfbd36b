// Loads the stored records' codec (stored-records.ts) on first use: bundlers split it off, so a
// page's first download does not carry the value codec. Once loaded, loadedStoredRecords() returns it without
// a tick: a checkpoint's commit stays as synchronous as before (checkpoint-coordinator.ts); the
// start-up and listing paths simply await loadStoredRecords().
import type * as StoredRecords from './stored-records.js';

export type StoredRecordsCodec = typeof StoredRecords;

let codec: StoredRecordsCodec | undefined;
let loading: Promise<StoredRecordsCodec> | undefined;

export function loadStoredRecords(): Promise<StoredRecordsCodec> {
  loading ??= import('./stored-records.js').then((m) => (codec = m));
  return loading;
}

/** The codec if it has loaded; undefined before (a caller then awaits loadStoredRecords()). */
export function loadedStoredRecords(): StoredRecordsCodec | undefined {
  return codec;
}
