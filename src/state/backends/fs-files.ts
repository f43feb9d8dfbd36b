// The file operations of the fs backend (fs-storage.ts): a write lands under a temporary name,
// fsynced, then is renamed over its target, so a file is always old or new, never torn.
import { close, closeSync, fsync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isContinuation, keyFromPathSegments } from './fs-key-names.js';

/** Writes `bytes` to a temporary file before returning; resolves with its path once fsynced. */
export function stageNow(dir: string, bytes: Uint8Array): Promise<string> {
  const temp = join(dir, 'tmp', `${randomUUID()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx');
    for (let at = 0; at < bytes.byteLength;) at += writeSync(fd, bytes, at);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    return unlink(temp).catch(() => undefined).then(() => { throw error; });
  }
  const written = fd;
  return new Promise<void>((resolve, reject) => fsync(written, (error) => (error ? reject(error) : resolve())))
    .finally(() => new Promise<void>((resolve) => close(written, () => resolve())))
    .then(() => temp, async (error: unknown) => {
      await unlink(temp).catch(() => undefined);
      throw error;
    });
}

/** A complete, fsynced copy of `bytes` under a temporary name; its path. */
export async function stage(dir: string, bytes: Uint8Array): Promise<string> {
  const temp = join(dir, 'tmp', `${randomUUID()}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return temp;
}

/** Renames a staged file over `target`: `target` is old or new, never torn (durable once its directory is synced). */
export async function place(temp: string, target: string): Promise<void> {
  try {
    await renameInto(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Deletes the file of a key (absent: nothing to do) and the continuation directories it leaves empty under `root`. */
export async function deleteKeyFile(root: string, path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return;
  }
  // A long key's continuation directories go when empty (a concurrent writer re-creates them).
  for (let dir = dirname(path); dir !== root && dir.startsWith(root); dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      break;
    }
  }
}

/** Decoded keys starting with `prefix`, sorted by UTF-16 code units (file systems order names their own way). */
export async function listKeys(root: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (dir: string, segments: string[]): Promise<void> => {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && segments.length > 0) return; // removed meanwhile
      throw error;
    }
    for (const entry of entries) {
      if (isContinuation(entry)) {
        await walk(join(dir, entry), [...segments, entry]);
        continue;
      }
      const key = keyFromPathSegments([...segments, entry]);
      if (key !== undefined && key.startsWith(prefix)) keys.push(key);
    }
  };
  await walk(root, []);
  return keys.sort();
}

export async function readBytes(path: string): Promise<Uint8Array | undefined> {
  let file: Uint8Array;
  try {
    file = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // A Buffer may be a view into Node's shared pool: hand out a plain Uint8Array of its own.
  return file.byteOffset === 0 && file.buffer.byteLength === file.byteLength ? new Uint8Array(file.buffer) : new Uint8Array(file);
}

export async function renameInto(temp: string, target: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(temp, target);
      return;
    } catch (error) {
      // A long key's continuation directory is missing (or was just removed by a delete).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw error;
      await mkdir(dirname(target), { recursive: true });
    }
  }
}

/** Makes a rename or unlink in `dir` durable where the platform can (Windows cannot open a directory). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}
