import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupOf, keyGroupRangeOf } from '../../../src/graph/key-groups.js';
import type { StateHandle } from '../../../src/runtime/control-messages.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import type { StreamOperator } from '../../../src/runtime/operators/stream-operator.js';
import { chainOrder, KeyedChunkReuse } from '../../../src/runtime/task/keyed-chunk-reuse.js';
import { SubtaskSnapshot } from '../../../src/runtime/task/subtask-snapshot.js';
import { decodeChunk, encodeChunk } from '../../../src/state/chunk-format.js';
import { HeapKeyedStateBackend, type KeyedStatePayload } from '../../../src/state/heap-keyed-state-backend.js';
import type { StateTtlOptions } from '../../../src/state/keyed-state.js';
import { checkKeyedStatePayload } from '../../../src/state/keyed-state-payload.js';
import { unstamped } from '../../../src/state/state-ttl.js';

const MAX = 128;
const TTL = 100;

/** Every state kind with the same TTL, each holding one thing per key, read back as plain data. */
function kinds(b: HeapKeyedStateBackend, ttl: StateTtlOptions = { ttlMs: TTL }) {
  const sum = { create: () => ({ n: 0, total: 0 }), add: (a: { n: number; total: number }, v: number) => ({ n: a.n + 1, total: a.total + v }), result: (a: { n: number; total: number }) => a.total / a.n };
  return {
    value: { write: (v: number) => b.valueState<number>('v', ttl).update(v), read: () => b.valueState<number>('v', ttl).value() },
    list: { write: (v: number) => b.listState<number>('l', ttl).add(v), read: () => b.listState<number>('l', ttl).get() },
    map: { write: (v: number) => b.mapState<string, number>('m', ttl).put(`e${v}`, v), read: () => [...b.mapState<string, number>('m', ttl).entries()] },
    reducing: { write: (v: number) => b.reducingState<number>('r', (x, y) => x + y, ttl).add(v), read: () => b.reducingState<number>('r', (x, y) => x + y, ttl).get() },
    aggregating: { write: (v: number) => b.aggregatingState('a', sum, ttl).add(v), read: () => b.aggregatingState('a', sum, ttl).get() },
  };
}
const ABSENT = { value: undefined, list: [], map: [], reducing: undefined, aggregating: undefined };

function backend(clock: ManualClock, index = 0, parallelism = 1) {
  return new HeapKeyedStateBackend(keyGroupRangeOf(index, parallelism, MAX), clock);
}
const at = (b: HeapKeyedStateBackend, key: string) => b.setCurrentKey(key, keyGroupOf(key, MAX));

/** Entries each state holds, expired or not (forEach does not filter). */
function stored(b: HeapKeyedStateBackend, name: string, kind: 'value' | 'list' | 'map' | 'reducing' | 'aggregating'): number {
  let n = 0;
  b.forEach(b.stateTable(name, kind, undefined, true), () => n++);
  return n;
}

