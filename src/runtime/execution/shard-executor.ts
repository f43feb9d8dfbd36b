import { InvalidArgumentError, WeirError } from '../../errors/index.js';
import { subtaskKey, type SubtaskId } from '../../graph/execution-plan.js';
import { unwrap } from '../../state/backends/remote-storage.js';
import type { Clock } from '../clock.js';
import type { SerializedError, TaskCommand } from '../control-messages.js';
import type { CoordinatorCall, Reply, ShardCall, ShardDeployment } from './shard-protocol.js';
import type { DeployRequest, SubtaskMetrics, TaskExecutor } from './task-executor.js';
import { errorFromWire as taskErrorFromWire } from './worker-executor.js';

/** How the coordinator reaches shard `index` (a Durable Object RPC in weir/cloudflare). */
export type ShardGateway = (index: number, call: ShardCall) => Promise<Reply<unknown>>;

export interface ShardExecutorOptions {
  readonly gateway: ShardGateway;
  readonly clock: Clock;
  readonly fingerprint: string;
  readonly network: ShardDeployment['network'];
  readonly heartbeatIntervalMs: number;
  /** Also the longest a deploy round may take. */
  readonly heartbeatTimeoutMs: number;
  /** A fresh unguessable token per attempt (the caller brings the randomness). */
  readonly newToken: () => string;
}

interface Current {
  readonly request: DeployRequest;
  readonly shards: number;
  readonly metrics: SubtaskMetrics[][];
  readonly lastAnswerAt: number[];
}

/**
 * Runs the subtasks in shard objects, one per slot (shard i hosts subtask i of every vertex, as
 * worker i does), with a WebSocket between every pair of shards for the data plane. The shards
 * report back through deliver(). Every attempt is a fresh deployment on every shard: prepare
 * (which cancels what an older attempt left), connect, start.
 */
export class ShardExecutor implements TaskExecutor {
  private current: Current | undefined;
  private heartbeat: unknown;

  constructor(private readonly options: ShardExecutorOptions) {}

  async deploy(request: DeployRequest): Promise<void> {
    this.stop();
    const shards = Math.max(...request.plan.vertices.map((v) => v.parallelism));
    const current: Current = { request, shards, metrics: Array.from({ length: shards }, () => []), lastAnswerAt: Array.from({ length: shards }, () => this.options.clock.now()) };
    this.current = current;
    const { epoch, attempt } = request;
    const token = this.options.newToken();
    const restoreOf = (index: number) => [...request.restore].filter(([key]) => Number(key.split('.')[1]) === index);
    const deployment = (index: number): ShardDeployment => ({
      epoch, attempt, token, shards, fingerprint: this.options.fingerprint, mode: request.mode, ...(request.checkpointOptions !== undefined ? { checkpointOptions: request.checkpointOptions } : {}), restore: restoreOf(index),
      network: this.options.network, commitFence: request.commitFence, heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
    });
    const round = async (what: string, call: (index: number) => ShardCall) => {
      await Promise.all(Array.from({ length: shards }, (_, i) => this.call(i, call(i), what)));
      if (this.current !== current) throw new WeirError('TASK_FAILED', 'the shard objects were stopped while they were being deployed', { domain: 'internal', retryable: true });
    };
    try {
      await round('prepare', (i) => ({ kind: 'prepare', deployment: deployment(i) }));
      await round('connect', () => ({ kind: 'connect', epoch, attempt }));
      await round('start', () => ({ kind: 'start', epoch, attempt }));
    } catch (error) {
      if (this.current === current) this.cancelShards(current);
      throw error;
    }
    this.startHeartbeats(current);
  }

