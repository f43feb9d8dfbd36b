// The HTTP face of a job object. Reached only through the app's Worker, which decides who may
// call it (examples/cloudflare authenticates writers); every answer is JSON, and every error
// `{ error: { code, message } }` with a status a client can act on.
import { WeirError } from '../../errors/index.js';
import { AppendRefused } from './append-body.js';
import type { JobObjectHost } from './job-object-host.js';

/** Appends a request's records to a log (append-route.ts). */
export type AppendHandler = (host: JobObjectHost, log: string, request: Request) => Promise<Response>;

export async function routeJobObjectRequest(host: JobObjectHost, request: Request, append: AppendHandler): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname.replace(/\/+$/, '');
  const method = request.method.toUpperCase();
  const named = (prefix: string) => (path.startsWith(prefix) ? decodeName(path.slice(prefix.length)) : undefined);

  if (path === '/status') return allow(method, ['GET'], () => Response.json(host.status()));
  if (path === '/checkpoints') {
    return allow(method, ['GET', 'POST'], async () => {
      const handle = host.handle;
      if (handle === undefined) return errorResponse(notRunning(host));
      if (method === 'GET') return Response.json(handle.checkpoints());
      return Response.json(await handle.triggerCheckpoint());
    });
  }
  const table = named('/tables/');
  if (table !== undefined) {
    return allow(method, ['GET'], async () => Response.json(await host.runtime.readTable(host.definition.name, table, { storage: host.storage })));
  }
  const log = named('/logs/');
  if (log !== undefined) return allow(method, ['POST'], () => append(host, log, request));
  return json(404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}; a job object serves GET /status, GET|POST /checkpoints, GET /tables/<name>, POST /logs/<name>` } });
}

async function allow(method: string, methods: readonly string[], handle: () => Promise<Response> | Response): Promise<Response> {
  if (!methods.includes(method)) return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: `use ${methods.join(' or ')}` } }, { Allow: methods.join(', ') });
  try {
    return await handle();
  } catch (error) {
    return errorResponse(error);
  }
}

function decodeName(segment: string): string | undefined {
  if (segment === '' || segment.includes('/')) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function notRunning(host: JobObjectHost): WeirError {
  const { status } = host.status();
  return new WeirError('CHECKPOINT_DECLINED', `job '${host.definition.name}' is ${status}; a checkpoint needs a running job`, { domain: 'user', retryable: status === 'starting' });
}

/** A WeirError as its HTTP status: a refused body its own (400/413), bad input 400, a declined checkpoint or an ended log 409, a failure 503 when retrying may help, else 500. */
export function errorResponse(error: unknown): Response {
  const e = error as { code?: unknown; message?: unknown; retryable?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'INTERNAL';
  const status = error instanceof AppendRefused ? error.status
    : code === 'INVALID_ARGUMENT' ? 400
      : code === 'CHECKPOINT_DECLINED' || code === 'LOG_ENDED' ? 409
        : e?.retryable === true ? 503 : 500;
  return json(status, { error: { code, message: String(e?.message ?? error) } });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers });
}
