// The recovery fault matrix (recovery-matrix.ts) in Node, on memory and on file storage.
import { after, describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCheckpointStorage } from 'weir';
import { FsCheckpointStorage, openFsStorage } from '../../src/state/backends/fs-storage.js';
import { defineRecoveryMatrix } from './recovery-matrix.js';

const scratch = await mkdtemp(join(tmpdir(), 'weir-matrix-'));
after(() => rm(scratch, { recursive: true, force: true }));
let dirs = 0;

defineRecoveryMatrix({ name: 'memory', open: async () => new MemoryCheckpointStorage() }, { describe, it });
defineRecoveryMatrix({
  name: 'files',
  open: () => openFsStorage({ dir: join(scratch, `case-${++dirs}`) }),
  close: (storage) => (storage as FsCheckpointStorage).close(),
}, { describe, it });
