// The playground server's live feed (the "Live feed from the server (SSE)" example reads it with
// sources.sse): GET /feed/events is an endless, deterministic Server-Sent Events stream.
//
//   GET /feed/events?rate=R&count=N   (rate: events per second, 1–1000, default 100;
//                                       count: events in the feed, 1–10,000,000, default 10,000,000)
//   event n (n = 0 … N−1):  id: n   data: {"n":n,"sensor":"sensor-<n % 4>","value":<n·37 mod 101>}
//
// A request with Last-Event-ID: k resumes at k + 1, so a job that restores its checkpoint (the id
// of the last event it committed) reads every event exactly once. After the last event the feed
// answers 204 (the spec's "stop reconnecting"): a job reading it then finishes.
//
// Kept safe and bounded: this exact path and GET only (no file is ever opened); every parameter
// and Last-Event-ID checked (400 otherwise); at most MAX_STREAMS streams at once (503 with
// Retry-After beyond); a stream ends after MAX_EVENTS_PER_STREAM events or MAX_STREAM_MS (the
// client reconnects with Last-Event-ID); a client that does not read stops the stream's timer
// until its socket drains (no unbounded buffering); every timer stops when the client goes.

const PATH = '/feed/events';
const MAX_RATE = 1000;
const MAX_COUNT = 10_000_000;
const MAX_STREAMS = 32;
const MAX_EVENTS_PER_STREAM = 20_000;
const MAX_STREAM_MS = 60_000;
const TICK_MS = 50;

/** The feed's event n, as the example's check and the e2e test expect it. */
export function feedEvent(n) {
  return { n, sensor: `sensor-${n % 4}`, value: (n * 37) % 101 };
}

/** @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => boolean} true if it answered */
export function feedHandler() {
  let streams = 0;
  return (req, res) => {
    let url;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return false;
    }
    if (url.pathname !== PATH) return false;
    const refuse = (status, message, headers = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(`${message}\n`);
      return true;
    };
    if (req.method !== 'GET') return refuse(405, 'only GET', { allow: 'GET' });
    const rate = parameter(url, 'rate', 100, 1, MAX_RATE);
    const count = parameter(url, 'count', MAX_COUNT, 1, MAX_COUNT);
    if (rate === undefined) return refuse(400, `rate: expected an integer from 1 to ${MAX_RATE}`);
    if (count === undefined) return refuse(400, `count: expected an integer from 1 to ${MAX_COUNT}`);
    const lastEventId = req.headers['last-event-id'];
    let next = 0;
    if (lastEventId !== undefined && lastEventId !== '') {
      if (typeof lastEventId !== 'string' || !/^\d{1,8}$/.test(lastEventId)) return refuse(400, 'Last-Event-ID: expected the id of an event of this feed');
      next = Number(lastEventId) + 1;
    }
    if (next >= count) {
      res.writeHead(204, { 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    if (streams >= MAX_STREAMS) return refuse(503, 'too many streams; try again', { 'retry-after': '1' });
    streams++;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 200\n\n');
    const started = Date.now();
    const last = Math.min(count, next + MAX_EVENTS_PER_STREAM);
    let due = 0;
    let waiting = false;
    const stop = () => {
      clearInterval(timer);
      if (!res.writableEnded) res.end();
    };
    const timer = setInterval(() => {
      if (waiting) return;
      due += (rate * TICK_MS) / 1000;
      let text = '';
      for (; due >= 1 && next < last; due--, next++) text += `id: ${next}\ndata: ${JSON.stringify(feedEvent(next))}\n\n`;
      if (text !== '' && !res.write(text)) {
        waiting = true;
        res.once('drain', () => { waiting = false; });
      }
      if (next >= last || Date.now() - started >= MAX_STREAM_MS) stop();
    }, TICK_MS);
    res.on('close', () => {
      clearInterval(timer);
      streams--;
    });
    return true;
  };
}

function parameter(url, name, fallback, min, max) {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,9}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= min && value <= max ? value : undefined;
}
