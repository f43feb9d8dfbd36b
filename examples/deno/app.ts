// A Deno app that counts page views exactly once: POST /events appends the request's events to
// an input log in Deno KV (200 only once they are durable), and a Weir job in this process reads
// the log, counts views per page and commits the counts to a table in the same KV database,
// checkpointing as it goes. Kill the process however you like (`kill -9`): started again on the
// same KV file, it resumes from its latest checkpoint and every acknowledged event counts once.
//
//   deno run --unstable-kv --allow-net=127.0.0.1 --allow-read --allow-write=. app.ts [--kv views.sqlite] [--port 8000]
//
//   curl -X POST localhost:8000/events -d '[{"id":"a1","page":"/"}]'
//   curl localhost:8000/views
import { openLog, readTable, run, type RunOptions } from 'weir';
import pageViews, { type PageView } from '../page-views.job.js';

/** A Deno.Kv, as the `{ kv }` storage option takes it (this file is also type-checked without Deno's types). */
type Kv = Extract<NonNullable<RunOptions['storage']>, { kv: unknown }>['kv'];
interface DenoLike {
  args: string[];
  openKv(path: string): Promise<Kv>;
  serve(options: { hostname: string; port: number; onListen(address: { port: number }): void }, handler: (request: Request) => Promise<Response>): unknown;
}
const Deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
const arg = (name: string, fallback: string) => {
  const i = Deno.args.indexOf(`--${name}`);
  return i === -1 ? fallback : Deno.args[i + 1]!;
};

const MAX_BODY_BYTES = 1 << 20;
const kv = await Deno.openKv(arg('kv', 'views.sqlite'));
const storage = { kv } as const;
const events = await openLog<PageView>('events', { storage });
const job = await run(pageViews, { storage, checkpointing: { intervalMs: 500 } });
let restoredFrom: number | null = null;
job.on('restore', (e) => void (restoredFrom = e.checkpointId ?? null));

const json = (body: unknown, status = 200) => Response.json(body, { status });

/** Every event must be `{ id: string, page: string }`; a request with one that is not appends nothing. */
function checkEvents(body: unknown): PageView[] {
  if (!Array.isArray(body) || body.length === 0) throw new Error('expected a non-empty JSON array of { id, page }');
  body.forEach((e, i) => {
    if (typeof e?.id !== 'string' || typeof e?.page !== 'string') throw new Error(`event ${i} is not { id: string, page: string }`);
  });
  return body as PageView[];
}

Deno.serve({ hostname: '127.0.0.1', port: Number(arg('port', '8000')), onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}/`) }, async (request) => {
  const { pathname } = new URL(request.url);
  if (request.method === 'POST' && pathname === '/events') {
    if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return json({ error: `the body is larger than ${MAX_BODY_BYTES} bytes` }, 413);
    let views: PageView[];
    try {
      views = checkEvents(await request.json());
    } catch (error) {
      return json({ error: (error as Error).message }, 400);
    }
    const offsets = await events.append(views); // resolves once the batch is durable in Deno KV
    return json({ appended: offsets.length, first: offsets[0], last: offsets[offsets.length - 1] });
  }
  if (request.method === 'GET' && pathname === '/views') return json(await readTable(pageViews.name, 'views', { storage }));
  if (request.method === 'GET' && pathname === '/seen') return json(await readTable(pageViews.name, 'seen', { storage }));
  if (request.method === 'GET' && pathname === '/status') {
    const latest = job.checkpoints().filter((c) => c.status === 'completed').at(-1);
    return json({ status: job.status(), latestCheckpoint: latest?.id ?? null, restoredFrom });
  }
  return json({ error: 'POST /events, GET /views, GET /seen or GET /status' }, 404);
});
