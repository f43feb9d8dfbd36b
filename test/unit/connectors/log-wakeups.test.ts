import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, openLog, run, sinks, sources } from 'weir';
import { createLogWakeups, isLogAppended, LOG_WAKEUP_CHANNEL, logWakeups } from '../../../src/connectors/log/log-wakeups.js';
import { uniqueJobName, waitUntil } from '../api/api-test-helpers.js';

// Wake-ups cross contexts on a BroadcastChannel that any script of the origin can post to:
// a message that is not a well-formed notice is ignored and counted, never trusted or thrown on.

const MALFORMED: unknown[] = [
  null, undefined, 42, 'weir.log-appended', [], {},
  { kind: 'weir.log-appended' },
  { kind: 'weir.log-appended', log: 'a', partition: 0 },
  { kind: 'weir.log-appended', log: '', partition: 0, next: 1 },
  { kind: 'weir.log-appended', log: 'a', partition: -1, next: 1 },
  { kind: 'weir.log-appended', log: 'a', partition: 0.5, next: 1 },
  { kind: 'weir.log-appended', log: 'a', partition: 0, next: Number.NaN },
  { kind: 'weir.log-appended', log: 'a', partition: 0, next: 2 ** 60 },
  { kind: 'weir.log-appended', log: 'x'.repeat(20_000), partition: 0, next: 1 },
  { kind: 'weir.log-appended', log: { toString: 'a' }, partition: 0, next: 1 },
  { kind: 'other', log: 'a', partition: 0, next: 1 },
  { __proto__: { kind: 'weir.log-appended', log: 'a', partition: 0, next: 1 } },
];

describe('log wake-ups', () => {
  it('accepts only well-formed notices', () => {
    for (const message of MALFORMED) assert.equal(isLogAppended(message), false, JSON.stringify(message));
    assert.equal(isLogAppended({ kind: 'weir.log-appended', log: 'a', partition: 3, next: 7 }), true);
  });

  it('delivers notices in the realm and over the channel; counts and ignores malformed messages; a throwing listener does not stop the others', () => {
    const posted: unknown[] = [];
    const channel = { onmessage: null as ((event: { data: unknown }) => void) | null, postMessage: (m: unknown) => posted.push(m), close() {} };
    const hub = createLogWakeups(() => channel);
    const heard: number[] = [];
    hub.subscribe('a', () => {
      throw new Error('a broken listener');
    });
    const unsubscribe = hub.subscribe('a', (n) => heard.push(n.next));
    hub.subscribe('b', () => heard.push(-1));
    hub.publish({ kind: 'weir.log-appended', log: 'a', partition: 0, next: 1 });
    assert.deepEqual(heard, [1], 'delivered in the realm, to the listeners of that log only');
    assert.equal(posted.length, 1, 'and posted for the other contexts');
    for (const data of MALFORMED) channel.onmessage!({ data });
    assert.equal(hub.malformed, MALFORMED.length);
    assert.deepEqual(heard, [1], 'no malformed message reached a listener');
    channel.onmessage!({ data: { kind: 'weir.log-appended', log: 'a', partition: 0, next: 2 } });
    assert.deepEqual(heard, [1, 2]);
    unsubscribe();
    hub.publish({ kind: 'weir.log-appended', log: 'a', partition: 0, next: 3 });
    assert.deepEqual(heard, [1, 2]);
  });

  it('posts to other contexts at most once per interval and partition, the newest end last; its own realm hears every append at once', () => {
    const posted: { log: string; partition: number; next: number }[] = [];
    const channel = { onmessage: null, postMessage: (m: unknown) => posted.push(m as (typeof posted)[number]), close() {} };
    const timers: (() => void)[] = [];
    const hub = createLogWakeups(() => channel, (ms, action) => {
      assert.equal(ms, 16);
      timers.push(action);
    });
    const heard: number[] = [];
    hub.subscribe('a', (n) => heard.push(n.next));
    const appended = (log: string, partition: number, next: number) => hub.publish({ kind: 'weir.log-appended', log, partition, next });
    for (let next = 1; next <= 5; next++) appended('a', 0, next);
    appended('a', 1, 7);
    appended('a', 0, 3); // another handle's older end, published late: the newest end still wins
    assert.deepEqual(heard, [1, 2, 3, 4, 5, 7, 3], 'the realm hears each at once');
    assert.deepEqual(posted.map((p) => `${p.partition}:${p.next}`), ['0:1', '1:7'], 'the first of each partition posted at once');
    timers.shift()!(); // partition 0's interval ends: the newest end of what came meanwhile
    assert.deepEqual(posted.map((p) => `${p.partition}:${p.next}`), ['0:1', '1:7', '0:5']);
    timers.shift()!(); // partition 1's: nothing came meanwhile
    timers.shift()!(); // partition 0's next: nothing came meanwhile; its interval closes
    assert.equal(timers.length, 0, 'no timer left once nothing waits');
    appended('a', 0, 6);
    assert.deepEqual(posted.map((p) => `${p.partition}:${p.next}`), ['0:1', '1:7', '0:5', '0:6'], 'after a quiet interval, posted at once again');
    assert.equal(timers.length, 1);
  });

  it('a hub without a BroadcastChannel (or whose channel fails) still wakes the readers of its own realm', () => {
    const heard: number[] = [];
    const none = createLogWakeups(() => undefined);
    none.subscribe('a', (n) => heard.push(n.next));
    none.publish({ kind: 'weir.log-appended', log: 'a', partition: 0, next: 5 });
    const failing = createLogWakeups(() => {
      throw new Error('no channels here');
    });
    failing.subscribe('a', (n) => heard.push(n.next));
    failing.publish({ kind: 'weir.log-appended', log: 'a', partition: 0, next: 6 });
    assert.deepEqual(heard, [5, 6]);
  });

  it('a job reading a log keeps running through malformed messages on the real channel, and counts them', async () => {
    const storage = new MemoryCheckpointStorage();
    const log = await openLog<number>('noisy', { storage });
    const seen: number[] = [];
    const handle = await run(job(uniqueJobName('noisy'), (env) => {
      env.fromSource(sources.log<number>('noisy'), { uid: 'log' }).sinkTo(sinks.print({ log: (line) => seen.push(Number(line)) }));
    }), { storage, checkpointing: { intervalMs: 10 } });
    await log.append(1);
    await waitUntil(() => seen.length === 1, 'the first record');
    const before = logWakeups().malformed;
    const attacker = new BroadcastChannel(LOG_WAKEUP_CHANNEL);
    for (const data of MALFORMED) attacker.postMessage(data);
    await waitUntil(() => logWakeups().malformed === before + MALFORMED.length, 'every malformed message was counted');
    attacker.close();
    await log.append(2);
    await waitUntil(() => seen.length === 2, 'the job still reads');
    assert.equal(handle.status(), 'running');
    await log.end();
    await handle.done;
    assert.deepEqual(seen, [1, 2]);
  });
});
