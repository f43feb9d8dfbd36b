// Sessionization: click events from two sources (the web site and the app) per user, grouped into
// sessions that end after GAP_MS of event time without a click (session windows), one row per
// session into 'sessions'. The window task has two inputs: watch it align their barriers.
// The synthetic clicks come in bursts: every 50th click of a user is followed by a 10 s pause.
import { job, sources, sinks, windows, WatermarkStrategy } from 'weir';
import { failPoint } from 'playground';

const NAME = 'sessions'; // @setting job name
const CLICKS = 20000; // @setting clicks (even)
const RATE = 1000; // @setting clicks per second
const USERS = 5;
const GAP_MS = 3000;
const PAGES = ['/', '/docs', '/pricing', '/blog', '/signup'];

// Event time of click n: 200 ms apart within a burst, 10 s between bursts (of 50 clicks per user).
const timeOf = (n) => n * 200 + Math.floor(n / (50 * USERS)) * 10000;

// Click n of a source: the web site has the even-numbered clicks, the app the odd ones.
const clicksFrom = (env, origin, first) =>
  env
    .fromSource(sources.sequence({ from: 0, to: CLICKS / 2, ratePerSecond: RATE / 2 }), {
      uid: origin,
      name: `${origin} clicks`,
      watermarks: WatermarkStrategy.forBoundedOutOfOrderness(1000).withTimestampAssigner((i) => timeOf(2 * i + first)),
    })
    .map((i) => {
      failPoint(`${origin} click`);
      const n = 2 * i + first;
      return { user: `u${n % USERS}`, page: PAGES[(n * 7) % PAGES.length], origin, ts: timeOf(n) };
    })
    .uid(`${origin}-click`)
    .name(`${origin} click`);

export default job(NAME, (env) => {
  env.enableCheckpointing(500);
  clicksFrom(env, 'web', 0)
    .union(clicksFrom(env, 'app', 1))
    .keyBy((c) => c.user)
    .window(windows.session({ gapMs: GAP_MS }))
    .process((user, clicks, ctx) => {
      ctx.emit({ user, start: ctx.window.start, end: ctx.window.end, clicks: clicks.length, pages: new Set(clicks.map((c) => c.page)).size });
    })
    .uid('sessionize')
    .name('sessionize')
    .sinkTo(sinks.table('sessions'), { uid: 'sessions', name: 'sessions' });
});

// One row per user and session, each once; at the end the sessions hold every click once.
export const check = {
  table: 'sessions',
  id: (s) => `${s.user}@${s.start}`,
  expectedRows: USERS * Math.ceil(CLICKS / (50 * USERS)),
  verify({ sessions }, final) {
    const clicks = sessions.reduce((n, s) => n + s.clicks, 0);
    return final && clicks !== CLICKS ? `the sessions hold ${clicks} clicks, expected ${CLICKS}` : null;
  },
};
