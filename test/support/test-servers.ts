// HTTP and WebSocket servers on 127.0.0.1 that the Node tests start themselves: a static body with
// or without Range support, a Server-Sent Events feed that honours Last-Event-ID, a WebSocket feed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface TestServer {
  readonly url: string;
  /** Requests seen, with their Range and Last-Event-ID headers. */
  readonly requests: { path: string; range?: string; lastEventId?: string }[];
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closer(server: Server): () => Promise<void> {
  return () => new Promise<void>((ok) => {
    server.closeAllConnections();
    server.close(() => ok());
  });
}

/** Serves `body` at /data; honours `Range: bytes=N-` with a 206 when `range` is set, else answers 200 with the whole body. */
export async function serveBody(body: Uint8Array, options: { range: boolean; etag?: string }): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const { server, url } = await listen((req, res) => {
    const range = req.headers.range;
    requests.push({ path: req.url ?? '', ...(range !== undefined ? { range } : {}) });
    const headers: Record<string, string> = { 'content-type': 'text/plain', ...(options.etag !== undefined ? { etag: options.etag } : {}) };
    const match = options.range && range !== undefined ? /^bytes=(\d+)-$/.exec(range) : null;
    if (match !== null) {
      const start = Number(match[1]);
      if (start >= body.length) {
        res.writeHead(416, { ...headers, 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, headers);
    res.end(body);
  });
  return { url: `${url}/data`, requests, close: closer(server) };
}

/**
 * Events 1..count with ids 'e1'..; each connection starts after the Last-Event-ID it sends and is
 * cut after `perConnection` events (the client reconnects); once all were sent, a connection is
 * answered 204 (stop).
 */
export async function serveEvents(count: number, perConnection: number, data: (n: number) => string = (n) => JSON.stringify({ n })): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const { server, url } = await listen((req, res) => {
    const lastEventId = req.headers['last-event-id'] as string | undefined;
    requests.push({ path: req.url ?? '', ...(lastEventId !== undefined ? { lastEventId } : {}) });
    const after = lastEventId === undefined ? 0 : Number(lastEventId.slice(1));
    if (after >= count) {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    const last = Math.min(count, after + perConnection);
    let out = ': a comment, as a keep-alive\n\n';
    for (let n = after + 1; n <= last; n++) out += `id: e${n}\nevent: tick\ndata: ${data(n)}\n\n`;
    res.end(out);
  });
  return { url: `${url}/events`, requests, close: closer(server) };
}

export interface TestWebSocketServer {
  readonly url: string;
  /** Sends to the newest connection (an older one may be closing); returns whether there was one. */
  send(message: string): boolean;
  /** Connections opened so far. */
  opened(): number;
  close(): Promise<void>;
}

export async function serveWebSocket(): Promise<TestWebSocketServer> {
  const { server, url } = await listen((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server });
  const open = new Set<WebSocket>();
  let newest: WebSocket | undefined;
  let opened = 0;
  wss.on('connection', (socket) => {
    open.add(socket);
    newest = socket;
    opened++;
    socket.on('close', () => open.delete(socket));
  });
  return {
    url: url.replace('http:', 'ws:'),
    send(message) {
      if (newest === undefined || !open.has(newest)) return false;
      newest.send(message);
      return true;
    },
    opened: () => opened,
    close: async () => {
      for (const s of open) s.terminate();
      await new Promise<void>((ok) => wss.close(() => ok()));
      await closer(server)();
    },
  };
}
