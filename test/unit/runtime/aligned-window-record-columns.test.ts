// Aligned sum/min/max windows keep a window's first plain record as columns of its fields (the
// layout `group-columns`), not as the object: the same results as the general WindowOperator
// for records of every shape, snapshots taken while windows are open (copy-on-write) restore to
// a fault-free run, and checkpoints of the layout before (`window-groups`, first records as
// objects) restore to the same results.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WindowSpec } from '../../../src/graph/windowing.js';
import type { OperatorContext, Output } from '../../../src/runtime/operators/stream-operator.js';
import { AlignedWindowOperator } from '../../../src/runtime/operators/window/aligned-window-operator.js';
import { WindowOperator } from '../../../src/runtime/operators/window/window-operator.js';
import type { KeyedStatePayload } from '../../../src/state/heap-keyed-state-backend.js';
import { contextFor, fieldFunctions, LATE, runScript, script } from '../../support/window-script.js';

type Group = { k: unknown[]; f: string | null; p?: string[] | null; w: { s: number; e: number; n: number[]; a: unknown[]; v: number[]; c?: unknown[][] }[] };

class Reading {
  constructor(readonly key: string | number, readonly value: number, readonly t: number) {}
}

/** Records of many shapes, by value: plain ones in two field orders, with more fields, a string field, integer-like and `__proto__` names; a class instance; a null-prototype object. */
function anyShape(key: string | number, value: number, t: number): unknown {
  switch (value % 9) {
    case 0: return { value, key, t };
    case 1: return { key, value, t, extra: `x${t}` };
    case 2: return { key, value, t: `t${t}` };
    case 3: return { 2: 'two', key, value, 1: t };
    case 4: return JSON.parse(`{"key":${JSON.stringify(key)},"value":${value},"__proto__":{"t":${t}}}`);
    case 5: return new Reading(key, value, t);
    case 6: return Object.assign(Object.create(null), { key, value, t });
    default: return { key, value, t };
  }
}

