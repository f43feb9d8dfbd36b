import { PortMultiplexer, type BatchPacking, type ChannelReceiver, type ChannelSender, type PortLike } from '../../channel/index.js';
import { WeirError } from '../../errors/index.js';
import { subtaskKey, type ExecutionPlan } from '../../graph/execution-plan.js';
import type { CheckpointStorage, StorageDescriptor } from '../../state/checkpoint-storage.js';
import { systemClock, type Clock } from '../clock.js';
import { serializeError, type TaskReport } from '../control-messages.js';
import { layoutChannels } from '../execution/channel-layout.js';
import { Task } from '../task/task.js';
import { subtaskMetricsOf } from '../execution/task-executor.js';
import { TaskScheduler } from '../task/task-scheduler.js';
import { createRecyclingMemoryChannel } from '../task/recycling-channel.js';
import type { RunnerCallbacks, WorkerApi, WorkerDeployRequest } from './worker-protocol.js';
import { runnerStorageView } from './runner-storage-view.js';

export interface WorkerRuntimeDeps {
  /** Imports the job module and builds its plan (the worker entry brings the API layer). */
  loadPlan(jobModuleUrl: string, defaultParallelism: number): Promise<{ plan: ExecutionPlan; fingerprint: string }>;
  scheduleMacrotask(callback: () => void): void;
  packing: BatchPacking | undefined;
  /** Opens a storage the worker can reach itself (IndexedDB in a Web Worker, files in a worker_thread). */
  openStorage?: (descriptor: StorageDescriptor) => CheckpointStorage;
  /**
   * Whether the runner's storage arrives as a comlink proxy (a Web Worker, a worker_thread): then
   * the worker uses only the contract's calls on it. A shard host passes its own storage object,
   * whose optional fields (contextBound: in-realm log wake-ups) must stay visible.
   */
  runnerStorageIsProxy?: boolean;
  clock?: Clock;
}

/**
 * The worker side: builds the same graph as the runner from the job module, keeps only the
 * subtasks of its slot (worker i hosts subtask i of every vertex), and wires their channels:
 * in memory within the worker, over the peer's MessagePort otherwise.
 */
