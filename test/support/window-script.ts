// Seeded scripts of records and watermarks run through a window operator, snapshotted and restored anywhere (the aligned window tests).
import assert from 'node:assert/strict';
import { keyGroupOf } from '../../src/graph/key-groups.js';
import { fieldAccumulator } from '../../src/api/field-aggregation.js';
import type { AggregateFunction, WindowFunctionSpec } from '../../src/graph/windowing.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { OutputPressure } from '../../src/runtime/operators/output-pressure.js';
import { ElementTimestamp } from '../../src/runtime/operators/element-timestamp.js';
import type { OperatorContext, Output, StreamOperator } from '../../src/runtime/operators/stream-operator.js';
import { chainOrder, KeyedChunkReuse } from '../../src/runtime/task/keyed-chunk-reuse.js';
import { SubtaskSnapshot } from '../../src/runtime/task/subtask-snapshot.js';
import { MemoryCheckpointStorage } from '../../src/state/backends/memory-storage.js';
import { decodeChunk } from '../../src/state/chunk-format.js';
import type { KeyedStatePayload } from '../../src/state/heap-keyed-state-backend.js';
import { seededRandom } from './seeded-random.js';

export const MAX = 128;
export const LATE = 'late';
export const range = { start: 0, end: MAX - 1 };

export type Step = { kind: 'record'; key: string | number; value: number; ts: number } | { kind: 'watermark'; ts: number };

export type Make = (ctx: OperatorContext, output: Output) => StreamOperator;

/**
 * Runs a script through an operator; `restartAt`: snapshot there (encoding the keyed state one
 * slice, then the rest after `gap` steps) and restore into a fresh operator (`restoreInto`, by
 * default one like the first, given the snapshot as `migrate` rewrites it).
 */
export function runScript(
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
  const ctx = contextFor(ts);
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

export function script(seed: number, length: number): Step[] {
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

/** What windowed sum/min/max('value') build: an accumulator per window, or per slide (pane) merged when a window fires. */
export const fieldFunctions = (['sum', 'min', 'max'] as const).map((method): [string, WindowFunctionSpec] => {
  const { fn, field } = fieldAccumulator(method, 'value');
  return [method, { kind: 'aggregate', fn: fn as AggregateFunction<unknown, unknown, unknown>, field }];
});

/** A context of one subtask holding every key group (MAX), its element timestamp `ts`. */
export function contextFor(ts = new ElementTimestamp()): OperatorContext {
  const clock = new ManualClock(0);
  return {
    jobName: 'w', operatorUid: 'window', operatorName: 'window', subtaskIndex: 0, parallelism: 1, maxParallelism: MAX,
    keyGroupRange: range, clock, storage: new MemoryCheckpointStorage(), commitFence: undefined, attemptId: '1.1', warn: () => {}, pressure: new OutputPressure(),
    elementTimestamp: ts, autoWatermarkIntervalMs: 0, emitWatermarkStatus: () => {},
    scheduleAt: () => ({ cancel: () => {} }),
  };
}
