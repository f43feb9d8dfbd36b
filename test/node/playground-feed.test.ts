// The playground server's live feed (scripts/playground-feed.mjs): Last-Event-ID resumes right
// after the event named, the end is a 204, and the endpoint stays bounded (checked parameters,
// GET only, a cap on streams at once, nothing served but its own path).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { feedEvent, feedHandler } from '../../scripts/playground-feed.mjs';

let server: Server;
let base: string;

before(async () => {
  const feed = feedHandler();
  server = createServer((req, res) => {
    if (!feed(req, res)) res.writeHead(404).end('not the feed');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

/** The events of one response (ids and data), read until `count` came or the stream ended. */
async function events(path: string, headers: Record<string, string> = {}, count = Infinity): Promise<{ status: number; events: { id: number; data: unknown }[] }> {
  const controller = new AbortController();
  const response = await fetch(`${base}${path}`, { headers, signal: controller.signal });
  const out: { id: number; data: unknown }[] = [];
  if (response.status !== 200) return { status: response.status, events: out };
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const id = /^id: (\d+)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (id !== undefined && data !== undefined) out.push({ id: Number(id), data: JSON.parse(data) });
    }
    if (out.length >= count) {
      controller.abort();
      break;
    }
  }
  return { status: 200, events: out };
}

describe('the playground server\'s live feed (GET /feed/events)', () => {
  it('sends events 0..N−1 with their ids; Last-Event-ID resumes right after the one named; after the last, 204', async () => {
    const first = await events('/feed/events?rate=1000&count=30', {}, 10);
    assert.deepEqual(first.events.slice(0, 10).map((e) => e.id), Array.from({ length: 10 }, (_, i) => i));
    assert.deepEqual(first.events[3]!.data, feedEvent(3));
    const rest = await events('/feed/events?rate=1000&count=30', { 'last-event-id': '9' });
    assert.deepEqual(rest.events.map((e) => e.id), Array.from({ length: 20 }, (_, i) => 10 + i), 'resumed at 10, ended after 29');
    assert.equal((await events('/feed/events?rate=1000&count=30', { 'last-event-id': '29' })).status, 204, 'nothing after the last: stop reconnecting');
  });

  it('refuses bad parameters, other methods and hostile ids, and serves no other path', async () => {
    for (const query of ['rate=0', 'rate=1001', 'rate=abc', 'count=0', 'count=99999999999', 'rate=1e3']) {
      assert.equal((await fetch(`${base}/feed/events?${query}`)).status, 400, query);
    }
    for (const id of ['-1', 'abc', '1e3', '123456789012', '../../etc/passwd']) {
      assert.equal((await fetch(`${base}/feed/events`, { headers: { 'last-event-id': id } })).status, 400, `Last-Event-ID ${id}`);
    }
    assert.equal((await fetch(`${base}/feed/events`, { method: 'POST', body: 'x' })).status, 405);
    for (const path of ['/feed/events/../../package.json', '/feed/events/x', '/feed', '/feed/%2e%2e/package.json']) {
      assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    }
  });

  it('serves at most 32 streams at once (503 with Retry-After beyond), and frees a slot when a client goes', async () => {
    const controllers = Array.from({ length: 32 }, () => new AbortController());
    const open = await Promise.all(controllers.map((c) => fetch(`${base}/feed/events?rate=1`, { signal: c.signal })));
    assert.deepEqual(open.map((r) => r.status), open.map(() => 200));
    const refused = await fetch(`${base}/feed/events?rate=1`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    controllers[0]!.abort();
    let status = 503;
    for (let attempt = 0; attempt < 200 && status === 503; attempt++) {
      const again = await fetch(`${base}/feed/events?rate=1&count=1`, { headers: { 'last-event-id': '' } });
      status = again.status;
      await again.body?.cancel();
      if (status === 503) await new Promise((ok) => setImmediate(ok));
    }
    assert.equal(status, 200, 'a slot came free once a client went');
    for (const c of controllers) c.abort();
  });
});
