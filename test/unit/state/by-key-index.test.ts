import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupOf, keyGroupRangeOf } from '../../../src/graph/key-groups.js';
import type { StateHandle } from '../../../src/runtime/control-messages.js';
import type { StreamOperator } from '../../../src/runtime/operators/stream-operator.js';
import { chainOrder, KeyedChunkReuse } from '../../../src/runtime/task/keyed-chunk-reuse.js';
import { SubtaskSnapshot } from '../../../src/runtime/task/subtask-snapshot.js';
import { verifyChunk } from '../../../src/state/chunk-format.js';
import { HeapKeyedStateBackend } from '../../../src/state/heap-keyed-state-backend.js';
import type { StateTable } from '../../../src/state/state-table.js';

const MAX = 128;
const range = keyGroupRangeOf(0, 1, MAX);
const who = { jobName: 'by-key', attemptId: '1.1', subtaskIndex: 0, keyGroupRange: range };
const groupOf = (key: unknown) => keyGroupOf(key as string, MAX);

/** A backend whose 'aggregate' state is indexed by key, as KeyedReduceOperator keeps it. */
function indexed() {
  const backend = new HeapKeyedStateBackend(range, undefined, groupOf);
  const table = backend.stateTable('aggregate', 'value');
  backend.indexByKey(table);
  return { backend, table };
}

/** The index holds exactly the entries of the key groups' Maps, each with its group. */
function assertIndexMatches(table: StateTable): void {
  let size = 0;
  table.groups.forEach((map, g) => map?.forEach((e, key) => {
    size++;
    assert.equal(table.byKey!.get(key), e, `key ${String(key)}: the index holds its group's entry`);
    assert.equal(e.g, g, `key ${String(key)}: the entry knows its group`);
  }));
  assert.equal(table.byKey!.size, size, 'no key in the index that no group holds');
}

function snapshotOf(backend: HeapKeyedStateBackend, id: number) {
  const op: StreamOperator = { uid: 'op', keyedBackend: backend, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: backend }) };
  const chunks = new Map<string, Uint8Array>();
  const snapshot = new SubtaskSnapshot([op], id, who, new Map([['op', new KeyedChunkReuse()]]), (handle: StateHandle, bytes) => {
    chunks.set(handle.key, bytes);
  });
  const encoded = () => [...snapshot.handles].sort(chainOrder).map((h) => ({ keyGroupRange: h.keyGroupRange!, body: verifyChunk(chunks.get(h.key)!, 'keyed-state').body }));
  return { snapshot, encoded };
}

describe('keyed state found by key alone (one Map per state)', () => {
  it('the by-key index stays equal to the key groups through copy-on-write snapshots, removals and inserts, and the snapshot keeps the state as it was at the barrier', () => {
    const { backend, table } = indexed();
    const keys = Array.from({ length: 3000 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) backend.insert(table, k, groupOf(k), { n: i });
    const { snapshot, encoded } = snapshotOf(backend, 1); // pending: every entry is shared with it
    for (const [i, k] of keys.entries()) {
      const e = backend.entryByKey(table, k)!;
      if (i % 5 === 0) backend.remove(table, k, e.g);
      else if (i % 3 === 0) (backend.writable(table, k, e.g, e).value as { n: number }).n += 1000; // changed in place, as sum does
    }
    for (let i = 0; i < 500; i++) backend.insert(table, `new${i}`, groupOf(`new${i}`), { n: -i });
    assertIndexMatches(table);
    for (const [i, k] of keys.entries()) {
      const e = backend.entryByKey(table, k);
      if (i % 5 === 0) assert.equal(e, undefined, `${k} was removed`);
      else assert.deepEqual(e!.value, { n: i % 3 === 0 ? i + 1000 : i });
    }
    snapshot.finish();
    const restored = indexed();
    restored.backend.restore([], encoded());
    for (const [i, k] of keys.entries()) assert.deepEqual(restored.backend.entryByKey(restored.table, k)?.value, { n: i }, `${k} as at the barrier`);
    assert.equal(restored.backend.entryByKey(restored.table, 'new1'), undefined, 'a key inserted after the barrier is not in the snapshot');
  });

  it('a restored state found by key decodes only the span of the key it is asked for, and its index is complete once every span is decoded', () => {
    const { backend, table } = indexed();
    const keys = Array.from({ length: 4000 }, (_, i) => `k${i}`);
    for (const [i, k] of keys.entries()) backend.insert(table, k, groupOf(k), i);
    const { snapshot, encoded } = snapshotOf(backend, 1);
    snapshot.finish();
    const restored = indexed();
    restored.backend.restore([], encoded());
    assert.equal(restored.backend.restoring, true);
    const e = restored.backend.entryByKey(restored.table, 'k42')!;
    assert.equal(e.value, 42);
    assert.equal(e.g, groupOf('k42') - range.start);
    assert.equal(restored.backend.restoring, true, 'one key decoded one span, not all');
    assertIndexMatches(restored.table);
    while (restored.backend.loadNext());
    assertIndexMatches(restored.table);
    assert.equal(restored.table.byKey!.size, keys.length);
    for (const [i, k] of keys.entries()) assert.equal(restored.backend.entryByKey(restored.table, k)?.value, i);
  });
});
