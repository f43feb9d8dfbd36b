// The window operator driven by scripted sequences of records and watermarks (and a manual
// clock for processing time), for every window type: on-time, out-of-order and late records,
// allowed lateness firing updates, late data to a side output, session merges, count windows,
// and a snapshot/restore in the middle that changes nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keyGroupOf } from '../../../src/graph/key-groups.js';
import type { WindowAssignerSpec, WindowFunctionSpec, WindowSpec } from '../../../src/graph/windowing.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import { OutputPressure } from '../../../src/runtime/operators/output-pressure.js';
import { ElementTimestamp } from '../../../src/runtime/operators/element-timestamp.js';
import type { OperatorContext, OperatorRestoreState, Output } from '../../../src/runtime/operators/stream-operator.js';
import { WindowOperator } from '../../../src/runtime/operators/window/window-operator.js';
import { assignWindows, windowStartOf } from '../../../src/runtime/operators/window/window-assigners.js';
import { decodeChunk, encodeChunk } from '../../../src/state/chunk-format.js';
import type { KeyedStatePayload } from '../../../src/state/heap-keyed-state-backend.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';

const MAX = 128;
const LATE = 'late';

interface Emitted {
  readonly value: unknown;
  /** The timestamp the result carries downstream (a window's end - 1). */
  readonly timestamp: number;
}

const sumOf: WindowFunctionSpec = { kind: 'reduce', fn: (a, b) => (a as number) + (b as number) };
const listOf: WindowFunctionSpec = {
  kind: 'process',
  fn: (key, elements, ctx) => ctx.emit({ key, start: ctx.window.start, end: ctx.window.end, elements }),
};

class Harness {
  readonly out: Emitted[] = [];
  readonly late: unknown[] = [];
  readonly watermarks: number[] = [];
  readonly clock = new ManualClock(0);
  readonly ts = new ElementTimestamp();
  op: WindowOperator;

  constructor(private readonly spec: WindowSpec, restored?: OperatorRestoreState) {
    this.op = this.create(restored);
  }

  private create(restored: OperatorRestoreState | undefined): WindowOperator {
    const output: Output = {
      collect: (value) => this.out.push({ value, timestamp: this.ts.value }),
      collectSide: (tag, value) => {
        assert.equal(tag, LATE);
        this.late.push(value);
      },
      collectBatch: (records, n, timestamps) => {
        for (let i = 0; i < n; i++) this.out.push({ value: records[i], timestamp: timestamps?.[i] ?? this.ts.value });
      },
      emitWatermark: (w) => this.watermarks.push(w),
      flush: () => {},
    };
    const ctx: OperatorContext = {
      jobName: 'w', operatorUid: 'window', operatorName: 'window', subtaskIndex: 0, parallelism: 1, maxParallelism: MAX,
      keyGroupRange: { start: 0, end: MAX - 1 }, clock: this.clock, storage: new MemoryCheckpointStorage(), commitFence: undefined, attemptId: '1.1', warn: () => {}, pressure: new OutputPressure(),
      elementTimestamp: this.ts, autoWatermarkIntervalMs: 0, emitWatermarkStatus: () => {},
      scheduleAt: (at, callback) => {
        const handle = this.clock.setTimeout(callback, at - this.clock.now());
        return { cancel: () => this.clock.clearTimeout(handle) };
      },
    };
    const op = new WindowOperator('window', output, ctx, this.spec);
    op.initialize(restored);
    return op;
  }

  element(key: string, value: unknown, timestamp = Number.NaN): this {
    this.op.keyedBackend.setCurrentKey(key, keyGroupOf(key, MAX));
    this.ts.value = timestamp;
    this.op.collect(value);
    return this;
  }

  watermark(w: number): this {
    this.op.processWatermark(w);
    return this;
  }

  /** Snapshots through the real chunk encoding and replaces the operator with a restored one. */
  restart(): this {
    const taken = this.op.snapshotState();
    const payloads: KeyedStatePayload[] = [];
    const roundTrip = (p: KeyedStatePayload) => payloads.push(decodeChunk(encodeChunk('keyed-state', p), 'keyed-state').payload as KeyedStatePayload);
    for (const span of taken.keyedBackend.spans()) {
      const p = taken.keyedBackend.snapshot(span);
      if (p.groups.length > 0) roundTrip(p);
    }
    roundTrip(taken.keyedExtra);
    this.op.close();
    this.op = this.create({ checkpointId: 1, keyedState: payloads, operatorState: [] });
    return this;
  }

  values(): unknown[] {
    return this.out.map((e) => e.value);
  }
}

