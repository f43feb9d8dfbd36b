// The aligned window operator (event-time tumbling and sliding windows with an incremental
// function, kept by window rather than by key) against the general WindowOperator: seeded random
// scripts of out-of-order and late records and watermarks give the same results and the same late
// records, also when the aligned one is snapshotted (copy-on-write, encoded in slices while more
// records arrive) and restored in the middle.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyGroupOf } from '../../../src/graph/key-groups.js';
import { fieldAccumulator } from '../../../src/api/field-aggregation.js';
import type { AggregateFunction, WindowFunctionSpec, WindowSpec } from '../../../src/graph/windowing.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import { OutputPressure } from '../../../src/runtime/operators/output-pressure.js';
import { ElementTimestamp } from '../../../src/runtime/operators/element-timestamp.js';
import type { OperatorContext, Output, StreamOperator } from '../../../src/runtime/operators/stream-operator.js';
import { AlignedWindowOperator, isAlignedWindow } from '../../../src/runtime/operators/window/aligned-window-operator.js';
import { isPanedWindow, PanedWindowOperator } from '../../../src/runtime/operators/window/paned-window-operator.js';
import { WindowOperator } from '../../../src/runtime/operators/window/window-operator.js';
import { chainOrder, KeyedChunkReuse } from '../../../src/runtime/task/keyed-chunk-reuse.js';
import { SubtaskSnapshot } from '../../../src/runtime/task/subtask-snapshot.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';
import { decodeChunk } from '../../../src/state/chunk-format.js';
import type { KeyedStatePayload } from '../../../src/state/heap-keyed-state-backend.js';
import { seededRandom } from '../../support/seeded-random.js';

const MAX = 128;
const LATE = 'late';
const range = { start: 0, end: MAX - 1 };

type Step = { kind: 'record'; key: string | number; value: number; ts: number } | { kind: 'watermark'; ts: number };

type Make = (ctx: OperatorContext, output: Output) => StreamOperator;

/**
 * Runs a script through an operator; `restartAt`: snapshot there (encoding the keyed state one
 * slice, then the rest after `gap` steps) and restore into a fresh operator (`restoreInto`, by
 * default one like the first, given the snapshot as `migrate` rewrites it).
 */
function runScript(
  make: Make, steps: Step[], restartAt?: number, restoreInto: Make = make, migrate: (p: KeyedStatePayload) => KeyedStatePayload = (p) => p, gap = 1,
  record: (key: string | number, value: number, t: number) => unknown = (key, value, t) => ({ key, value, t }),
) {
  const out: string[] = [];
  const late: number[] = [];
  const ts = new ElementTimestamp();
  const output: Output = {
    collect: (v) => out.push(`${ts.value}:${JSON.stringify(v)}`),
    collectBatch: (records, n, timestamps) => {
      for (let i = 0; i < n; i++) out.push(`${timestamps?.[i] ?? ts.value}:${JSON.stringify(records[i])}`);
    },
    collectSide: (tag, v) => {
      assert.equal(tag, LATE);
      late.push((v as { value: number }).value);
    },
    emitWatermark: () => {},
    flush: () => {},
  };
  const clock = new ManualClock(0);
  const ctx: OperatorContext = {
    jobName: 'w', operatorUid: 'window', operatorName: 'window', subtaskIndex: 0, parallelism: 1, maxParallelism: MAX,
    keyGroupRange: range, clock, storage: new MemoryCheckpointStorage(), commitFence: undefined, attemptId: '1.1', warn: () => {}, pressure: new OutputPressure(),
    elementTimestamp: ts, autoWatermarkIntervalMs: 0, emitWatermarkStatus: () => {},
    scheduleAt: () => ({ cancel: () => {} }),
  };
  let op = make(ctx, output);
  let outAt = 0;
  let lateAt = 0;
  let pending: { snapshot: SubtaskSnapshot; chunks: Map<string, Uint8Array> } | undefined;
  const finishRestart = () => {
    const { snapshot, chunks } = pending!;
    pending = undefined;
    snapshot.finish();
    const keyedState = [...snapshot.handles].sort(chainOrder).map((h) => migrate(decodeChunk(chunks.get(h.key)!, 'keyed-state').payload as KeyedStatePayload));
    op = restoreInto(ctx, output);
    op.initialize({ checkpointId: 1, keyedState, operatorState: [] });
  };
  steps.forEach((step, i) => {
    if (i === restartAt) {
      const chunks = new Map<string, Uint8Array>();
      const snapshot = new SubtaskSnapshot([op], 1, { jobName: 'w', attemptId: '1.1', subtaskIndex: 0, keyGroupRange: range }, new Map([[op.uid, new KeyedChunkReuse()]]), (h, b) => void chunks.set(h.key, b));
      snapshot.step(1);
      pending = { snapshot, chunks };
      // The rest of the script until the restore goes to the old operator: what it does after the snapshot must not show in it.
    }
    if (i === restartAt) {
      outAt = out.length;
      lateAt = late.length;
    }
    const apply = (step: Step) => {
      if (step.kind === 'record') {
        ts.value = step.ts;
        op.keyedBackend!.setCurrentKey(step.key, keyGroupOf(step.key, MAX));
        op.collect(record(step.key, step.value, step.ts));
      } else op.processWatermark(step.ts);
    };
    apply(step);
    if (pending !== undefined && (i === restartAt! + gap - 1 || i === steps.length - 1)) {
      // Undo what the old operator did after the barrier: restore the snapshot and replay these steps on the new one.
      out.length = outAt;
      late.length = lateAt;
      finishRestart();
      for (const replayed of steps.slice(restartAt, i + 1)) apply(replayed);
    }
  });
  op.processWatermark(Infinity);
  return { out: [...out].sort(), late: [...late].sort((a, b) => a - b) };
}

