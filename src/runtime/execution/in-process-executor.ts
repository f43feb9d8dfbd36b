import { type ChannelReceiver, type ChannelSender } from '../../channel/index.js';
import { WeirError } from '../../errors/index.js';
import { subtaskKey, type SubtaskId } from '../../graph/execution-plan.js';
import { layoutChannels } from './channel-layout.js';
import type { CheckpointStorage } from '../../state/checkpoint-storage.js';
import type { Clock } from '../clock.js';
import { serializeError, type TaskCommand } from '../control-messages.js';
import { Task } from '../task/task.js';
import { TaskScheduler } from '../task/task-scheduler.js';
import { createRecyclingMemoryChannel } from '../task/recycling-channel.js';
import { subtaskMetricsOf, type DeployRequest, type SubtaskMetrics, type TaskExecutor } from './task-executor.js';

export interface InProcessExecutorOptions {
  readonly storage: CheckpointStorage;
  readonly clock: Clock;
  readonly scheduleMacrotask: (callback: () => void) => void;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly channelCredits: number;
}

/** Runs every subtask in this thread, connected by in-memory channels. */
export class InProcessExecutor implements TaskExecutor {
  private tasks = new Map<string, Task>();
  private current: DeployRequest | undefined;
  private readonly scheduler: TaskScheduler;

  constructor(private readonly options: InProcessExecutorOptions) {
    this.scheduler = new TaskScheduler(options.scheduleMacrotask, () => options.clock.now());
  }

  async deploy(request: DeployRequest): Promise<void> {
    const { plan } = request;
    this.current = request;
    const inputs = new Map<string, ChannelReceiver[]>();
    const outputs = new Map<string, ChannelSender[][]>();
    const key = (vertexId: number, subtaskIndex: number) => subtaskKey({ vertexId, subtaskIndex });
    for (const v of plan.vertices) {
      for (let i = 0; i < v.parallelism; i++) {
        inputs.set(key(v.id, i), []);
        outputs.set(key(v.id, i), v.outputs.map(() => []));
      }
    }
    for (const spec of layoutChannels(plan)) {
      const { sender, receiver } = createRecyclingMemoryChannel({ credits: this.options.channelCredits });
      inputs.get(subtaskKey(spec.to))![spec.gatePosition] = receiver;
      outputs.get(subtaskKey(spec.from))![spec.outputEdge]![spec.senderSlot] = sender;
    }
    const tasks = new Map<string, Task>();
    for (const v of plan.vertices) {
      for (let i = 0; i < v.parallelism; i++) {
        const k = key(v.id, i);
        tasks.set(k, new Task({
          jobName: plan.jobName, epoch: request.epoch, attempt: request.attempt, plan, vertex: v, subtaskIndex: i,
          inputs: inputs.get(k)!, outputs: outputs.get(k)!, restore: request.restore.get(k),
          storage: this.options.storage, commitFence: request.commitFence, clock: this.options.clock, scheduler: this.scheduler,
          report: request.report, mode: request.mode, checkpointOptions: request.checkpointOptions, batchSize: this.options.batchSize, flushIntervalMs: this.options.flushIntervalMs,
        }));
      }
    }
    this.tasks = tasks;
    for (const t of tasks.values()) void t.start();
  }

  send(subtask: SubtaskId, command: TaskCommand): Promise<void> {
    const task = this.tasks.get(subtaskKey(subtask));
    if (task === undefined) return Promise.reject(new WeirError('TASK_FAILED', `no task ${subtaskKey(subtask)}`, { domain: 'internal', retryable: true }));
    return task.command(command);
  }

  async cancelAll(): Promise<void> {
    for (const t of this.tasks.values()) t.cancel();
  }

  /** As a crash: the tasks stop where they are, without closing anything; what they started may still land. */
  kill(): void {
    const request = this.current;
    if (request === undefined) return;
    const first = [...this.tasks.values()][0];
    for (const t of this.tasks.values()) t.kill();
    const error = new WeirError('INJECTED_FAILURE', 'injectFailure(): the in-process task set was killed', { domain: 'internal', retryable: true });
    if (first !== undefined) request.report({ kind: 'failed', attempt: request.attempt, subtask: first.id, error: serializeError(error), cause: error });
  }

  metrics(): SubtaskMetrics[] {
    return [...this.tasks.values()].map(subtaskMetricsOf);
  }

  async dispose(): Promise<void> {
    await this.cancelAll();
    this.tasks.clear();
  }
}
