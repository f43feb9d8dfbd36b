// A job object's alarm and its watchdog (job-object-host.ts), on a fake ctx: a live job always
// has its next wake-up — an alarm missing, or stuck in the past (an alarm time that never fired:
// cloudflare-docs#18324, workerd#3138), is armed again; one due or in the future is left alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JobObjectHost, type DurableObjectStateLike, type JobObjectRuntime } from '../../../src/api/job-object/job-object-host.js';
import type { ResolvedJobObjectOptions } from '../../../src/api/job-object/job-object-options.js';
import { job } from '../../../src/index.js';

const INTERVAL = 1_000;
const options: ResolvedJobObjectOptions = {
  run: { resume: 'none' }, binding: undefined, maxBodyBytes: 1 << 20, maxRecordsPerAppend: 10, maxRecordBytes: 1024, alarmIntervalMs: INTERVAL,
};
const definition = job('alarmed', () => {});

function fakeCtx(alarm: number | null): DurableObjectStateLike & { armed: number[] } {
  const armed: number[] = [];
  return {
    armed,
    id: { name: 'alarmed', toString: () => 'alarmed' },
    storage: {
      getAlarm: async () => alarm,
      setAlarm: async (at: number) => void armed.push((alarm = at)),
    } as never,
  };
}

const running = { on: () => () => {}, done: new Promise(() => {}), status: () => 'running', checkpoints: () => [] };
const runtime = (run: JobObjectRuntime['run']): JobObjectRuntime => ({ platform: undefined as never, run, readTable: async () => [] });
const host = (ctx: DurableObjectStateLike, run: JobObjectRuntime['run'] = async () => running as never) => new JobObjectHost(definition, options, runtime(run), ctx);

describe('job object alarm and watchdog', () => {
  it('arms an alarm that is missing, or stuck in the past for longer than the interval, at now + the interval', async () => {
    for (const at of [null, Date.now() - 5 * INTERVAL]) {
      const ctx = fakeCtx(at);
      const before = Date.now();
      await host(ctx).watchdog();
      assert.equal(ctx.armed.length, 1, `armed once for ${at}`);
      assert.ok(ctx.armed[0]! >= before + INTERVAL && ctx.armed[0]! <= Date.now() + INTERVAL, `at now + ${INTERVAL}`);
    }
  });

  it('leaves an alarm alone that is in the future or just due (it is about to fire)', async () => {
    for (const at of [Date.now() + INTERVAL / 2, Date.now() - 10]) {
      const ctx = fakeCtx(at);
      await host(ctx).watchdog();
      assert.deepEqual(ctx.armed, [], `untouched: ${at}`);
    }
  });

  it('the alarm resumes the job and re-arms itself while it is live; a job that cannot start is not woken again', async () => {
    const ctx = fakeCtx(null);
    let runs = 0;
    const live = host(ctx, async () => (runs++, running as never));
    await live.alarm();
    await live.alarm();
    assert.equal(runs, 1, 'one run per instance');
    assert.equal(ctx.armed.length, 2, 're-armed by each alarm');

    const broken = fakeCtx(null);
    const failing = host(broken, async () => Promise.reject(Object.assign(new Error('no start'), { code: 'INVALID_GRAPH' })));
    await failing.alarm();
    await failing.watchdog();
    assert.deepEqual(broken.armed, [], 'no alarm for a job that failed for good');
    assert.deepEqual(failing.status().error, { code: 'INVALID_GRAPH', message: 'no start' });
  });
});
