// The coordinator object of a job spread over shard objects: it runs the JobMaster (and so the
// CheckpointCoordinator and the epoch) with a ShardExecutor, keeps the metadata, tables and logs
// in its own storage, and reaches each shard's state chunks through RoutingStorage.
import { WeirError } from '../../errors/index.js';
import type { RuntimePlatform } from '../../platform/runtime-platform.js';
import { ShardExecutor } from '../../runtime/execution/shard-executor.js';
import type { CoordinatorCall, Reply } from '../../runtime/execution/shard-protocol.js';
import type { DurableObjectCheckpointStorage } from '../../state/backends/durable-object-storage.js';
import { errorToWire, RemoteStorage, serveStorageCall } from '../../state/backends/remote-storage.js';
import { RoutingStorage } from '../../state/backends/routing-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import type { JobHandle } from '../job-handle.js';
import type { JobDefinition } from '../job.js';
import { createRun } from '../run.js';
import type { RunOptions } from '../run-options.js';
import type { JobObjectStub } from './shard-host.js';
import { decodeEpoch } from '../../runtime/coordinator/runner-epoch.js';

export interface CoordinatorContext {
  readonly jobName: string;
  /** This object's name; shard i is `<name>:<i>`. */
  readonly name: string;
  readonly shards: number;
  readonly local: DurableObjectCheckpointStorage;
  readonly platform: RuntimePlatform;
  readonly stub: (name: string) => JobObjectStub;
  readonly newToken: () => string;
}

/** Records per batch between shard objects unless the options say otherwise: about 64 KB of small records, one WebSocket frame. */
const SHARD_BATCH_SIZE = 4096;

export class ShardCoordinator {
  #executor: ShardExecutor | undefined;
  readonly storage: RoutingStorage;

  get shards(): number {
    return this.c.shards;
  }

  constructor(private readonly c: CoordinatorContext) {
    this.storage = new RoutingStorage({
      jobName: c.jobName,
      home: c.local,
      shard: (k) => new RemoteStorage((call) => c.stub(`${c.name}:${k}`).weirShard({ kind: 'storage', epoch: this.#epoch(), call })),
      shards: c.shards,
    });
  }

  /** The epoch run() claimed in this object's storage (0 before any). */
  #epoch(): number {
    const key = storageLayout.epochKey(this.c.jobName);
    const bytes = this.c.local.getMetadataSync(key);
    return bytes === undefined ? 0 : decodeEpoch(bytes, key);
  }

  run(definition: JobDefinition, options: RunOptions): Promise<JobHandle> {
    const run = createRun(this.c.platform, {
      createExecutor: (ctx) => (this.#executor = new ShardExecutor({
        gateway: (i, call) => this.c.stub(`${this.c.name}:${i}`).weirShard(call),
        clock: ctx.clock, fingerprint: ctx.fingerprint, network: ctx.network,
        heartbeatIntervalMs: ctx.heartbeat.intervalMs, heartbeatTimeoutMs: ctx.heartbeat.timeoutMs, newToken: this.c.newToken,
      })),
    });
    return run(definition, { ...options, network: { batchSize: SHARD_BATCH_SIZE, ...options.network }, storage: this.storage });
  }

  /** A call of a shard object: its reports, or an operation on this object's storage, refused when it comes from another epoch. */
  async call(call: CoordinatorCall): Promise<Reply<unknown>> {
    try {
      if (call?.kind === 'report' || call?.kind === 'lost') {
        if (this.#executor?.deliver(call) === true) return { ok: true, value: undefined };
        throw this.#stale(call.epoch);
      }
      if (call?.kind === 'storage') {
        // The check and the operation's own writes in one transaction (the operation's SQL runs as it is called).
        return await this.c.local.transaction(() => {
          if (call.epoch !== this.#epoch()) throw this.#stale(call.epoch);
          return serveStorageCall(this.c.local, call.call);
        });
      }
      throw new WeirError('TASK_FAILED', `not a coordinator call: ${String((call as { kind?: unknown })?.kind)}`, { domain: 'internal', retryable: false });
    } catch (error) {
      return { ok: false, error: errorToWire(error) };
    }
  }

  /**
   * Tells the shards that `log` grew, so that a reader there looks now (no wake-up crosses
   * objects otherwise; it would look at its next re-check). One call per shard at a time: while
   * one is on its way, only the newest notice waits.
   */
  appended(log: string, partition: number, next: number): void {
    for (let i = 0; i < this.c.shards; i++) {
      const key = `${i}/${log}/${partition}`;
      const waiting = this.#notices.get(key);
      if (waiting !== undefined) {
        waiting.next = Math.max(waiting.next, next);
        continue;
      }
      const notice = { next, sent: -1 };
      this.#notices.set(key, notice);
      const send = async () => {
        while (notice.sent < notice.next) {
          notice.sent = notice.next;
          await this.c.stub(`${this.c.name}:${i}`).weirShard({ kind: 'appended', epoch: this.#epoch(), log, partition, next: notice.sent }).catch(() => undefined);
        }
        this.#notices.delete(key);
      };
      void send();
    }
  }

  readonly #notices = new Map<string, { next: number; sent: number }>();

  #stale(epoch: number): WeirError {
    return new WeirError('STORAGE_FENCED', `job object '${this.c.name}' runs epoch ${this.#epoch()}; a call of epoch ${epoch} belongs to a deployment it replaced`, {
      domain: 'external', retryable: false, details: { key: storageLayout.epochKey(this.c.jobName), epoch },
    });
  }
}