const eventTime = (assigner: WindowAssignerSpec, fn: WindowFunctionSpec = sumOf, allowedLatenessMs = 0, lateDataTag: string | null = LATE): WindowSpec =>
  ({ assigner, function: fn, allowedLatenessMs, lateDataTag: lateDataTag ?? undefined });

describe('window assigners', () => {
  it('tumbling windows align to the epoch plus the offset, also for negative times', () => {
    assert.deepEqual(assignWindows({ kind: 'tumbling', sizeMs: 10, offsetMs: 0, time: 'event' }, 25), [{ start: 20, end: 30 }]);
    assert.deepEqual(assignWindows({ kind: 'tumbling', sizeMs: 10, offsetMs: 3, time: 'event' }, 25), [{ start: 23, end: 33 }]);
    assert.deepEqual(assignWindows({ kind: 'tumbling', sizeMs: 10, offsetMs: 0, time: 'event' }, -1), [{ start: -10, end: 0 }]);
    assert.equal(windowStartOf(20, 0, 10), 20);
  });

  it('sliding windows: a record belongs to size / slide windows, each holding it', () => {
    const windows = assignWindows({ kind: 'sliding', sizeMs: 10, slideMs: 5, offsetMs: 0, time: 'event' }, 12);
    assert.deepEqual(windows, [{ start: 10, end: 20 }, { start: 5, end: 15 }]);
    const uneven = assignWindows({ kind: 'sliding', sizeMs: 10, slideMs: 3, offsetMs: 0, time: 'event' }, 12);
    assert.deepEqual(uneven.map((w) => w.start), [12, 9, 6, 3]);
    for (const w of uneven) assert.ok(w.start <= 12 && 12 < w.end);
  });
});

describe('tumbling event-time windows', () => {
  it('fire when the watermark passes their end, in order, with out-of-order records counted', () => {
    const h = new Harness(eventTime({ kind: 'tumbling', sizeMs: 10, offsetMs: 0, time: 'event' }));
    h.element('a', 1, 3).element('a', 2, 12).element('a', 4, 7).element('b', 8, 5);
    h.watermark(8);
    assert.deepEqual(h.out, [], 'the watermark is before the end of [0,10)');
    h.watermark(9);
    assert.deepEqual(h.out, [{ value: 5, timestamp: 9 }, { value: 8, timestamp: 9 }], 'window [0,10) for a then b, stamped with end - 1');
    h.element('a', 16, 19);
    h.watermark(100);
    assert.deepEqual(h.values(), [5, 8, 18]);
    assert.deepEqual(h.watermarks, [8, 9, 100], 'watermarks pass on after the windows they complete');
  });

  it('a record behind the watermark with no lateness goes to the late side output, not into a new window', () => {
    const h = new Harness(eventTime({ kind: 'tumbling', sizeMs: 10, offsetMs: 0, time: 'event' }));
    h.element('a', 1, 3).watermark(9).element('a', 100, 4).element('a', 2, 10);
    h.watermark(19);
    assert.deepEqual(h.values(), [1, 2]);
    assert.deepEqual(h.late, [100]);
  });

  it('without a late-data tag, late records are dropped and counted', () => {
    const h = new Harness(eventTime({ kind: 'tumbling', sizeMs: 10, offsetMs: 0, time: 'event' }, sumOf, 0, null));
    h.element('a', 1, 3).watermark(9).element('a', 100, 4);
    assert.equal(h.op.lateRecordsDropped, 1);
    assert.deepEqual(h.late, []);
  });

  it('allowed lateness: each late record fires an update; past the lateness it is late', () => {
    const h = new Harness(eventTime({ kind: 'tumbling', sizeMs: 10, offsetMs: 0, time: 'event' }, sumOf, 5));
    h.element('a', 1, 3).watermark(9);
    assert.deepEqual(h.values(), [1]);
    h.element('a', 10, 8); // within lateness: fires again at once with the updated sum
    assert.deepEqual(h.values(), [1, 11]);
    h.watermark(13).element('a', 100, 2);
    assert.deepEqual(h.values(), [1, 11, 111]);
    h.watermark(14); // end - 1 + lateness = 14: purged
    h.element('a', 1000, 1);
    assert.deepEqual(h.values(), [1, 11, 111]);
    assert.deepEqual(h.late, [1000]);
    h.watermark(1000);
    assert.deepEqual(h.values(), [1, 11, 111], 'a purged window never fires again');
  });
});

