// The interval join's operator, driven record by record: which pairs it emits with which
// timestamp, which records it drops as late, and that the watermark empties its buffers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keyGroupOf } from '../../../src/graph/key-groups.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import { KeyedCoProcessOperator } from '../../../src/runtime/operators/co-process-operators.js';
import { ElementTimestamp } from '../../../src/runtime/operators/element-timestamp.js';
import { intervalJoinFunction } from '../../../src/runtime/operators/interval-join.js';
import { OutputPressure } from '../../../src/runtime/operators/output-pressure.js';
import type { OperatorContext, Output } from '../../../src/runtime/operators/stream-operator.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';

const MAX = 128;

function harness(lowerMs: number, upperMs: number) {
  const out: { value: unknown; timestamp: number }[] = [];
  const ts = new ElementTimestamp();
  const clock = new ManualClock(0);
  const output: Output = {
    collect: (value) => out.push({ value, timestamp: ts.value }),
    collectBatch: () => assert.fail('no batches'),
    collectSide: () => assert.fail('no side outputs'),
    emitWatermark: () => {},
    flush: () => {},
  };
  const ctx: OperatorContext = {
    jobName: 'j', operatorUid: 'join', operatorName: 'join', subtaskIndex: 0, parallelism: 1, maxParallelism: MAX,
    keyGroupRange: { start: 0, end: MAX - 1 }, clock, storage: new MemoryCheckpointStorage(), commitFence: undefined, attemptId: '1.1', warn: () => {},
    pressure: new OutputPressure(), elementTimestamp: ts, autoWatermarkIntervalMs: 0, emitWatermarkStatus: () => {},
    scheduleAt: () => ({ cancel: () => {} }),
  };
  const fn = intervalJoinFunction({ uid: 'join', lowerMs, upperMs, elementTimestamp: ts, fn: (l, r, _c, o) => o.collect(`${String(l)}+${String(r)}`) });
  const op = new KeyedCoProcessOperator('join', output, ctx, fn);
  op.initialize(undefined);
  const send = (side: 1 | 2, key: string, value: string, timestamp: number) => {
    op.selectInput(side);
    op.keyedBackend.setCurrentKey(key, keyGroupOf(key, MAX));
    ts.value = timestamp;
    op.collect(value);
  };
  /** Records still buffered, over every key and both sides. */
  const buffered = () => {
    let n = 0;
    for (const side of ['left', 'right']) {
      const name = `interval-join/${side}`;
      if (!op.keyedBackend.hasState(name)) continue;
      op.keyedBackend.forEach(op.keyedBackend.stateTable(name, 'map'), (_k, _g, map) => {
        for (const list of (map as Map<number, unknown[]>).values()) n += list.length;
      });
    }
    return n;
  };
  return { op, out, send, buffered };
}

describe('interval join operator', () => {
  it('pairs records whose right time is in [left + lower, left + upper], bounds included, at the later timestamp', () => {
    const h = harness(-5, 10);
    h.send(1, 'k', 'l100', 100);
    h.send(2, 'k', 'r94', 94); // below 95
    h.send(2, 'k', 'r95', 95);
    h.send(2, 'k', 'r110', 110);
    h.send(2, 'k', 'r111', 111); // above 110
    h.send(2, 'other', 'r100', 100); // another key
    h.send(1, 'k', 'l105', 105); // meets r110, r111 (≤ 115), and r95? 95 ≥ 100: no
    assert.deepEqual(h.out, [
      { value: 'l100+r95', timestamp: 100 },
      { value: 'l100+r110', timestamp: 110 },
      { value: 'l105+r110', timestamp: 110 },
      { value: 'l105+r111', timestamp: 111 },
    ]);
  });

  it('drops records behind the watermark and keeps what a later partner can still meet', () => {
    const h = harness(0, 20);
    h.send(1, 'k', 'l100', 100);
    h.op.processWatermark(110);
    h.send(2, 'k', 'r105', 105); // late: behind the watermark
    h.send(2, 'k', 'r120', 120); // l100's last partner time: it is still buffered
    assert.deepEqual(h.out.map((o) => o.value), ['l100+r120']);
  });

  it('a record at exactly the watermark is not late, and still meets a partner whose last time it is', () => {
    const h = harness(0, 20);
    h.send(1, 'k', 'l100', 100);
    h.op.processWatermark(120);
    h.send(2, 'k', 'r120', 120);
    h.op.processWatermark(121);
    h.send(2, 'k', 'r121', 121); // past l100's interval: l100 is gone, and would not match anyway
    h.send(1, 'k', 'l101', 101); // late
    assert.deepEqual(h.out.map((o) => o.value), ['l100+r120']);
  });

  it('empties both buffers once the watermark passed the last time each record could meet a partner', () => {
    const h = harness(-10, 30);
    for (let t = 0; t < 100; t += 5) {
      h.send(1, `k${t % 3}`, `l${t}`, t);
      h.send(2, `k${t % 3}`, `r${t}`, t + 2);
    }
    assert.equal(h.buffered(), 40);
    h.op.processWatermark(60);
    // Left records wait until t + 30 has passed, right records until t + 2 + 10.
    const leftLeft = Array.from({ length: 20 }, (_, i) => i * 5).filter((t) => t + 30 + 1 > 60).length;
    const rightLeft = Array.from({ length: 20 }, (_, i) => i * 5).filter((t) => t + 2 + 10 + 1 > 60).length;
    assert.equal(h.buffered(), leftLeft + rightLeft);
    h.op.processWatermark(200);
    assert.equal(h.buffered(), 0);
  });
});