  /** A call that answers within the heartbeat timeout, unwrapped; a shard that does not is lost. */
  private async call(index: number, call: ShardCall, what: string): Promise<unknown> {
    const { clock, heartbeatTimeoutMs } = this.options;
    let timer: unknown;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => reject(new WeirError('WORKER_LOST', `shard object ${index} did not answer '${what}' within ${heartbeatTimeoutMs} ms`, { domain: 'internal', retryable: true })), heartbeatTimeoutMs);
    });
    try {
      return unwrap(await Promise.race([this.options.gateway(index, call), timeout]));
    } finally {
      clock.clearTimeout(timer);
    }
  }

  /** What a shard sent the coordinator: reports of the current attempt go to the JobMaster; anything older is dropped. */
  deliver(call: Extract<CoordinatorCall, { kind: 'report' | 'lost' }>): boolean {
    const current = this.current;
    if (current === undefined || call.epoch !== current.request.epoch || call.attempt !== current.request.attempt) return false;
    if (call.kind === 'lost') {
      this.shardLost(current, call.shard, call.error);
      return true;
    }
    for (const report of call.reports) {
      current.request.report(report.kind === 'failed' ? { ...report, cause: taskErrorFromWire(report.error) } : report);
    }
    return true;
  }

  private shardLost(current: Current, index: number, error: SerializedError): void {
    if (this.current !== current) return;
    const cause = taskErrorFromWire({ ...error, code: error.code ?? 'WORKER_LOST' });
    current.request.report({ kind: 'failed', attempt: current.request.attempt, subtask: { vertexId: 0, subtaskIndex: index }, error: { ...error, code: cause.code }, cause });
  }

  private startHeartbeats(current: Current): void {
    const { clock, heartbeatIntervalMs, heartbeatTimeoutMs } = this.options;
    const { epoch, attempt } = current.request;
    const tick = () => {
      if (this.current !== current) return;
      const now = clock.now();
      for (let i = 0; i < current.shards; i++) {
        if (now - current.lastAnswerAt[i]! > heartbeatTimeoutMs) {
          this.shardLost(current, i, { name: 'WorkerError', code: 'WORKER_LOST', message: `shard object ${i} missed its heartbeats for ${now - current.lastAnswerAt[i]!} ms` });
          return;
        }
        this.options.gateway(i, { kind: 'heartbeat', epoch, attempt }).then(
          (reply) => {
            if (reply.ok) {
              current.metrics[i] = reply.value as SubtaskMetrics[];
              current.lastAnswerAt[i] = clock.now();
            } else {
              this.shardLost(current, i, { name: 'WorkerError', code: 'WORKER_LOST', message: `shard object ${i} lost its deployment: ${reply.error.message}` });
            }
          },
          (error: unknown) => this.shardLost(current, i, { name: 'WorkerError', code: 'WORKER_LOST', message: `shard object ${i} is unreachable: ${String((error as Error)?.message ?? error)}` }),
        );
      }
      this.heartbeat = clock.setTimeout(tick, heartbeatIntervalMs);
    };
    this.heartbeat = clock.setTimeout(tick, heartbeatIntervalMs);
  }

  async send(subtask: SubtaskId, command: TaskCommand): Promise<void> {
    const current = this.current;
    if (current === undefined || subtask.subtaskIndex >= current.shards) {
      throw new WeirError('TASK_FAILED', `no shard object runs subtask ${subtaskKey(subtask)}`, { domain: 'internal', retryable: true });
    }
    const { epoch, attempt } = current.request;
    unwrap(await this.options.gateway(subtask.subtaskIndex, { kind: 'command', epoch, attempt, subtask, command }));
  }

  async cancelAll(): Promise<void> {
    const current = this.current;
    this.stop();
    if (current !== undefined) await this.cancelShards(current);
  }

  private async cancelShards(current: Current): Promise<void> {
    const { epoch, attempt } = current.request;
    await Promise.all(Array.from({ length: current.shards }, (_, i) => this.options.gateway(i, { kind: 'cancel', epoch, attempt }).catch(() => undefined)));
  }

  /** Resets shard object `worker` (its `ctx.abort()`), as a crash would, and reports it lost. */
  kill(worker = 0): void {
    const current = this.current;
    if (current === undefined) return;
    if (worker >= current.shards) throw new InvalidArgumentError('injectFailure(options).worker', `the job runs ${current.shards} shard object(s), numbered from 0; there is no shard ${worker}`);
    const { epoch, attempt } = current.request;
    void this.options.gateway(worker, { kind: 'abort', epoch, attempt }).catch(() => undefined);
    this.shardLost(current, worker, { name: 'WorkerError', code: 'INJECTED_FAILURE', message: `injectFailure(): shard object ${worker} was reset` });
  }

  metrics(): SubtaskMetrics[] {
    return this.current?.metrics.flat() ?? [];
  }

  async dispose(): Promise<void> {
    await this.cancelAll();
  }

  private stop(): void {
    this.current = undefined;
    if (this.heartbeat !== undefined) this.options.clock.clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
  }
}
