// Aligned and paned windows take keyed batches that come without key groups (an edge with one
// downstream subtask sends none: collectKeyedByKey) and find each key's group themselves: the same
// results as batches with groups, and every key kept in its own key group (what snapshots, restores
// and rescales cut by), for small integer keys (groups by array), strings, negative, fractional
// and large numbers (groups hashed or by the cache).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldAccumulator } from '../../../src/api/field-aggregation.js';
import { keyGroupOf } from '../../../src/graph/key-groups.js';
import type { AggregateFunction, WindowSpec } from '../../../src/graph/windowing.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import { ElementTimestamp } from '../../../src/runtime/operators/element-timestamp.js';
import { OutputPressure } from '../../../src/runtime/operators/output-pressure.js';
import type { OperatorContext, Output, StreamOperator } from '../../../src/runtime/operators/stream-operator.js';
import { AlignedWindowOperator } from '../../../src/runtime/operators/window/aligned-window-operator.js';
import { PanedWindowOperator } from '../../../src/runtime/operators/window/paned-window-operator.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';
import type { StateKey } from '../../../src/state/keyed-state.js';
import { seededRandom } from '../../support/seeded-random.js';

const MAX = 128;

function context(ts: ElementTimestamp): OperatorContext {
  return {
    jobName: 'w', operatorUid: 'window', operatorName: 'window', subtaskIndex: 0, parallelism: 1, maxParallelism: MAX,
    keyGroupRange: { start: 0, end: MAX - 1 }, clock: new ManualClock(0), storage: new MemoryCheckpointStorage(), commitFence: undefined, attemptId: '1.1',
    warn: () => {}, pressure: new OutputPressure(), elementTimestamp: ts, autoWatermarkIntervalMs: 0, emitWatermarkStatus: () => {},
    scheduleAt: () => ({ cancel: () => {} }),
  };
}

const KEYS: StateKey[] = [0, 1, 2, 7, 500, 1023, 1024, 5000, (1 << 20) - 1, 1 << 20, 3_000_000, -1, -77, 2.5, 'a', 'key-17', '', true, 10n];

/** Runs seeded batches through an operator, with key groups or without (byKey); returns its results and where each key's state went. */
function run(make: (ctx: OperatorContext, output: Output) => StreamOperator, byKey: boolean, seed: number) {
  const out: string[] = [];
  const ts = new ElementTimestamp();
  const output: Output = {
    collect: (v) => out.push(`${ts.value}:${JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x))}`),
    collectBatch: () => assert.fail('windows emit record by record'),
    collectSide: () => {},
    emitWatermark: () => {},
    flush: () => {},
  };
  const op = make(context(ts), output);
  const random = seededRandom(seed);
  let time = 0;
  for (let b = 0; b < 40; b++) {
    const n = 1 + Math.floor(random() * 30);
    const records: unknown[] = [];
    const keys: StateKey[] = [];
    const timestamps: number[] = [];
    for (let i = 0; i < n; i++) {
      time += Math.floor(random() * 3);
      const key = KEYS[Math.floor(random() * KEYS.length)]!;
      keys.push(key);
      records.push({ k: String(key), value: Math.floor(random() * 100) });
      timestamps.push(time);
    }
    if (byKey) op.collectKeyedByKey!(records, keys, n, timestamps);
    else op.collectKeyed!(records, keys, keys.map((k) => keyGroupOf(k, MAX)), n, timestamps);
    if (b % 5 === 4) op.processWatermark(time - 10);
  }
  // Where each key's state is, before the last windows fire: keys by the group that holds them.
  const placed: string[] = [];
  for (const [group, states] of op.keyedBackend!.snapshot().groups) {
    for (const values of Object.values(states)) {
      for (const value of values.values()) for (const key of (value as { k: (StateKey | null)[] }).k) if (key !== null) placed.push(`${String(key)}@${group}`);
    }
  }
  op.processWatermark(Infinity);
  return { out: out.sort(), placed: placed.sort() };
}

describe('aligned and paned windows take keyed batches without key groups', () => {
  const { fn, field } = fieldAccumulator('sum', 'value');
  const sum = { kind: 'aggregate', fn: fn as AggregateFunction<unknown, unknown, unknown>, field } as const;
  const specs: [string, WindowSpec, (ctx: OperatorContext, output: Output, spec: WindowSpec) => StreamOperator][] = [
    ['tumbling (aligned)', { assigner: { kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' }, function: sum, allowedLatenessMs: 0, lateDataTag: undefined }, (c, o, s) => new AlignedWindowOperator('window', o, c, s)],
    ['sliding (paned)', { assigner: { kind: 'sliding', sizeMs: 30, slideMs: 10, offsetMs: 0, time: 'event' }, function: sum, allowedLatenessMs: 0, lateDataTag: undefined }, (c, o, s) => new PanedWindowOperator('window', o, c, s)],
  ];
  for (const [name, spec, make] of specs) {
    it(`${name}: the same results as with groups, and every key's state in keyGroupOf's group`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const withGroups = run((c, o) => make(c, o, spec), false, seed);
        const byKey = run((c, o) => make(c, o, spec), true, seed);
        assert.ok(withGroups.out.length > 50 && withGroups.placed.length > 5, `seed ${seed} fires windows and keeps open ones`);
        assert.deepEqual(byKey, withGroups, `seed ${seed}`);
        for (const p of byKey.placed) {
          const [key, group] = p.split('@') as [string, string];
          const original = KEYS.find((k) => String(k) === key)!;
          assert.equal(Number(group), keyGroupOf(original, MAX), `key ${key}`);
        }
      }
    });
  }
});