/** Keys of odd seeds: numbers in two key groups (several keys per group), small (slots in an array), past SMALL_KEY_LIMIT (2^20) and negative (slots in a Map). */
const NUMBER_KEYS = [0, 1 << 20, -1].flatMap((from) => {
  const keys: number[] = [];
  for (let x = from; keys.length < 4; x += from < 0 ? -1 : 1) if (keyGroupOf(x, MAX) < 2) keys.push(x);
  return keys;
});

function script(seed: number, length: number): Step[] {
  const random = seededRandom(seed);
  const steps: Step[] = [];
  let time = 0;
  let watermark = -Infinity;
  for (let i = 0; i < length; i++) {
    if (random() < 0.15) {
      watermark = Math.max(watermark, time - Math.floor(random() * 30));
      steps.push({ kind: 'watermark', ts: watermark });
    } else {
      time += Math.floor(random() * 4);
      const k = Math.floor(random() * 12);
      const key = seed % 2 === 0 ? `k${k}` : NUMBER_KEYS[k]!;
      steps.push({ kind: 'record', key, value: Math.floor(random() * 100), ts: time - Math.floor(random() * 40) });
    }
  }
  return steps;
}

const sum: WindowFunctionSpec = {
  kind: 'aggregate',
  fn: {
    create: () => ({ key: '', value: 0 }),
    add: (acc: { key: string; value: number }, r: { key: string; value: number }) => ({ key: r.key, value: acc.value + r.value }),
    result: (acc: unknown) => acc,
  },
} as WindowFunctionSpec;

/**
 * An aggregate with merge, so sliding windows keep it in panes: its accumulator changes in place,
 * and its merge changes both arguments (Flink's contract lets it), so a pane a later window still
 * needs must reach it as a copy. Order-independent: any order of merges gives WindowOperator's result.
 */
const mergingSum: WindowFunctionSpec = {
  kind: 'aggregate',
  fn: {
    create: () => ({ key: '', value: 0, n: 0, min: Infinity }),
    add: (acc: { key: string; value: number; n: number; min: number }, r: { key: string; value: number }) => {
      acc.key = r.key;
      acc.value += r.value;
      acc.n++;
      acc.min = Math.min(acc.min, r.value);
      return acc;
    },
    merge: (a: { key: string; value: number; n: number; min: number }, b: { key: string; value: number; n: number; min: number }) => {
      a.key = b.key;
      a.value += b.value;
      a.n += b.n;
      a.min = Math.min(a.min, b.min);
      b.value = b.n = -1; // what a merge may do to the accumulator it consumed
      return a;
    },
    result: (acc: unknown) => acc,
  },
} as WindowFunctionSpec;

/** What windowed sum/min/max('value') build: an accumulator per window, or per slide (pane) merged when a window fires. */
const fieldFunctions = (['sum', 'min', 'max'] as const).map((method): [string, WindowFunctionSpec] => {
  const { fn, field } = fieldAccumulator(method, 'value');
  return [method, { kind: 'aggregate', fn: fn as AggregateFunction<unknown, unknown, unknown>, field }];
});

