import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeChunk, encodeChunk } from '../../../src/state/chunk-format.js';
import { HeapKeyedStateBackend } from '../../../src/state/heap-keyed-state-backend.js';
import { checkKeyedStatePayload } from '../../../src/state/keyed-state-payload.js';

// Names are data too (issue 17): keyed state named '__proto__' or 'constructor' must be a field of
// its snapshot. Before the fix, `entry['__proto__'] = map` set the snapshot's prototype instead:
// the codec refused the snapshot, so no checkpoint of such a job could complete.

describe('keyed state with hostile names', () => {
  it("state named '__proto__', 'constructor' and 'toString' survives a snapshot, its chunk and a restore", () => {
    const names = ['__proto__', 'constructor', 'toString', 'count'];
    const before = new HeapKeyedStateBackend({ start: 0, end: 7 });
    for (let k = 0; k < 8; k++) {
      before.setCurrentKey(`k${k}`, k);
      for (const name of names) before.valueState<string>(name).update(`${name}-${k}`);
    }
    const payload = checkKeyedStatePayload(decodeChunk(encodeChunk('keyed-state', before.snapshot()), 'keyed-state').payload, 'chunk');
    assert.deepEqual(Object.keys(payload.kinds).sort(), [...names].sort());
    const after = new HeapKeyedStateBackend({ start: 0, end: 7 });
    after.restore([payload]);
    for (let k = 0; k < 8; k++) {
      after.setCurrentKey(`k${k}`, k);
      for (const name of names) assert.equal(after.valueState<string>(name).value(), `${name}-${k}`, `${name} of key ${k}`);
    }
    assert.equal(({} as { k0?: unknown }).k0, undefined);
  });
});
