// `jobObject(job, options)` → a Durable Object class that runs the job (weir/cloudflare). With
// parallelism 1 an object runs the whole job; with more, the object the app addresses is the
// coordinator and the objects `<its name>:<i>` of the same class are its shards.
import { describeValue, InvalidArgumentError, WeirError } from '../../errors/index.js';
import { buildExecutionPlan } from '../../graph/execution-plan.js';
import { systemClock } from '../../runtime/clock.js';
import type { CoordinatorCall, Reply, ShardCall } from '../../runtime/execution/shard-protocol.js';
import { durableObjectStorageFor, type DurableObjectCheckpointStorage } from '../../state/backends/durable-object-storage.js';
import { errorToWire } from '../../state/backends/remote-storage.js';
import { buildJobGraph, isJobDefinition, type JobDefinition } from '../job.js';
import { JobObjectHost, type DurableObjectStateLike, type JobObjectRuntime } from './job-object-host.js';
import { namespaceOf, validateJobObjectOptions, type JobObjectOptions } from './job-object-options.js';
import { createOpenLog } from '../open-log.js';
import { createAppendHandler } from './append-route.js';
import { errorResponse, routeJobObjectRequest } from './job-object-routes.js';
import { ShardCoordinator } from './shard-coordinator.js';
import { CONNECT_PATH, ShardHost, type JobObjectStub } from './shard-host.js';

/** The Durable Object class a job object is: construct it with (ctx, env) as the runtime does. */
export interface JobObjectClass {
  new (ctx: DurableObjectStateLike, env: unknown): JobObjectInstance;
}

export interface JobObjectInstance {
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
  /** RPC of the coordinator to its shards (internal). */
  weirShard(call: ShardCall): Promise<Reply<unknown>>;
  /** RPC of the shards to their coordinator (internal). */
  weirCoordinator(call: CoordinatorCall): Promise<Reply<unknown>>;
}

/** The base class of every Durable Object with RPC methods (`DurableObject` from 'cloudflare:workers'). */
export type DurableObjectBase = new (ctx: never, env: never) => object;

export interface JobObjectDeps {
  readonly runtime: JobObjectRuntime;
  readonly DurableObject: DurableObjectBase;
}

interface Namespace {
  getByName?(name: string): JobObjectStub;
  idFromName(name: string): unknown;
  get(id: unknown): JobObjectStub;
}
const isNamespace = (value: unknown): value is Namespace =>
  typeof value === 'object' && value !== null && typeof (value as Namespace).idFromName === 'function' && typeof (value as Namespace).get === 'function';