describe('sliding event-time windows', () => {
  it('each record counts in every window that holds it; windows fire in end order', () => {
    const h = new Harness(eventTime({ kind: 'sliding', sizeMs: 10, slideMs: 5, offsetMs: 0, time: 'event' }, listOf));
    h.element('k', 'x', 2).element('k', 'y', 7).element('k', 'z', 12);
    h.watermark(30);
    const fired = h.values() as { start: number; end: number; elements: string[] }[];
    assert.deepEqual(fired.map((w) => [w.start, w.end, w.elements.join('')]), [
      [-5, 5, 'x'], [0, 10, 'xy'], [5, 15, 'yz'], [10, 20, 'z'],
    ]);
    assert.deepEqual(h.out.map((e) => e.timestamp), [4, 9, 14, 19]);
  });

  it('a record late for its earliest window still counts in the later ones', () => {
    const h = new Harness(eventTime({ kind: 'sliding', sizeMs: 10, slideMs: 5, offsetMs: 0, time: 'event' }));
    h.element('k', 1, 6).watermark(9); // [0,10) fires: 1
    h.element('k', 2, 7); // [0,10) is gone, [5,15) still open
    h.watermark(100);
    assert.deepEqual(h.values(), [1, 3, undefined].filter((v) => v !== undefined));
    assert.deepEqual(h.late, [], 'not late: one of its windows took it');
  });
});

describe('session windows', () => {
  const sessions = (gapMs: number, fn: WindowFunctionSpec = listOf, lateness = 0) =>
    new Harness(eventTime({ kind: 'session', gapMs, time: 'event' }, fn, lateness));

  it('records closer than the gap form one session; a gap closes it', () => {
    const h = sessions(5);
    h.element('u', 'a', 1).element('u', 'b', 4).element('u', 'c', 20).element('v', 'd', 2);
    h.watermark(100);
    const fired = (h.values() as { key: string; start: number; end: number; elements: string[] }[]).map((w) => `${w.key}:${w.start}-${w.end}:${w.elements.join('')}`);
    assert.deepEqual(fired, ['v:2-7:d', 'u:1-9:ab', 'u:20-25:c'], 'in the order their ends pass');
  });

  it('a record between two sessions merges them into one, contents in order', () => {
    const h = sessions(5);
    h.element('u', 'a', 0).element('u', 'c', 12).element('u', 'b', 6); // sessions [0,5), [6,11), [12,17)
    h.watermark(3);
    assert.deepEqual(h.values(), []);
    h.element('u', 'bridge', 5); // [5,10) touches [0,5) and [6,11): one session [0,11); [12,17) stays apart
    h.element('u', 'glue', 11); // [11,16) touches [0,11) and [12,17): all one
    h.watermark(100);
    const fired = h.values() as { start: number; end: number; elements: string[] }[];
    assert.equal(fired.length, 1, 'one merged session');
    assert.deepEqual([fired[0]!.start, fired[0]!.end], [0, 17]);
    assert.deepEqual([...fired[0]!.elements].sort(), ['a', 'b', 'bridge', 'c', 'glue']);
  });

  it('merges aggregate accumulators with merge(), reduce with the reduce function', () => {
    const agg: WindowFunctionSpec = {
      kind: 'aggregate',
      fn: { create: () => ({ n: 0 }), add: (a, _v) => ({ n: (a as { n: number }).n + 1 }), result: (a) => (a as { n: number }).n, merge: (a, b) => ({ n: (a as { n: number }).n + (b as { n: number }).n }) },
    };
    const h = sessions(5, agg);
    h.element('u', 'a', 0).element('u', 'b', 10).element('u', 'c', 5).watermark(100);
    assert.deepEqual(h.values(), [3]);
    const r = sessions(5, sumOf);
    r.element('u', 1, 0).element('u', 2, 10).element('u', 4, 5).watermark(100);
    assert.deepEqual(r.values(), [7]);
  });

  it('with allowed lateness, a late record that extends a fired session fires the merged one', () => {
    const h = sessions(5, sumOf, 20);
    h.element('u', 1, 0).watermark(10);
    assert.deepEqual(h.values(), [1]);
    h.element('u', 2, 3); // merges into [0,8), which is past the watermark: fires at once
    assert.deepEqual(h.values(), [1, 3]);
    h.watermark(100);
    assert.deepEqual(h.values(), [1, 3], 'the stale timer of the absorbed session fires nothing');
  });
});

