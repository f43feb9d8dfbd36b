// What a shard object `<job object>:<i>` does: hosts subtask i of every vertex, as worker i of a
// job in Web Workers does — the same worker runtime, with WebSockets to the other shards in place
// of MessagePorts and RPCs to the coordinator object in place of comlink. It follows the newest
// epoch it has seen: a call of an older coordinator is refused inside the shard's transaction.
import { decodeBatch, encodeBatch } from '../../channel/batch-codec.js';
import { WebSocketPort, type WebSocketLike } from '../../channel/websocket-port.js';
import { WeirError } from '../../errors/index.js';
import type { ExecutionPlan } from '../../graph/execution-plan.js';
import type { Clock } from '../../runtime/clock.js';
import { serializeError, type TaskReport } from '../../runtime/control-messages.js';
import type { CoordinatorCall, Reply, ShardCall, ShardDeployment } from '../../runtime/execution/shard-protocol.js';
import { createWorkerRuntime } from '../../runtime/worker/worker-runtime.js';
import { logWakeupsFor } from '../../connectors/log/log-wakeups.js';
import type { DurableObjectCheckpointStorage } from '../../state/backends/durable-object-storage.js';
import { errorToWire, RemoteStorage, serveStorageCall } from '../../state/backends/remote-storage.js';
import { RoutingStorage } from '../../state/backends/routing-storage.js';
import { storageLayout } from '../../state/storage-layout.js';
import { decodeEpoch, encodeEpoch } from '../../runtime/coordinator/runner-epoch.js';

/** A stub of another object of the job object's class. */
export interface JobObjectStub {
  fetch(request: Request): Promise<Response>;
  weirShard(call: ShardCall): Promise<Reply<unknown>>;
  weirCoordinator(call: CoordinatorCall): Promise<Reply<unknown>>;
}

export interface ShardContext {
  readonly jobName: string;
  readonly coordinator: string;
  readonly index: number;
  readonly plan: ExecutionPlan;
  readonly fingerprint: string;
  readonly local: DurableObjectCheckpointStorage;
  readonly clock: Clock;
  readonly stub: (name: string) => JobObjectStub;
  /** Resets this object (`ctx.abort()`). */
  readonly abort: () => void;
}

interface Deployment {
  readonly spec: ShardDeployment;
  storage?: RoutingStorage;
  readonly peers: Map<number, WebSocketPort>;
  runtime?: ReturnType<typeof createWorkerRuntime>;
  readonly reports: TaskReport[];
  sending: boolean;
  lastHeartbeatAt: number;
  watchdog?: unknown;
  stopped: boolean;
}

export const CONNECT_PATH = '/__weir/connect';

export class ShardHost {
  #deployment: Deployment | undefined;

  constructor(private readonly s: ShardContext) {}