function newToken(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Makes `jobObject()` for the workerd build (which brings its platform, run(), readTable() and the DurableObject base class). */
export function createJobObject(deps: JobObjectDeps) {
  const append = createAppendHandler(createOpenLog(deps.runtime.platform));
  return function jobObject(definition: JobDefinition, options?: JobObjectOptions): JobObjectClass {
    if (!isJobDefinition(definition)) throw new InvalidArgumentError('jobObject(job)', `expected a job definition from job(…), got ${describeValue(definition)}`);
    const resolved = validateJobObjectOptions(options);
    // The graph now: a job that does not build fails the Worker's deploy, not its first request.
    const graph = buildJobGraph(definition);
    const plan = buildExecutionPlan(graph, resolved.run.parallelism ?? 1);
    const fingerprint = graph.fingerprint();
    const shards = Math.max(...plan.vertices.map((v) => v.parallelism));
    const Base = deps.DurableObject as unknown as new (ctx: DurableObjectStateLike, env: unknown) => object;

    return class WeirJobObject extends Base implements JobObjectInstance {
      readonly #host: JobObjectHost | undefined;
      readonly #shard: ShardHost | undefined;
      readonly #setupError: unknown;

      constructor(ctx: DurableObjectStateLike, env: unknown) {
        super(ctx, env);
        let host: JobObjectHost | undefined;
        let shard: ShardHost | undefined;
        try {
          const local = durableObjectStorageFor(ctx.storage, 'ctx.storage');
          const name = shards === 1 ? ctx.id.name : objectName(ctx, local);
          if (shards === 1) {
            host = new JobObjectHost(definition, resolved, deps.runtime, ctx);
          } else {
            if (name === undefined) throw new InvalidArgumentError('ctx.id', `a job object with parallelism ${shards} must be addressed by name (namespace.getByName(name) or idFromName(name)): its shards are named after it`);
            let namespace: Namespace | undefined;
            const stub = (n: string) => {
              namespace ??= namespaceOf(env, resolved.binding, isNamespace).namespace;
              return namespace.getByName?.(n) ?? namespace.get(namespace.idFromName(n));
            };
            const asShard = /^(.+):(\d+)$/.exec(name);
            if (asShard !== null && Number(asShard[2]) < shards) {
              shard = new ShardHost({
                jobName: definition.name, coordinator: asShard[1]!, index: Number(asShard[2]), plan, fingerprint, local,
                clock: resolved.run.clock ?? systemClock,
                stub, abort: () => ctx.abort?.('injectFailure(): the shard object was reset'),
              });
            } else {
              const coordinator = new ShardCoordinator({ jobName: definition.name, name, shards, local, platform: deps.runtime.platform, stub, newToken });
              host = new JobObjectHost(definition, resolved, deps.runtime, ctx, coordinator);
            }
          }
        } catch (error) {
          this.#setupError = error;
        }
        this.#host = host;
        this.#shard = shard;
      }

      /** Every request first resumes the job (a new instance) and checks the alarm, then is routed. A shard serves only its peers' connections. */
      async fetch(request: Request): Promise<Response> {
        if (this.#setupError !== undefined) return errorResponse(this.#setupError);
        if (this.#shard !== undefined) {
          if (new URL(request.url).pathname === CONNECT_PATH) return this.#shard.accept(request);
          return errorResponse(new InvalidArgumentError('request', 'this object is a shard of a job object: send requests to the job object itself'));
        }
        const host = this.#host!;
        try {
          await host.ensureRunning();
          await host.watchdog();
        } catch (error) {
          return errorResponse(error);
        }
        return routeJobObjectRequest(host, request, append);
      }

      async alarm(): Promise<void> {
        await this.#host?.alarm();
      }

      async weirShard(call: ShardCall): Promise<Reply<unknown>> {
        if (this.#shard === undefined) return refused(this.#setupError ?? 'this object is not a shard object');
        return this.#shard.call(call);
      }

      async weirCoordinator(call: CoordinatorCall): Promise<Reply<unknown>> {
        const coordinator = this.#host?.coordinator;
        if (coordinator === undefined) return refused(this.#setupError ?? 'this object is not the coordinator of shard objects');
        void this.#host!.ensureRunning(); // a shard calling a reset coordinator wakes it: it starts over and deploys again
        return coordinator.call(call);
      }
    };
  };
}

const NAME_KEY = 'weir/object-name';

/**
 * The object's name: its id's, remembered in its storage the first time it is known, because an
 * instance started by an alarm has an id without a name (and a shard's role is in its name).
 */
function objectName(ctx: DurableObjectStateLike, local: DurableObjectCheckpointStorage): string | undefined {
  const known = ctx.id.name;
  const stored = local.getMetadataSync(NAME_KEY);
  const remembered = stored === undefined ? undefined : new TextDecoder().decode(stored);
  if (known !== undefined && known !== remembered) local.putMetadataSync([{ key: NAME_KEY, bytes: new TextEncoder().encode(known) }]);
  return known ?? remembered;
}

function refused(reason: unknown): Reply<unknown> {
  return { ok: false, error: errorToWire(typeof reason === 'string' ? new WeirError('TASK_FAILED', reason, { domain: 'internal', retryable: false }) : reason) };
}