describe('aligned event-time windows', () => {
  for (const [assigner, [fnName, windowFunction]] of [
    [{ kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' }, ['aggregate', sum]],
    [{ kind: 'sliding', sizeMs: 30, slideMs: 10, offsetMs: 5, time: 'event' }, ['aggregate', sum]],
    [{ kind: 'sliding', sizeMs: 20, slideMs: 30, offsetMs: 0, time: 'event' }, ['aggregate', sum]],
    ...fieldFunctions.map((f) => [{ kind: 'sliding', sizeMs: 30, slideMs: 10, offsetMs: 5, time: 'event' }, f] as const),
    [{ kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' }, fieldFunctions[0]!],
    [{ kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' }, fieldFunctions[2]!],
    [{ kind: 'sliding', sizeMs: 20, slideMs: 30, offsetMs: 0, time: 'event' }, fieldFunctions[1]!],
    [{ kind: 'sliding', sizeMs: 30, slideMs: 20, offsetMs: 0, time: 'event' }, fieldFunctions[0]!],
    [{ kind: 'sliding', sizeMs: 30, slideMs: 10, offsetMs: 5, time: 'event' }, ['aggregate with merge', mergingSum]],
    [{ kind: 'sliding', sizeMs: 40, slideMs: 20, offsetMs: 0, time: 'event' }, ['aggregate with merge', mergingSum]],
    [{ kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' }, ['aggregate with merge', mergingSum]],
  ] as const) {
    it(`${assigner.kind} ${assigner.sizeMs}/${'slideMs' in assigner ? assigner.slideMs : assigner.sizeMs} ms, ${fnName}: the same results and late records as the general window operator, with or without a restore anywhere`, () => {
      const spec: WindowSpec = { assigner, function: windowFunction, allowedLatenessMs: 0, lateDataTag: LATE };
      assert.ok(isAlignedWindow(spec));
      const paned = isPanedWindow(spec);
      assert.equal(paned, fnName !== 'aggregate' && assigner.kind === 'sliding' && assigner.sizeMs % assigner.slideMs === 0 && assigner.slideMs < assigner.sizeMs, 'sliding sum/min/max and aggregates with merge go into panes where the slide divides the size');
      const aligned = (ctx: OperatorContext, output: Output) => (paned ? new PanedWindowOperator('window', output, ctx, spec) : new AlignedWindowOperator('window', output, ctx, spec));
      const general = (ctx: OperatorContext, output: Output) => new WindowOperator('window', output, ctx, spec);
      for (let seed = 1; seed <= 6; seed++) {
        const steps = script(seed, 300);
        const reference = runScript(general, steps);
        assert.ok(reference.out.length > 20 && reference.late.length > 0, `seed ${seed} exercises firing and late records`);
        assert.deepEqual(runScript(aligned, steps), reference, `seed ${seed}`);
        for (const at of [1, 37, 150, 299]) assert.deepEqual(runScript(aligned, steps, at), reference, `seed ${seed}, restored at step ${at}`);
      }
    });
  }
});

describe('aligned windows filling a fired window\'s columns again', () => {
  it('keep a snapshot being encoded as it was at its barrier, while windows fire and others open in their columns before it is written', () => {
    for (const [assigner, windowFunction] of [
      [{ kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' }, fieldFunctions[0]![1]],
      [{ kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' }, sum],
      [{ kind: 'sliding', sizeMs: 20, slideMs: 30, offsetMs: 0, time: 'event' }, fieldFunctions[1]![1]],
    ] as const) {
      const spec: WindowSpec = { assigner, function: windowFunction, allowedLatenessMs: 0, lateDataTag: LATE };
      const aligned = (ctx: OperatorContext, output: Output) => new AlignedWindowOperator('window', output, ctx, spec);
      const general = (ctx: OperatorContext, output: Output) => new WindowOperator('window', output, ctx, spec);
      for (let seed = 1; seed <= 4; seed++) {
        const steps = script(seed, 300);
        const reference = runScript(general, steps);
        // 80 steps between the snapshot and its last slice: several windows fire meanwhile and the next ones open in their columns.
        for (const at of [10, 120, 210]) assert.deepEqual(runScript(aligned, steps, at, aligned, (p) => p, 80), reference, `${assigner.kind}, seed ${seed}, restored at step ${at}`);
      }
    }
  });
});

describe('aligned sum/min/max windows', () => {
  it('keep a window\'s first record as a plain copy when it is no plain object (state holds plain data), with the same results', () => {
    class Reading {
      constructor(readonly key: string | number, readonly value: number, readonly t: number) {}
    }
    const spec: WindowSpec = { assigner: { kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' }, function: fieldFunctions[0]![1], allowedLatenessMs: 0, lateDataTag: LATE };
    const aligned = (ctx: OperatorContext, output: Output) => new AlignedWindowOperator('window', output, ctx, spec);
    const steps = script(2, 300);
    const reference = runScript(aligned, steps);
    for (const at of [40, 200]) {
      assert.deepEqual(runScript(aligned, steps, at, aligned, (p) => p, 1, (key, value, t) => new Reading(key, value, t)), reference, `restored at step ${at}`);
    }
  });
});

/** WindowOperator's payload (a key's windows by start) in the layout earlier aligned operators kept: a window's keys by window start. */
function asWindowSlices(p: KeyedStatePayload): KeyedStatePayload {
  if (p.kinds.windows === undefined) return p;
  const groups = p.groups.map(([kg, states]): [number, Record<string, Map<unknown, unknown>>] => {
    const slices = new Map<number, Map<unknown, unknown>>();
    for (const [key, windows] of states.windows as Map<unknown, Map<number, unknown>>) {
      for (const [start, contents] of windows) {
        let keys = slices.get(start);
        if (keys === undefined) slices.set(start, (keys = new Map()));
        keys.set(key, contents);
      }
    }
    return [kg, { 'window-slices': slices }];
  });
  return { ...p, kinds: { 'window-slices': 'value' }, groups } as KeyedStatePayload;
}

/** The same windows as AlignedWindowOperator keeps them now: a window's columns of keys, counts and accumulators by window start. */
function asWindowColumns(p: KeyedStatePayload): KeyedStatePayload {
  if (p.kinds.windows === undefined) return p;
  const groups = p.groups.map(([kg, states]): [number, Record<string, Map<unknown, unknown>>] => {
    const columns = new Map<number, { s: number; e: number; k: unknown[]; n: number[]; a: unknown[] }>();
    for (const [key, windows] of states.windows as Map<unknown, Map<number, { s: number; e: number; n: number; a: unknown }>>) {
      for (const [start, c] of windows) {
        let column = columns.get(start);
        if (column === undefined) columns.set(start, (column = { s: c.s, e: c.e, k: [], n: [], a: [] }));
        column.k.push(key);
        column.n.push(c.n);
        column.a.push(c.a);
      }
    }
    return [kg, { 'window-columns': columns }];
  });
  return { ...p, kinds: { 'window-columns': 'value' }, groups } as KeyedStatePayload;
}

/**
 * The same windows as AlignedWindowOperator keeps them now, with accumulators (not a field's
 * numbers, which a field sum keeps: restored into one, its groups are taken over).
 */
function asWindowGroups(p: KeyedStatePayload): KeyedStatePayload {
  if (p.kinds.windows === undefined) return p;
  const groups = p.groups.map(([kg, states]): [number, Record<string, Map<unknown, unknown>>] => {
    const gw = { k: [] as unknown[], f: null, w: [] as { s: number; e: number; n: number[]; a: unknown[]; v: number[] }[] };
    for (const [key, windows] of states.windows as Map<unknown, Map<number, { s: number; e: number; n: number; a: unknown }>>) {
      const slot = gw.k.push(key) - 1;
      for (const [start, c] of windows) {
        let win = gw.w.find((w) => w.s === start);
        if (win === undefined) gw.w.push((win = { s: c.s, e: c.e, n: [], a: [], v: [] }));
        while (win.n.length <= slot) win.n.push(0), win.a.push(undefined);
        win.n[slot] = c.n;
        win.a[slot] = c.a;
      }
    }
    for (const win of gw.w) while (win.n.length < gw.k.length) win.n.push(0), win.a.push(undefined);
    gw.w.sort((x, y) => x.s - y.s);
    return [kg, { 'window-groups': new Map([[0, gw]]) }];
  });
  return { ...p, kinds: { 'window-groups': 'value' }, groups } as KeyedStatePayload;
}

type KeyPanes = { s: number[]; n: number[]; q: number[]; a: unknown[]; v?: number[] };
type GroupPanes = { k: unknown[]; f: string | null; p: { s: number; n: number[]; a: unknown[]; v: number[]; q: number[] }[]; w: unknown[] };

/**
 * PanedWindowOperator's panes (columns by key slot per group) as builds before kept them: per key,
 * its panes as columns in creation order (`key-panes`); `v` as sum/min/max kept it apart.
 */
function asKeyPanes(p: KeyedStatePayload, count: (panes: number) => void = () => {}): KeyedStatePayload {
  if (p.kinds['pane-groups'] === undefined) return p; // a span without state
  const groups = p.groups.map(([kg, states]): [number, Record<string, Map<unknown, unknown>>] => {
    const byKey = new Map<unknown, KeyPanes>();
    for (const gp of (states['pane-groups'] as Map<unknown, GroupPanes>).values()) {
      assert.equal(gp.w.length, 0, 'no whole windows left over from a restore');
      gp.k.forEach((key, i) => {
        if (key === null) return;
        const panes = gp.p.filter((pane) => i < pane.n.length && pane.n[i]! > 0).sort((x, y) => x.q[i]! - y.q[i]!);
        if (panes.length === 0) return;
        count(panes.length);
        byKey.set(key, { s: panes.map((x) => x.s), n: panes.map((x) => x.n[i]!), q: panes.map((x) => x.q[i]!), a: panes.map((x) => x.a[i]), v: gp.f === null ? undefined : panes.map((x) => x.v[i]!) });
      });
    }
    return [kg, { 'key-panes': byKey }];
  });
  return { ...p, kinds: { 'key-panes': 'value' }, groups } as KeyedStatePayload;
}

/** The same panes in the layout before KeyPanes: per key, pane start → an object per pane. */
const asPaneMaps = (slideMs: number, migrated: { panes: number }) => (p: KeyedStatePayload): KeyedStatePayload => {
  const keyed = asKeyPanes(p, (n) => (migrated.panes += n));
  if (keyed.kinds['key-panes'] === undefined) return keyed;
  const groups = keyed.groups.map(([kg, states]): [number, Record<string, Map<unknown, unknown>>] => {
    const byKey = new Map<unknown, Map<number, unknown>>();
    for (const [key, panes] of states['key-panes'] as Map<unknown, KeyPanes>) {
      // That layout kept accumulators: sum/min/max's first records with their field ('value') combined, where panes now keep the field apart.
      const acc = (i: number) => (panes.v === undefined || panes.n[i] === 0 ? panes.a[i] : { ...(panes.a[i] as object), value: panes.v[i] });
      // Insertion order unlike creation order: the restore must order panes by q, not by the Map.
      const order = panes.s.map((_, i) => i).reverse();
      byKey.set(key, new Map(order.map((i) => [panes.s[i]!, { s: panes.s[i]!, e: panes.s[i]! + slideMs, n: panes.n[i]!, a: acc(i), q: panes.q[i]! }])));
    }
    return [kg, { 'window-panes': byKey }];
  });
  return { ...p, kinds: { 'window-panes': 'value' }, groups } as KeyedStatePayload;
};

describe('aligned and paned event-time windows restore what other layouts checkpointed', () => {
  const layouts = [
    ['WindowOperator (windows by key)', (p: KeyedStatePayload) => p],
    ['earlier aligned operators (keys by window)', asWindowSlices],
    ['aligned operators (columns by window)', asWindowColumns],
    ['aligned operators (key slots by group, accumulators)', asWindowGroups],
  ] as const;
  const assigners = [
    { kind: 'sliding', sizeMs: 30, slideMs: 10, offsetMs: 5, time: 'event' },
    { kind: 'tumbling', sizeMs: 20, offsetMs: 0, time: 'event' },
  ] as const;
  for (const assigner of assigners) {
    for (const [layout, migrate] of layouts) {
      for (const [fnName, windowFunction] of [['aggregate', sum], ['aggregate with merge', mergingSum], fieldFunctions[0]!] as const) {
        it(`${assigner.kind} ${fnName}, from ${layout}: the same results and late records as without a restore`, () => {
          const spec: WindowSpec = { assigner, function: windowFunction, allowedLatenessMs: 0, lateDataTag: LATE };
          const aligned = (ctx: OperatorContext, output: Output) => (isPanedWindow(spec) ? new PanedWindowOperator('window', output, ctx, spec) : new AlignedWindowOperator('window', output, ctx, spec));
          const general = (ctx: OperatorContext, output: Output) => new WindowOperator('window', output, ctx, spec);
          for (let seed = 1; seed <= 4; seed++) {
            const steps = script(seed, 300);
            const reference = runScript(general, steps);
            for (const at of [37, 150, 250]) assert.deepEqual(runScript(general, steps, at, aligned, migrate), reference, `seed ${seed}, restored at step ${at}`);
          }
        });
      }
    }
  }

  for (const [fnName, windowFunction] of fieldFunctions) {
    it(`sliding ${fnName}, from paned operators before (an object per pane): the same results and late records as without a restore`, () => {
      const spec: WindowSpec = { assigner: { kind: 'sliding', sizeMs: 30, slideMs: 10, offsetMs: 5, time: 'event' }, function: windowFunction, allowedLatenessMs: 0, lateDataTag: LATE };
      assert.ok(isPanedWindow(spec));
      const paned = (ctx: OperatorContext, output: Output) => new PanedWindowOperator('window', output, ctx, spec);
      const general = (ctx: OperatorContext, output: Output) => new WindowOperator('window', output, ctx, spec);
      const migrated = { panes: 0 };
      for (let seed = 1; seed <= 4; seed++) {
        const steps = script(seed, 300);
        const reference = runScript(general, steps);
        for (const at of [37, 150, 250]) assert.deepEqual(runScript(paned, steps, at, paned, asPaneMaps(10, migrated)), reference, `seed ${seed}, restored at step ${at}`);
      }
      assert.ok(migrated.panes > 12, `the restores took panes over from the older layout (${migrated.panes})`);
    });

    it(`sliding ${fnName}, from paned operators that kept panes per key (columns per key): the same results and late records as without a restore`, () => {
      const spec: WindowSpec = { assigner: { kind: 'sliding', sizeMs: 30, slideMs: 10, offsetMs: 5, time: 'event' }, function: windowFunction, allowedLatenessMs: 0, lateDataTag: LATE };
      const paned = (ctx: OperatorContext, output: Output) => new PanedWindowOperator('window', output, ctx, spec);
      const general = (ctx: OperatorContext, output: Output) => new WindowOperator('window', output, ctx, spec);
      let migrated = 0;
      for (let seed = 1; seed <= 4; seed++) {
        const steps = script(seed, 300);
        const reference = runScript(general, steps);
        for (const at of [37, 150, 250]) assert.deepEqual(runScript(paned, steps, at, paned, (p) => asKeyPanes(p, (n) => (migrated += n))), reference, `seed ${seed}, restored at step ${at}`);
      }
      assert.ok(migrated > 12, `the restores took key panes over (${migrated})`);
    });

    it(`sliding ${fnName}, from paned operators that kept accumulators in their columns: the same results and late records as without a restore`, () => {
      const spec: WindowSpec = { assigner: { kind: 'sliding', sizeMs: 30, slideMs: 10, offsetMs: 5, time: 'event' }, function: windowFunction, allowedLatenessMs: 0, lateDataTag: LATE };
      const paned = (ctx: OperatorContext, output: Output) => new PanedWindowOperator('window', output, ctx, spec);
      const general = (ctx: OperatorContext, output: Output) => new WindowOperator('window', output, ctx, spec);
      const migrated = { panes: 0 };
      for (let seed = 1; seed <= 4; seed++) {
        const steps = script(seed, 300);
        const reference = runScript(general, steps);
        for (const at of [37, 150, 250]) assert.deepEqual(runScript(paned, steps, at, paned, asAccumulatorPanes(migrated)), reference, `seed ${seed}, restored at step ${at}`);
      }
      assert.ok(migrated.panes > 12, `the restores took accumulator panes over (${migrated.panes})`);
    });
  }
});

/** KeyPanes as builds before kept them: accumulators (first records with 'value' combined) in `a`, no `v`. */
const asAccumulatorPanes = (migrated: { panes: number }) => (p: KeyedStatePayload): KeyedStatePayload => {
  const keyed = asKeyPanes(p);
  if (keyed.kinds['key-panes'] === undefined) return keyed;
  const groups = keyed.groups.map(([kg, states]): [number, Record<string, Map<unknown, unknown>>] => {
    const byKey = new Map<unknown, unknown>();
    for (const [key, panes] of states['key-panes'] as Map<unknown, KeyPanes>) {
      assert.ok(panes.v !== undefined, 'sum/min/max panes keep their field apart');
      migrated.panes += panes.s.length;
      byKey.set(key, { s: panes.s, n: panes.n, q: panes.q, a: panes.a.map((a, i) => (panes.n[i] === 0 ? a : { ...(a as object), value: panes.v![i] })) });
    }
    return [kg, { 'key-panes': byKey }];
  });
  return { ...keyed, groups } as KeyedStatePayload;
};
