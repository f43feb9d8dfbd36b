// Files for sources.lines in Node and Deno (node:fs): a path or a file: URL, read from a byte
// offset in chunks. Imported only by the Node and Deno entries.
import { open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sourceFailed, type ByteInput } from '../connectors/lines/byte-input.js';

const CHUNK_BYTES = 64 * 1024;

/** A whole file (a savepoint): a path or a file: URL. */
export async function readFileBytes(target: string): Promise<Uint8Array> {
  const bytes = await readFile(target.startsWith('file:') ? fileURLToPath(target) : target);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export async function openFileBytes(target: string, offset: number, signal: AbortSignal): Promise<ByteInput> {
  const path = target.startsWith('file:') ? fileURLToPath(target) : target;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw sourceFailed(`cannot open ${path}: ${code ?? String(error)}`, code === 'EMFILE' || code === 'EAGAIN', { path, reason: code }, error);
  }
  // No version check for files: one that grew since the checkpoint (a log file) resumes where it was.
  return { chunks: read(handle, offset, signal), skip: 0 };
}

async function* read(handle: Awaited<ReturnType<typeof open>>, offset: number, signal: AbortSignal): AsyncIterable<Uint8Array> {
  const buffer = new Uint8Array(CHUNK_BYTES); // the reader copies what it keeps: one buffer serves every read
  let position = offset;
  try {
    while (!signal.aborted) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}