const tumbling = { kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' } as const;
const specs = fieldFunctions.map(([name, windowFunction]): [string, WindowSpec] => [name, { assigner: tumbling, function: windowFunction, allowedLatenessMs: 0, lateDataTag: LATE }]);
const aligned = (spec: WindowSpec) => (ctx: OperatorContext, output: Output) => new AlignedWindowOperator('window', output, ctx, spec);
const general = (spec: WindowSpec) => (ctx: OperatorContext, output: Output) => new WindowOperator('window', output, ctx, spec);

/** The groups of a payload's state `name`. */
const groupsOf = (p: KeyedStatePayload, name: string): Group[] => p.groups.flatMap(([, states]) => [...((states[name] as Map<unknown, Group> | undefined)?.values() ?? [])]);

/** `group-columns` as the build before wrote it (`window-groups`): each first record an object in `a` again, no shape, no columns. */
function asObjectGroups(taken: { slots: number }) {
  return (p: KeyedStatePayload): KeyedStatePayload => {
    if (p.kinds['group-columns'] === undefined) return p;
    const groups = p.groups.map(([kg, states]): [number, Record<string, Map<unknown, unknown>>] => {
      const old = new Map<unknown, unknown>();
      for (const [g, gw] of states['group-columns'] as Map<unknown, Group>) {
        const w = gw.w.map(({ s, e, n, a, v, c }) => ({
          s, e, n, v,
          a: a.map((x, i) => {
            if (n[i] === 0 || x !== undefined) return x;
            taken.slots++;
            return Object.fromEntries(gw.p!.map((name, j) => [name, c![j]![i]]));
          }),
        }));
        old.set(g, { k: gw.k, f: gw.f, w });
      }
      return [kg, { 'window-groups': old }];
    });
    return { ...p, kinds: { 'window-groups': 'value' }, groups } as KeyedStatePayload;
  };
}

describe('aligned sum/min/max windows keep first records in columns', () => {
  it('hold plain records of one shape as columns of their fields (no object per key and window), checkpointed as group-columns', () => {
    const [, spec] = specs[0]!;
    const seen = { groups: 0, slots: 0 };
    const look = (p: KeyedStatePayload) => {
      assert.equal(p.kinds['window-groups'], undefined, 'no groups in the layout before');
      for (const gw of groupsOf(p, 'group-columns')) {
        seen.groups++;
        assert.deepEqual(gw.p, ['key', 'value', 't']);
        for (const win of gw.w) {
          win.n.forEach((n, i) => {
            if (n === 0) return;
            seen.slots++;
            assert.equal(win.a[i], undefined, 'no first record object');
            assert.equal(win.c![0]![i], gw.k[i], 'the key column holds the slot\'s key');
          });
        }
      }
      return p;
    };
    for (let seed = 1; seed <= 2; seed++) {
      const steps = script(seed, 300);
      const reference = runScript(general(spec), steps);
      for (const at of [60, 200]) assert.deepEqual(runScript(aligned(spec), steps, at, aligned(spec), look), reference, `seed ${seed}, restored at step ${at}`);
    }
    assert.ok(seen.groups > 4 && seen.slots > 20, `the snapshots held groups with column slots (${seen.groups}, ${seen.slots})`);
  });

  for (const [name, spec] of specs) {
    it(`${name} of records of any shape: the same results and late records as the general window operator, with restores anywhere and snapshots encoded while records arrive`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const steps = script(seed, 300);
        const reference = runScript(general(spec), steps, undefined, undefined, undefined, 1, anyShape);
        assert.deepEqual(runScript(aligned(spec), steps, undefined, undefined, undefined, 1, anyShape), reference, `seed ${seed}`);
        for (const at of [37, 150, 250]) {
          assert.deepEqual(runScript(aligned(spec), steps, at, aligned(spec), (p) => p, 1, anyShape), reference, `seed ${seed}, restored at step ${at}`);
          assert.deepEqual(runScript(aligned(spec), steps, at, aligned(spec), (p) => p, 80, anyShape), reference, `seed ${seed}, snapshot at step ${at} encoded 80 steps later`);
        }
      }
    });
  }

  it('restore checkpoints of the layout before (window-groups: first records as objects) to the same results', () => {
    for (const [name, spec] of specs) {
      const taken = { slots: 0 };
      for (let seed = 1; seed <= 4; seed++) {
        const steps = script(seed, 300);
        for (const record of [undefined, anyShape]) {
          const reference = runScript(general(spec), steps, undefined, undefined, undefined, 1, record);
          for (const at of [37, 150, 250]) assert.deepEqual(runScript(aligned(spec), steps, at, aligned(spec), asObjectGroups(taken), 1, record), reference, `${name}, seed ${seed}, restored at step ${at}`);
        }
      }
      assert.ok(taken.slots > 50, `${name}: the restores took first records over from window-groups (${taken.slots})`);
    }
  });

  it('keep a record with symbol keys as the object (a spread copies them), and records of another shape beside those in columns', () => {
    const tag = Symbol('tag');
    const out: Record<string | symbol, unknown>[] = [];
    const op = aligned(specs[0]![1])(contextFor(), { collect: (v: unknown) => out.push(v as Record<string | symbol, unknown>), collectBatch: () => {}, collectSide: () => {}, emitWatermark: () => {}, flush: () => {} } as unknown as Output) as AlignedWindowOperator;
    const records: [string, unknown][] = [['a', { key: 'a', value: 1 }], ['b', { key: 'b', value: 2, [tag]: 'kept' }], ['a', { key: 'a', value: 3 }], ['b', { key: 'b', value: 4 }], ['c', { value: 5, key: 'c' }]];
    op.collectKeyed(records.map(([, r]) => r), records.map(([k]) => k), records.map(() => 0), records.length, records.map(() => 1));
    op.processWatermark(100);
    assert.deepEqual(out.map((r) => [r.key, r.value, Object.keys(r).join(), r[tag]]), [['a', 4, 'key,value', undefined], ['b', 6, 'key,value', 'kept'], ['c', 5, 'value,key', undefined]]);
  });
});
