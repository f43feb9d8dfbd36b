import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { describe, it } from 'node:test';
import * as Comlink from 'comlink';
import { ManualClock } from '../../../src/runtime/clock.js';
import type { TaskReport } from '../../../src/runtime/control-messages.js';
import type { DeployRequest } from '../../../src/runtime/execution/task-executor.js';
import { WorkerExecutor } from '../../../src/runtime/execution/worker-executor.js';
import type { WorkerPlatform } from '../../../src/platform/worker-platform.js';
import type { ExecutionPlan } from '../../../src/graph/execution-plan.js';
import type { CheckpointStorage } from '../../../src/state/checkpoint-storage.js';

// A worker that takes longer to start than the heartbeat timeout (a slow device, a loaded machine)
// is not dead: silence is counted from its deploy's answer, not from its spawn. One that stops
// answering after that is.

/** Lets comlink's messages cross the in-process MessageChannels. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

function fakeWorkers() {
  let releaseDeploy!: () => void;
  const deployed = new Promise<void>((resolve) => (releaseDeploy = resolve));
  let answering = true;
  const ports: MessagePort[] = [];
  const platform: WorkerPlatform = {
    spawn() {
      const { port1, port2 } = new MessageChannel() as unknown as { port1: MessagePort; port2: MessagePort };
      ports.push(port1, port2);
      Comlink.expose({
        deploy: () => deployed,
        command: async () => {},
        heartbeat: () => (answering ? [] : new Promise(() => {})),
      }, port2);
      return { endpoint: port1, terminate: () => port2.close(), onFailure: () => {} };
    },
    createChannel() {
      const { port1, port2 } = new MessageChannel() as unknown as { port1: MessagePort; port2: MessagePort };
      ports.push(port1, port2);
      return { port1, port2 };
    },
  };
  return { platform, releaseDeploy, stopAnswering: () => void (answering = false), close: () => ports.forEach((p) => p.close()) };
}

describe('worker heartbeats', () => {
  it('a deploy slower than the heartbeat timeout is not a lost worker; silence after it is', async () => {
    const clock = new ManualClock();
    const workers = fakeWorkers();
    const executor = new WorkerExecutor({
      platform: workers.platform, jobModuleUrl: 'unused', fingerprint: 'f', defaultParallelism: 2,
      storage: {} as CheckpointStorage, clock, network: { batchSize: 16, flushIntervalMs: 1, credits: 2, binary: false },
      heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 10_000,
    });
    const reports: TaskReport[] = [];
    const request: DeployRequest = {
      plan: { vertices: [{ parallelism: 2 }] } as unknown as ExecutionPlan,
      epoch: 1, attempt: 1, restore: new Map(), mode: 'exactly-once', report: (r) => reports.push(r), commitFence: undefined,
    };
    const deploying = executor.deploy(request);
    clock.advance(15_000); // the workers take 15 s to start
    workers.releaseDeploy();
    await deploying;
    for (let second = 0; second < 9; second++) {
      clock.advance(1_000);
      await settle();
    }
    assert.equal(reports.length, 0, 'no worker was taken for lost while it answered');

    workers.stopAnswering();
    for (let second = 0; second < 12 && reports.length === 0; second++) {
      clock.advance(1_000);
      await settle();
    }
    assert.equal(reports.length, 1);
    assert.equal((reports[0] as { kind: string }).kind, 'failed');
    assert.match((reports[0] as { error: { message: string } }).error.message, /missed its heartbeats/);
    await executor.dispose();
    workers.close();
  });
});