describe('state time-to-live', () => {
  it('an expired value of every kind is never returned: visible until ttlMs after its write, absent from then on', () => {
    const clock = new ManualClock(1000);
    const b = backend(clock);
    at(b, 'k');
    const states = kinds(b);
    for (const s of Object.values(states)) s.write(5);
    clock.advance(TTL - 1);
    assert.deepEqual(states.value.read(), 5);
    assert.deepEqual(states.list.read(), [5]);
    assert.deepEqual(states.map.read(), [['e5', 5]]);
    assert.equal(states.reducing.read(), 5);
    assert.equal(states.aggregating.read(), 5);
    clock.advance(1);
    for (const [kind, s] of Object.entries(states)) assert.deepEqual(s.read(), ABSENT[kind as keyof typeof ABSENT], `${kind} state after its TTL`);
    // An expired reducing/aggregating value is not folded into: the next add starts afresh.
    states.reducing.write(7);
    states.aggregating.write(9);
    assert.equal(states.reducing.read(), 7);
    assert.equal(states.aggregating.read(), 9);
  });

  it('list elements and map entries expire one by one, each from its own write', () => {
    const clock = new ManualClock(0);
    const b = backend(clock);
    at(b, 'k');
    const s = kinds(b);
    s.list.write(1);
    s.map.write(1);
    clock.advance(60);
    s.list.write(2);
    s.map.write(2);
    clock.advance(40); // element 1 is 100 ms old, element 2 40 ms
    assert.deepEqual(s.list.read(), [2]);
    assert.deepEqual(s.map.read(), [['e2', 2]]);
    assert.equal(b.mapState('m', { ttlMs: TTL }).contains('e1'), false);
    clock.advance(60);
    assert.deepEqual(s.list.read(), []);
    assert.equal(b.mapState('m', { ttlMs: TTL }).isEmpty(), true);
  });

  it("'on-read-and-write' extends a value's life at every read; 'on-write' does not", () => {
    for (const update of ['on-write', 'on-read-and-write'] as const) {
      const clock = new ManualClock(0);
      const b = backend(clock);
      at(b, 'k');
      const s = kinds(b, { ttlMs: TTL, update });
      for (const x of Object.values(s)) x.write(3);
      for (let t = 0; t < 3; t++) {
        clock.advance(80);
        for (const x of Object.values(s)) x.read();
      }
      // 240 ms after the write, 80 after the last read.
      const expected = update === 'on-write' ? ABSENT : { value: 3, list: [3], map: [['e3', 3]], reducing: 3, aggregating: 3 };
      for (const [kind, x] of Object.entries(s)) assert.deepEqual(x.read(), expected[kind as keyof typeof expected], `${update}: ${kind}`);
    }
  });

  it('expired values are gone from the next snapshot, full or incremental, and the restored state has only the rest', () => {
    const clock = new ManualClock(0);
    const range = keyGroupRangeOf(0, 1, MAX);
    const b = new HeapKeyedStateBackend(range, clock);
    const op: StreamOperator = { uid: 'op', keyedBackend: b, collect() {}, processWatermark() {}, initialize() {}, snapshotState: () => ({ keyedBackend: b }) };
    const reuse = new Map([['op', new KeyedChunkReuse()]]);
    const chunks = new Map<string, Uint8Array>();
    const take = (id: number) => {
      const s = new SubtaskSnapshot([op], id, { jobName: 'ttl', attemptId: '1.1', subtaskIndex: 0, keyGroupRange: range }, reuse, (h, bytes) => {
        chunks.set(h.key, bytes);
      });
      s.finish();
      return s.handles;
    };
    const keys = Array.from({ length: 400 }, (_, i) => `key-${i}`);
    for (const [i, k] of keys.entries()) {
      at(b, k);
      for (const s of Object.values(kinds(b))) s.write(i);
    }
    const first = take(1);
    reuse.get('op')!.complete(1);
    clock.advance(60);
    const survivors = new Set(keys.filter((_, i) => i % 40 !== 0));
    for (const k of survivors) {
      at(b, k); // written again at 60 (lists and maps replaced whole): lives until 160
      const { value, reducing, aggregating } = kinds(b);
      for (const s of [value, reducing, aggregating]) s.write(-1);
      b.listState<number>('l', { ttlMs: TTL }).update([-1]);
      b.mapState<string, number>('m', { ttlMs: TTL }).clear();
      b.mapState<string, number>('m', { ttlMs: TTL }).put('e-1', -1);
    }
    const second = take(2);
    reuse.get('op')!.complete(2);
    clock.advance(90); // now 150: the ten keys written only at 0 expired, nothing else changed
    const third = take(3);
    const payloads = (handles: readonly StateHandle[]) => [...handles].sort(chainOrder).map((h) => decodeChunk(chunks.get(h.key)!, 'keyed-state').payload as KeyedStatePayload);
    const keysIn = (ps: KeyedStatePayload[], state: string) => {
      const live = new Set<unknown>();
      for (const p of ps) {
        for (const [, states] of p.groups) for (const k of states[state]?.keys() ?? []) live.add(k);
        for (const [, removed] of p.deleted ?? []) for (const k of removed[state] ?? []) live.delete(k);
      }
      return live;
    };
    assert.ok(third.some((h) => h.part === 'delta'), 'checkpoint 3 is incremental: deltas over checkpoint 2');
    for (const state of ['v', 'l', 'm', 'r', 'a']) {
      assert.equal(keysIn(payloads(first), state).size, keys.length, `checkpoint 1 holds every key of '${state}'`);
      assert.equal(keysIn(payloads(second), state).size, keys.length, `checkpoint 2 holds every key of '${state}'`);
      assert.deepEqual(keysIn(payloads(third), state), survivors, `checkpoint 3 holds only the keys written again of '${state}'`);
    }
    const second3 = payloads(third);
    // Restored (TTL timestamps with it) at another parallelism, on a clock where the survivors expire 1 ms later.
    const restoredClock = new ManualClock(159);
    const restored = [0, 1].map((i) => new HeapKeyedStateBackend(keyGroupRangeOf(i, 2, MAX), restoredClock));
    for (const r of restored) r.restore(second3);
    const read = () => keys.filter((k) => {
      const r = restored.find((x) => keyGroupOf(k, MAX) >= x.keyGroupRange.start && keyGroupOf(k, MAX) <= x.keyGroupRange.end)!;
      at(r, k);
      return r.valueState<number>('v', { ttlMs: TTL }).value() === -1 && r.listState<number>('l', { ttlMs: TTL }).get().length === 1;
    });
    assert.deepEqual(new Set(read()), survivors);
    restoredClock.advance(1);
    assert.deepEqual(read(), []);
  });

  it('incremental cleanup removes a bounded number of expired entries per access', () => {
    const clock = new ManualClock(0);
    const b = backend(clock);
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
    for (const k of keys) {
      at(b, k);
      b.valueState<number>('v', { ttlMs: TTL }).update(1);
    }
    clock.advance(TTL);
    at(b, 'other');
    const v = b.valueState<number>('v', { ttlMs: TTL });
    const counts = [stored(b, 'v', 'value')];
    for (let i = 0; i < 10; i++) {
      v.value();
      counts.push(stored(b, 'v', 'value'));
    }
    assert.deepEqual(counts, Array.from({ length: 11 }, (_, i) => 200 - 5 * i));
    for (let i = 0; i < 40; i++) v.value();
    assert.equal(stored(b, 'v', 'value'), 0);
  });

  it('a state stored with a TTL is refused without one after a restore (and the other way round)', () => {
    const clock = new ManualClock(0);
    const b = backend(clock);
    at(b, 'k');
    b.valueState<number>('v', { ttlMs: TTL }).update(1);
    b.valueState<number>('plain').update(1);
    const payload = decodeChunk(encodeChunk('keyed-state', b.snapshot()), 'keyed-state').payload as KeyedStatePayload;
    const r = backend(clock);
    r.restore([payload]);
    at(r, 'k');
    assert.throws(() => r.valueState<number>('v'), { code: 'STATE_MISMATCH', message: /'v' was stored with a time-to-live/ });
    assert.throws(() => r.valueState<number>('plain', { ttlMs: 5 }), { code: 'STATE_MISMATCH', message: /'plain' was stored without a time-to-live/ });
    assert.equal(r.valueState<number>('v', { ttlMs: TTL }).value(), 1);
    assert.throws(() => r.valueState<number>('v', { ttlMs: TTL + 1 }), { code: 'INVALID_ARGUMENT', message: /every use of a state must give the same time-to-live/ });
  });

  it('a restored chunk whose TTL state holds a value without its timestamp is refused as corrupt; readers can take the timestamps apart', () => {
    const clock = new ManualClock(7);
    const b = backend(clock);
    at(b, 'k');
    const s = kinds(b);
    for (const x of Object.values(s)) x.write(1);
    const payload = decodeChunk(encodeChunk('keyed-state', b.snapshot()), 'keyed-state').payload as KeyedStatePayload;
    assert.deepEqual([...payload.ttl!].sort(), ['a', 'l', 'm', 'r', 'v']);
    assert.doesNotThrow(() => checkKeyedStatePayload(payload, 'chunk'));
    const states = payload.groups[0]![1];
    assert.deepEqual(unstamped('list', states.l!.get('k')), { value: [1], lastAccess: [7] });
    assert.deepEqual(unstamped('map', states.m!.get('k')), { value: new Map([['e1', 1]]), lastAccess: new Map([['e1', 7]]) });
    assert.deepEqual(unstamped('value', states.v!.get('k')), { value: 1, lastAccess: 7 });
    for (const [name, bad] of [['v', 1], ['l', [1]], ['m', new Map([['e1', 1]])], ['r', ['7', 1]]] as const) {
      const broken = { ...payload, groups: [[payload.groups[0]![0], { ...states, [name]: new Map([['k', bad]]) }]] };
      assert.throws(() => checkKeyedStatePayload(broken, 'chunk'), { code: 'CORRUPT_DATA', message: /without its time-to-live timestamps/ }, name);
    }
  });
});
