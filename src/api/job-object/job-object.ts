// `jobObject(job, options)` → a Durable Object class that runs the job (weir/cloudflare).
import { describeValue, InvalidArgumentError } from '../../errors/index.js';
import { buildJobGraph, isJobDefinition, type JobDefinition } from '../job.js';
import { JobObjectHost, type DurableObjectStateLike, type JobObjectRuntime } from './job-object-host.js';
import { validateJobObjectOptions, type JobObjectOptions } from './job-object-options.js';
import { errorResponse, routeJobObjectRequest, type AppendHandler } from './job-object-routes.js';

/** The Durable Object class a job object is: construct it with (ctx, env) as the runtime does. */
export interface JobObjectClass {
  new (ctx: DurableObjectStateLike, env: unknown): JobObjectInstance;
}

export interface JobObjectInstance {
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

/** The base class of every Durable Object with RPC methods (`DurableObject` from 'cloudflare:workers'). */
export type DurableObjectBase = new (ctx: never, env: never) => object;

export interface JobObjectDeps {
  readonly runtime: JobObjectRuntime;
  readonly DurableObject: DurableObjectBase;
  readonly append?: AppendHandler;
}

/** Makes `jobObject()` for the workerd build (which brings run(), readTable() and the DurableObject base class). */
export function createJobObject(deps: JobObjectDeps) {
  return function jobObject(definition: JobDefinition, options?: JobObjectOptions): JobObjectClass {
    if (!isJobDefinition(definition)) throw new InvalidArgumentError('jobObject(job)', `expected a job definition from job(…), got ${describeValue(definition)}`);
    const resolved = validateJobObjectOptions(options);
    buildJobGraph(definition); // a job that does not build fails the Worker's deploy, not its first request
    const Base = deps.DurableObject as unknown as new (ctx: DurableObjectStateLike, env: unknown) => object;

    return class WeirJobObject extends Base implements JobObjectInstance {
      readonly #host: JobObjectHost;

      constructor(ctx: DurableObjectStateLike, env: unknown) {
        super(ctx, env);
        this.#host = new JobObjectHost(definition, resolved, deps.runtime, ctx);
      }

      /** Every request first resumes the job (a new instance) and checks the alarm, then is routed. */
      async fetch(request: Request): Promise<Response> {
        try {
          await this.#host.ensureRunning();
          await this.#host.watchdog();
        } catch (error) {
          return errorResponse(error);
        }
        return routeJobObjectRequest(this.#host, request, deps.append);
      }

      alarm(): Promise<void> {
        return this.#host.alarm();
      }
    };
  };
}
