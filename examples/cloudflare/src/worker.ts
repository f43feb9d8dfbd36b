// A Cloudflare Worker with a Weir job object. The job runs inside the Durable Object `Events`:
// writers POST events to /logs/events, readers GET /tables/views. The object is reached only
// through this fetch handler, which decides who may do what.
import { hasBearerToken, jobObject } from 'weir/cloudflare';
import pageViews from '../../page-views.job.js';

export interface Env {
  /** This class's namespace (wrangler.toml). */
  EVENTS: { getByName(name: string): { fetch(request: Request): Promise<Response> } };
  /** The writers' token: `npx wrangler secret put WRITE_TOKEN`. */
  WRITE_TOKEN?: string;
}

export const Events = jobObject(pageViews, {
  binding: 'EVENTS',
  checkpointing: { intervalMs: 1000 },
  maxBodyBytes: 1 << 20, // a larger POST is refused with 413
  maxRecordsPerAppend: 10_000,
  maxRecordBytes: 16 * 1024, // a larger event is refused with 400, naming it
});

const ROUTES: Record<string, readonly string[]> = {
  '/logs/events': ['POST'],
  '/tables/views': ['GET'],
  '/tables/seen': ['GET'],
  '/status': ['GET'],
  '/checkpoints': ['GET'],
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    const methods = ROUTES[pathname];
    // Only the job object's public routes pass: nothing else of it is reachable from outside.
    if (methods === undefined) return Response.json({ error: { code: 'NOT_FOUND', message: `no route ${pathname}` } }, { status: 404 });
    if (!methods.includes(request.method)) return Response.json({ error: { code: 'METHOD_NOT_ALLOWED', message: `use ${methods.join(' or ')}` } }, { status: 405 });
    // Writers authenticate with the shared token, compared in constant time. This is the place
    // for the app's own auth (a session, Cloudflare Access, a signed request) and for rate limits.
    if (request.method === 'POST' && !(await hasBearerToken(request, env.WRITE_TOKEN))) {
      return Response.json({ error: { code: 'UNAUTHORIZED', message: 'POST needs Authorization: Bearer <WRITE_TOKEN>' } }, { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
    }
    return env.EVENTS.getByName('page-views').fetch(request);
  },
};
