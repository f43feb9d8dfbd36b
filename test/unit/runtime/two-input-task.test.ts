// A two-input task (connect(…).process) driven message by message: what each scripted input
// sequence makes it emit, barriers, watermarks and ends included. The task is the real one, with
// in-memory channels; the script plays the upstream tasks, the trace is its output channel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryChannel } from '../../../src/channel/memory-channel.js';
import type { ChannelMessage, ChannelReceiver, ChannelSender } from '../../../src/channel/index.js';
import { job, sinks, sources, WatermarkStrategy, type Collector, type ProcessContext } from '../../../src/index.js';
import { buildExecutionPlan } from '../../../src/graph/execution-plan.js';
import { buildJobGraph } from '../../../src/api/job.js';
import { ManualClock } from '../../../src/runtime/clock.js';
import type { TaskReport } from '../../../src/runtime/control-messages.js';
import { Task } from '../../../src/runtime/task/task.js';
import { TaskScheduler } from '../../../src/runtime/task/task-scheduler.js';
import { MemoryCheckpointStorage } from '../../../src/state/backends/memory-storage.js';

const coJob = job('two-input-script', (env) => {
  const events = WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n);
  const a = env.fromSource(sources.fromElements([0]), { uid: 'a', watermarks: events });
  const b = env.fromSource(sources.fromElements(['x']), { uid: 'b' });
  a.connect(b)
    .process({
      processElement1: (n: number, _ctx: ProcessContext, out: Collector<string>) => out.collect(`1:${n}`),
      processElement2: (s: string, _ctx: ProcessContext, out: Collector<string>) => out.collect(`2:${s}`),
    })
    .uid('co')
    .rebalance()
    .sinkTo(sinks.print(), { uid: 'out' });
});

/** The co-process task with its two input channels (input 1, input 2) and its output, run on demand. */
async function coTask() {
  const plan = buildExecutionPlan(buildJobGraph(coJob), 1);
  const vertex = plan.vertices.find((v) => v.operators[0]!.uid === 'co')!;
  assert.equal(vertex.inputs.length, 2);
  const input = [createMemoryChannel({ credits: 4 }), createMemoryChannel({ credits: 4 })];
  const output = createMemoryChannel({ credits: 1000 });
  const macrotasks: (() => void)[] = [];
  const reports: TaskReport[] = [];
  const clock = new ManualClock(0);
  const task = new Task({
    jobName: plan.jobName, epoch: 1, attempt: 0, plan, vertex, subtaskIndex: 0,
    inputs: input.map((c) => c.receiver), outputs: [[output.sender]], restore: undefined,
    storage: new MemoryCheckpointStorage(), commitFence: undefined, clock,
    scheduler: new TaskScheduler((callback) => macrotasks.push(callback), () => clock.now()), report: (r) => reports.push(r),
    mode: 'exactly-once', batchSize: 1, flushIntervalMs: 0,
  });
  await task.start();
  const drain = () => {
    while (macrotasks.length > 0) macrotasks.shift()!();
  };
  return { task, senders: input.map((c) => c.sender), receiver: output.receiver, drain, reports };
}

function parse(token: string): { channel: number; message: ChannelMessage } {
  const m = /^(?:([12]):(\w+)|B(\d+)@([12])|W(-?\d+)@([12])|E@([12]))$/.exec(token);
  if (m === null) throw new Error(`bad token ${token}`);
  if (m[1] !== undefined) return { channel: Number(m[1]) - 1, message: { kind: 'records', records: [m[1] === '1' ? Number(m[2]) : m[2]] } };
  if (m[3] !== undefined) return { channel: Number(m[4]) - 1, message: { kind: 'barrier', checkpointId: Number(m[3]), timestamp: 0 } };
  if (m[5] !== undefined) return { channel: Number(m[6]) - 1, message: { kind: 'watermark', timestamp: Number(m[5]) } };
  return { channel: Number(m[7]) - 1, message: { kind: 'end-of-input' } };
}

function read(receiver: ChannelReceiver): string[] {
  const trace: string[] = [];
  for (let m = receiver.poll(); m !== undefined; m = receiver.poll()) {
    if (m.kind === 'records') {
      trace.push(...(m.records as string[]));
      receiver.release();
    } else if (m.kind === 'barrier') trace.push(`B${m.checkpointId}`);
    else if (m.kind === 'watermark') trace.push(`W${m.timestamp}`);
    else if (m.kind === 'end-of-input') trace.push('E');
    else if (m.kind === 'cancel-barrier') trace.push(`C${m.checkpointId}`);
  }
  return trace;
}

/**
 * Sends the script's messages (a space-separated list of tokens) one at a time, letting the task
 * run after each, and returns what it emitted. Tokens: `1:v` / `2:v` a record on input 1 / 2,
 * `Bn@i` barrier n, `Wt@i` a watermark, `E@i` the end of input i.
 */
async function play(script: string): Promise<string[]> {
  const { senders, receiver, drain } = await coTask();
  for (const token of script.split(' ')) {
    const { channel, message } = parse(token);
    (senders[channel] as ChannelSender).send(message);
    drain();
  }
  return read(receiver);
}

describe('a two-input task, scripted', () => {
  it('hands each input its own records, through processElement1 and processElement2', async () => {
    assert.deepEqual(await play('1:1 2:x 2:y 1:2'), ['1:1', '2:x', '2:y', '1:2']);
  });

  it('holds an input back once its barrier came until the other input delivered the same barrier, then snapshots and forwards it', async () => {
    assert.deepEqual(await play('1:1 B1@1 1:2 2:x 2:y B1@2 2:z'), ['1:1', '2:x', '2:y', 'B1', '1:2', '2:z']);
    assert.deepEqual(await play('2:x B1@2 2:y 1:1 1:2 B1@1 1:3'), ['2:x', '1:1', '1:2', 'B1', '2:y', '1:3']);
  });

  it('aligns consecutive checkpoints whose barriers reach the inputs in a different order', async () => {
    assert.deepEqual(await play('B1@1 1:1 2:x B1@2 2:y B2@2 2:z 1:2 B2@1 1:3'), ['2:x', 'B1', '1:1', '2:y', '1:2', 'B2', '2:z', '1:3']);
  });

  it("a newer barrier on the other input cancels the checkpoint being aligned and aligns the newer one", async () => {
    assert.deepEqual(await play('1:1 B1@1 2:x B2@2 1:2 2:y B2@1 1:3'), ['1:1', '2:x', 'C1', '1:2', 'B2', '2:y', '1:3']);
  });

  it('an input that ends before its barrier no longer holds the checkpoint back, and the other input goes on to the end', async () => {
    assert.deepEqual(await play('1:1 B1@1 1:2 2:x E@2 2:late'), ['1:1', '2:x', 'B1', '1:2']);
    assert.deepEqual(await play('1:1 E@1 2:x B1@2 2:y 2:z E@2'), ['1:1', '2:x', 'B1', '2:y', '2:z', 'E']);
  });

  it("emits the smaller of the two inputs' watermarks, and the other input's once one ends", async () => {
    assert.deepEqual(await play('W10@1 W5@2 W20@1 W15@2 W30@2 W25@1 E@1 W40@2'), ['W5', 'W15', 'W20', 'W25', 'W30', 'W40']);
  });

  it("a held input's watermarks and records wait behind its barrier: the watermark does not pass them before the snapshot", async () => {
    assert.deepEqual(await play('W10@1 W10@2 B1@1 W50@1 1:9 W20@2 2:x B1@2'), ['W10', '2:x', 'B1', 'W20', '1:9']);
  });
});
