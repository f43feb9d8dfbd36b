// The Worker of `npm run bench -- edge`, run in Miniflare: job objects counting page views at
// parallelism 1 and 3 (the same job), a job object holding about 10 MB of keyed state, and a
// Durable Object that writes the same bytes raw. Routes (the bench drives them):
//   /p1/<object>/…, /p3/<object>/…   a counting job object (its own routes)
//   /state/<object>/…                the state job object (checkpointing off: its final checkpoint writes everything)
//   POST /raw?bytes=N                N bytes as 1 MiB BLOB rows in one transactionSync: { ms }
//   POST /memory?round=R             the state job run in a Durable Object with memory storage: its final checkpoint
//                                    (the encoding's share, no storage writes): { checkpointMs, stateBytes }
//   POST /spin?object=O&n=N          N iterations of a CPU loop in the object O, without Weir: { x }
import { job, run, sinks, sources } from 'weir';
import { jobObject } from 'weir/cloudflare';
import { stateJob } from './state.job.js';

const counting = job('bench-counts', (env) => {
  env
    .fromSource(sources.log<{ page: number }>('events'), { uid: 'events' })
    .map((e) => ({ page: e.page, views: 1 }))
    .uid('one')
    .keyBy((v) => v.page)
    .sum('views')
    .uid('sum')
    .sinkTo(sinks.table('views', { key: 'page' }), { uid: 'views' });
});
const common = { checkpointing: { intervalMs: 100 }, maxBodyBytes: 8 << 20, maxRecordsPerAppend: 100_000, alarmIntervalMs: 60_000 } as const;
export const Counts1 = jobObject(counting, { ...common, binding: 'COUNTS1' });
export const Counts3 = jobObject(counting, { ...common, parallelism: 3, binding: 'COUNTS3' });
declare const WEIR_BENCH_KEYS: number; // defined by the bench when it bundles this Worker
export const State = jobObject(stateJob('bench-state', WEIR_BENCH_KEYS), { checkpointing: false, binding: 'STATE', alarmIntervalMs: 60_000 });

interface Ctx {
  storage: { sql: { exec(query: string, ...bindings: unknown[]): unknown }; transactionSync<T>(body: () => T): T; sync(): Promise<void> };
}

/** The baseline: the bytes of a checkpoint, written as Weir's backend writes rows, in one transaction, without Weir. */
export class RawWrite {
  constructor(private readonly ctx: Ctx) {}

  async fetch(request: Request): Promise<Response> {
    const bytes = Number(new URL(request.url).searchParams.get('bytes'));
    const data = new Uint8Array(bytes).map((_, i) => (i * 2654435761) >>> 24);
    const { sql } = this.ctx.storage;
    sql.exec('CREATE TABLE IF NOT EXISTS raw (key BLOB NOT NULL, part INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (key, part))');
    await this.ctx.storage.sync();
    // workerd's clock moves only between I/O events: a timer after the write lets it show the write's time
    // (not its durability: a checkpoint's duration does not wait for that either).
    const started = Date.now();
    this.ctx.storage.transactionSync(() => {
      sql.exec('DELETE FROM raw');
      for (let offset = 0, part = 0; offset < bytes; offset += 1 << 20, part++) sql.exec('INSERT INTO raw VALUES (?, ?, ?)', new Uint8Array([1]), part, data.subarray(offset, offset + (1 << 20)));
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    return Response.json({ ms: Date.now() - started });
  }
}

/** The state job in-process with memory storage: the same encoding, and no storage writes. */
export class StateMemory {
  async fetch(): Promise<Response> {
    const handle = await run(stateJob(`bench-memory-${Date.now()}`, WEIR_BENCH_KEYS), { storage: 'memory', checkpointing: false });
    await handle.done;
    const final = handle.checkpoints().filter((c) => c.status === 'completed').at(-1)!;
    return Response.json({ checkpointMs: final.durationMs, stateBytes: final.stateSize });
  }
}

/** Plain CPU work in an object of its own: how much several objects of one Miniflare can run at once. */
export class Spin {
  fetch(request: Request): Response {
    const n = Number(new URL(request.url).searchParams.get('n'));
    let x = 0;
    for (let i = 0; i < n; i++) x = (x + i * 7) % 1000003;
    return Response.json({ x });
  }
}

interface Namespace {
  getByName(name: string): { fetch(request: Request): Promise<Response> };
}

export default {
  fetch(request: Request, env: Record<'COUNTS1' | 'COUNTS3' | 'STATE' | 'RAW' | 'MEMORY' | 'SPIN', Namespace>): Promise<Response> | Response {
    const url = new URL(request.url);
    if (url.pathname === '/spin') return env.SPIN.getByName(url.searchParams.get('object')!).fetch(request);
    if (url.pathname === '/memory') return env.MEMORY.getByName(`memory-${url.searchParams.get('round')}`).fetch(request);
    if (url.pathname === '/raw') return env.RAW.getByName(`raw-${url.searchParams.get('bytes')}-${url.searchParams.get('round')}`).fetch(request);
    const match = /^\/(p1|p3|state)\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (match === null) return new Response('not found', { status: 404 });
    url.pathname = match[3]!;
    const namespace = { p1: env.COUNTS1, p3: env.COUNTS3, state: env.STATE }[match[1] as 'p1' | 'p3' | 'state'];
    return namespace.getByName(match[2]!).fetch(new Request(url, request));
  },
};