  get #epochKey(): string {
    return storageLayout.epochKey(this.s.jobName);
  }

  /** The newest epoch this shard has seen (0: none yet). */
  #storedEpoch(): number {
    const bytes = this.s.local.getMetadataSync(this.#epochKey);
    return bytes === undefined ? 0 : decodeEpoch(bytes, this.#epochKey);
  }

  /**
   * Must run inside the transaction of the write it admits: refuses a coordinator older than the
   * newest seen, and remembers a newer one (so from then on the older one is refused too).
   */
  #admit(epoch: number): void {
    const stored = this.#storedEpoch();
    if (epoch < stored) {
      throw new WeirError('STORAGE_FENCED', `shard object ${this.s.index} of job '${this.s.jobName}' follows epoch ${stored}; a call of epoch ${epoch} comes from a replaced coordinator`, {
        domain: 'external', retryable: false, details: { key: this.#epochKey, epoch, stored },
      });
    }
    if (epoch > stored) this.s.local.putMetadataSync([{ key: this.#epochKey, bytes: encodeEpoch(epoch, `shard ${this.s.index}`) }]);
  }

  /** A call from the coordinator (or, for storage, another shard); the reply carries an error rather than throwing it across the RPC. */
  async call(call: ShardCall): Promise<Reply<unknown>> {
    if (call?.kind === 'storage') {
      try {
        // The admission and the operation's own writes in one transaction (the operation's SQL runs as it is called).
        return await this.s.local.transaction(() => {
          this.#admit(call.epoch);
          return serveStorageCall(this.s.local, call.call);
        });
      } catch (error) {
        return { ok: false, error: errorToWire(error) };
      }
    }
    try {
      return { ok: true, value: await this.#handle(call) };
    } catch (error) {
      return { ok: false, error: errorToWire(error) };
    }
  }

  async #handle(call: Exclude<ShardCall, { kind: 'storage' }>): Promise<unknown> {
    switch (call.kind) {
      case 'prepare': {
        this.s.local.transaction(() => this.#admit(call.deployment.epoch));
        this.#stop(this.#deployment);
        const d: Deployment = { spec: call.deployment, peers: new Map(), reports: [], sending: false, lastHeartbeatAt: this.s.clock.now(), stopped: false };
        this.#deployment = d;
        this.#watch(d);
        return undefined;
      }
      case 'connect': {
        const d = this.#require(call);
        await Promise.all(Array.from({ length: d.spec.shards - this.s.index - 1 }, (_, k) => this.#connect(d, this.s.index + 1 + k)));
        return undefined;
      }
      case 'start':
        return this.#start(this.#require(call));
      case 'command':
        return this.#require(call).runtime?.command(call.subtask, call.command);
      case 'heartbeat': {
        const d = this.#require(call);
        d.lastHeartbeatAt = this.s.clock.now();
        return d.runtime?.heartbeat() ?? [];
      }
      case 'cancel': {
        const d = this.#deployment;
        if (d !== undefined && d.spec.epoch === call.epoch && d.spec.attempt === call.attempt) this.#stop(d);
        return undefined;
      }
      case 'abort':
        this.#require(call);
        return this.s.abort();
      case 'appended': {
        const d = this.#deployment;
        if (d?.storage !== undefined && !d.stopped && d.spec.epoch === call.epoch) {
          logWakeupsFor(d.storage).publish({ kind: 'weir.log-appended', log: call.log, partition: call.partition, next: call.next });
        }
        return undefined;
      }
    }
  }

  /** The deployment a call belongs to; a reset shard has none, a replaced attempt another. */
  #require(call: { epoch: number; attempt: number }): Deployment {
    const d = this.#deployment;
    if (d === undefined || d.stopped || d.spec.epoch !== call.epoch || d.spec.attempt !== call.attempt) {
      throw new WeirError('WORKER_LOST', `shard object ${this.s.index} has no deployment of epoch ${call.epoch}, attempt ${call.attempt} (it was reset, or stopped)`, { domain: 'internal', retryable: true });
    }
    return d;
  }

  /** Opens this shard's WebSocket to shard `peer` (a higher-numbered one). */
  async #connect(d: Deployment, peer: number): Promise<void> {
    const { epoch, attempt, token } = d.spec;
    const url = `https://weir.internal${CONNECT_PATH}?from=${this.s.index}&epoch=${epoch}&attempt=${attempt}&token=${encodeURIComponent(token)}`;
    const response = await this.s.stub(`${this.s.coordinator}:${peer}`).fetch(new Request(url, { headers: { Upgrade: 'websocket' } }));
    const socket = (response as Response & { webSocket?: (WebSocketLike & { accept(): void }) | null }).webSocket;
    if (response.status !== 101 || socket == null) {
      throw new WeirError('WORKER_LOST', `shard object ${peer} refused the connection of shard ${this.s.index}: ${response.status} ${await response.text()}`, { domain: 'internal', retryable: true });
    }
    socket.accept();
    this.#addPeer(d, peer, socket);
  }

  /** The other end of #connect: a lower-numbered shard of this very deployment connects. */
  accept(request: Request): Response {
    const url = new URL(request.url);
    const d = this.#deployment;
    const from = Number(url.searchParams.get('from'));
    const valid = d !== undefined && !d.stopped && request.headers.get('upgrade')?.toLowerCase() === 'websocket'
      && url.searchParams.get('token') === d.spec.token && Number(url.searchParams.get('epoch')) === d.spec.epoch
      && Number(url.searchParams.get('attempt')) === d.spec.attempt && Number.isInteger(from) && from >= 0 && from < this.s.index;
    if (!valid) return new Response('no such connection', { status: 403 });
    const pair = new (globalThis as unknown as { WebSocketPair: new () => Record<0 | 1, WebSocketLike & { accept(): void }> }).WebSocketPair();
    pair[1].accept();
    this.#addPeer(d!, from, pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] } as ResponseInit);
  }

  #addPeer(d: Deployment, peer: number, socket: WebSocketLike): void {
    d.peers.get(peer)?.close();
    d.peers.set(peer, new WebSocketPort(socket, (reason) => this.#lost(d, `shard object ${this.s.index} lost shard ${peer}: ${reason}`)));
  }

  async #start(d: Deployment): Promise<void> {
    if (d.peers.size !== d.spec.shards - 1) throw new WeirError('WORKER_LOST', `shard object ${this.s.index} is connected to ${d.peers.size} of ${d.spec.shards - 1} other shards`, { domain: 'internal', retryable: true });
    const { spec } = d;
    const coordinator = this.s.stub(this.s.coordinator);
    const storage = new RoutingStorage({
      jobName: this.s.jobName,
      home: new RemoteStorage((call) => coordinator.weirCoordinator({ kind: 'storage', epoch: spec.epoch, call })),
      shard: (k) => (k === this.s.index ? this.s.local : new RemoteStorage((call) => this.s.stub(`${this.s.coordinator}:${k}`).weirShard({ kind: 'storage', epoch: spec.epoch, call }))),
      shards: spec.shards,
    });
    d.storage = storage;
    const runtime = createWorkerRuntime({
      loadPlan: async () => ({ plan: this.s.plan, fingerprint: this.s.fingerprint }),
      scheduleMacrotask: (callback) => void setTimeout(callback, 0),
      packing: { encode: (batch) => encodeBatch(batch), decode: decodeBatch, usesDictionary: false },
      clock: this.s.clock,
    });
    d.runtime = runtime;
    await runtime.deploy({
      jobModuleUrl: `job-object:${this.s.coordinator}`, fingerprint: spec.fingerprint, defaultParallelism: spec.shards, workerIndex: this.s.index, workerCount: spec.shards,
      epoch: spec.epoch, attempt: spec.attempt, mode: spec.mode, ...(spec.checkpointOptions !== undefined ? { checkpointOptions: spec.checkpointOptions } : {}), restore: spec.restore, network: spec.network, commitFence: spec.commitFence, storage: undefined,
      peers: Object.fromEntries(d.peers) as unknown as Record<number, MessagePort>,
    }, {
      report: (report) => this.#report(d, report),
      workerFailed: (_, error) => this.#lost(d, error.message),
      storage,
    });
  }

  /** Reports leave in order, batched while one call is on its way; a coordinator that refuses them has replaced this deployment. */
  #report(d: Deployment, report: TaskReport): void {
    if (d.stopped) return;
    d.reports.push(report.kind === 'failed' ? { ...report, cause: undefined } : report);
    if (!d.sending) void this.#flushReports(d);
  }

  async #flushReports(d: Deployment): Promise<void> {
    d.sending = true;
    try {
      while (d.reports.length > 0 && !d.stopped) {
        const reports = d.reports.splice(0);
        const reply = await this.s.stub(this.s.coordinator).weirCoordinator({ kind: 'report', epoch: d.spec.epoch, attempt: d.spec.attempt, shard: this.s.index, reports });
        if (!reply.ok) this.#stop(d);
      }
    } catch {
      this.#stop(d);
    } finally {
      d.sending = false;
    }
  }

  /** The deployment cannot go on (a peer is gone): the coordinator hears of it and restarts the job. */
  #lost(d: Deployment, reason: string): void {
    if (d.stopped) return;
    this.#stop(d);
    const error = serializeError(new WeirError('WORKER_LOST', reason, { domain: 'internal', retryable: true }));
    void this.s.stub(this.s.coordinator).weirCoordinator({ kind: 'lost', epoch: d.spec.epoch, attempt: d.spec.attempt, shard: this.s.index, error }).catch(() => undefined);
  }

  /** A coordinator that stopped calling (it was reset, and its successor has not deployed yet) leaves no orphan running. */
  #watch(d: Deployment): void {
    const { clock } = this.s;
    const check = () => {
      if (d.stopped) return;
      if (clock.now() - d.lastHeartbeatAt > d.spec.heartbeatTimeoutMs) {
        this.#stop(d);
        return;
      }
      d.watchdog = clock.setTimeout(check, d.spec.heartbeatTimeoutMs / 2);
    };
    d.watchdog = clock.setTimeout(check, d.spec.heartbeatTimeoutMs / 2);
  }

  #stop(d: Deployment | undefined): void {
    if (d === undefined || d.stopped) return;
    d.stopped = true;
    if (d.watchdog !== undefined) this.s.clock.clearTimeout(d.watchdog);
    d.runtime?.stop();
    for (const port of d.peers.values()) port.close();
  }
}