describe('count windows (global window with a count trigger)', () => {
  it('fire and start over every n records per key, with no watermark needed', () => {
    const h = new Harness(eventTime({ kind: 'global', count: 3 }));
    for (let i = 1; i <= 7; i++) h.element(i % 2 === 0 ? 'even' : 'odd', i);
    assert.deepEqual(h.values(), [1 + 3 + 5, 2 + 4 + 6]);
    h.watermark(Infinity);
    assert.deepEqual(h.values(), [9, 12], 'an incomplete count window does not fire on the final watermark');
  });

  it('keep their count across a restore', () => {
    const h = new Harness(eventTime({ kind: 'global', count: 3 }));
    h.element('k', 1).element('k', 2).restart().element('k', 4).element('k', 8).restart().element('k', 16).element('k', 32);
    assert.deepEqual(h.values(), [7, 56]);
  });
});

describe('processing-time windows', () => {
  it('assign by the clock and fire when it passes the end', () => {
    const h = new Harness({ assigner: { kind: 'tumbling', sizeMs: 100, offsetMs: 0, time: 'processing' }, function: sumOf, allowedLatenessMs: 0, lateDataTag: undefined });
    h.element('a', 1).element('a', 2);
    h.clock.advance(50);
    h.element('a', 4);
    h.clock.advance(48);
    assert.deepEqual(h.values(), []);
    h.clock.advance(1); // time 99 = end - 1
    assert.deepEqual(h.values(), [7]);
    h.element('a', 8);
    h.clock.advance(100);
    assert.deepEqual(h.values(), [7, 8]);
  });

  it('a restored processing-time window fires when the clock passes its end', () => {
    const h = new Harness({ assigner: { kind: 'tumbling', sizeMs: 100, offsetMs: 0, time: 'processing' }, function: sumOf, allowedLatenessMs: 0, lateDataTag: undefined });
    h.element('a', 1).element('b', 2);
    h.clock.advance(10);
    h.restart();
    h.element('a', 4);
    h.clock.advance(100);
    assert.deepEqual(h.values(), [5, 2]);
  });
});

describe('snapshot and restore in the middle of open windows', () => {
  const script = (h: Harness, restartAt: number | undefined) => {
    const steps: (() => void)[] = [
      () => h.element('a', 1, 3), () => h.element('b', 2, 4), () => h.watermark(5), () => h.element('a', 4, 14),
      () => h.watermark(9), () => h.element('a', 8, 8), () => h.element('b', 16, 15), () => h.watermark(12),
      () => h.element('a', 32, 2), () => h.element('c', 64, 25), () => h.watermark(19), () => h.watermark(40),
    ];
    steps.forEach((step, i) => {
      if (i === restartAt) h.restart();
      step();
    });
    return { out: h.out, late: h.late };
  };

  it('gives exactly the output of an uninterrupted run, wherever the restore happens', () => {
    const spec = eventTime({ kind: 'tumbling', sizeMs: 10, offsetMs: 0, time: 'event' }, sumOf, 3);
    const reference = script(new Harness(spec), undefined);
    assert.ok(reference.out.length >= 4 && reference.late.length >= 1, 'the script exercises firing, lateness and late data');
    for (let at = 0; at < 12; at++) assert.deepEqual(script(new Harness(spec), at), reference, `restored before step ${at}`);
  });

  it('the restored operator resumes at the snapshotted watermark: a late record stays late', () => {
    const h = new Harness(eventTime({ kind: 'tumbling', sizeMs: 10, offsetMs: 0, time: 'event' }));
    h.element('a', 1, 3).watermark(15).restart();
    assert.equal(h.op.currentWatermark, 15);
    h.element('a', 5, 4);
    assert.deepEqual(h.late, [5]);
  });

  it('session windows and their timers survive a restore', () => {
    const spec = eventTime({ kind: 'session', gapMs: 5, time: 'event' }, sumOf);
    const run = (restartAt: number | undefined) => {
      const h = new Harness(spec);
      const steps = [() => h.element('u', 1, 0), () => h.element('u', 2, 10), () => h.watermark(3), () => h.element('u', 4, 5), () => h.watermark(100)];
      steps.forEach((s, i) => {
        if (i === restartAt) h.restart();
        s();
      });
      return h.values();
    };
    assert.deepEqual(run(undefined), [7]);
    for (let at = 0; at < 5; at++) assert.deepEqual(run(at), [7], `restored before step ${at}`);
  });
});

describe('records without timestamps', () => {
  it('an event-time window refuses them with a message that says what to do', () => {
    const h = new Harness(eventTime({ kind: 'tumbling', sizeMs: 10, offsetMs: 0, time: 'event' }));
    assert.throws(() => h.element('a', 1), /without a timestamp.*watermarks strategy/);
  });
});