export function createWorkerRuntime(deps: WorkerRuntimeDeps): WorkerApi & { failAll(error: unknown): void; stop(): void } {
  const clock = deps.clock ?? systemClock;
  const scheduler = new TaskScheduler(deps.scheduleMacrotask, () => clock.now());
  let tasks = new Map<string, Task>();
  let muxes: PortMultiplexer[] = [];
  let callbacks: RunnerCallbacks | undefined;
  let workerIndex = -1;

  // Reports cross a structured clone: a user's thrown value may not survive it, so only its description travels.
  const report = (r: TaskReport) => callbacks?.report(r.kind === 'failed' ? { ...r, cause: undefined } : r);

  async function deployHere(request: WorkerDeployRequest, runner: RunnerCallbacks): Promise<void> {
    callbacks = runner;

    workerIndex = request.workerIndex;
    const { plan, fingerprint } = await deps.loadPlan(request.jobModuleUrl, request.defaultParallelism);
    if (fingerprint !== request.fingerprint) {
      throw new WeirError(
        'INVALID_GRAPH',
        `job module '${request.jobModuleUrl}' built a different graph in worker ${request.workerIndex} than in the runner; ` +
          'a job module must build the same graph every time (no randomness, dates or environment checks in build)',
        { domain: 'user', retryable: false, details: { runner: request.fingerprint, worker: fingerprint } },
      );
    }
    const { network } = request;
    const peerMux = new Map<number, PortMultiplexer>();
    for (const [peer, port] of Object.entries(request.peers)) {
      peerMux.set(Number(peer), new PortMultiplexer(port as unknown as PortLike, network.credits, network.binary ? deps.packing : undefined));
    }
    muxes = [...peerMux.values()];
    const mine = plan.vertices.filter((v) => v.parallelism > workerIndex);
    const inputs = new Map<string, ChannelReceiver[]>();
    const outputs = new Map<string, ChannelSender[][]>();
    for (const v of mine) {
      const key = subtaskKey({ vertexId: v.id, subtaskIndex: workerIndex });
      inputs.set(key, []);
      outputs.set(key, v.outputs.map(() => []));
    }
    for (const spec of layoutChannels(plan)) {
      const fromHere = spec.from.subtaskIndex === workerIndex;
      const toHere = spec.to.subtaskIndex === workerIndex;
      if (!fromHere && !toHere) continue;
      if (fromHere && toHere) {
        const { sender, receiver } = createRecyclingMemoryChannel({ credits: network.credits });
        inputs.get(subtaskKey(spec.to))![spec.gatePosition] = receiver;
        outputs.get(subtaskKey(spec.from))![spec.outputEdge]![spec.senderSlot] = sender;
      } else if (fromHere) {
        outputs.get(subtaskKey(spec.from))![spec.outputEdge]![spec.senderSlot] = peerMux.get(spec.to.subtaskIndex)!.sender(spec.id);
      } else {
        inputs.get(subtaskKey(spec.to))![spec.gatePosition] = peerMux.get(spec.from.subtaskIndex)!.receiver(spec.id);
      }
    }
    const restore = new Map(request.restore);
    const storage: CheckpointStorage = request.storage !== undefined && deps.openStorage !== undefined ? deps.openStorage(request.storage) : runnerStorageView(runner.storage, deps.runnerStorageIsProxy === true);
    tasks = new Map();
    for (const v of mine) {
      const key = subtaskKey({ vertexId: v.id, subtaskIndex: workerIndex });
      tasks.set(key, new Task({
        jobName: plan.jobName, epoch: request.epoch, attempt: request.attempt, plan, vertex: v, subtaskIndex: workerIndex,
        inputs: inputs.get(key)!, outputs: outputs.get(key)!, restore: restore.get(key),
        storage, commitFence: request.commitFence, clock, scheduler, report, mode: request.mode, checkpointOptions: request.checkpointOptions, batchSize: network.batchSize, flushIntervalMs: network.flushIntervalMs,
      }));
    }
    for (const t of tasks.values()) void t.start();
  }

  return {
    async deploy(request: WorkerDeployRequest, runner: RunnerCallbacks): Promise<void> {
      try {
        await deployHere(request, runner);
      } catch (error) {
        // comlink carries only a thrown Error's message across: keep the code in front of it.
        const code = error instanceof WeirError ? error.code : 'TASK_FAILED';
        throw new WeirError(code, `${code}: ${error instanceof Error ? error.message : String(error)}`, {
          domain: error instanceof WeirError ? error.domain : 'internal', retryable: error instanceof WeirError ? error.retryable : true,
        });
      }
    },

    async command(subtask, command) {
      const task = tasks.get(subtaskKey(subtask));
      if (task === undefined) throw new WeirError('TASK_FAILED', `worker ${workerIndex} has no subtask ${subtaskKey(subtask)}`, { domain: 'internal', retryable: true });
      await task.command(command);
    },

    heartbeat() {
      return [...tasks.values()].map(subtaskMetricsOf);
    },

    /** Stops every task and closes the ports, reporting nothing: where a worker cannot simply be terminated (a Durable Object), or waits for a pool's next job. */
    stop() {
      callbacks = undefined;
      for (const t of tasks.values()) t.cancel();
      for (const m of muxes) m.close();
      tasks = new Map();
      muxes = [];
    },

    /** An error no task caught (an unhandled rejection): every task here stops and the runner restarts the job. */
    failAll(error: unknown) {
      for (const t of tasks.values()) t.cancel();
      for (const m of muxes) m.close();
      callbacks?.workerFailed(workerIndex, serializeError(error));
    },
  };
}
