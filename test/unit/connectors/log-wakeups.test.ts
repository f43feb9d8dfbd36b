import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, MemoryCheckpointStorage, openLog, run, sinks, sources } from 'weir';
import { createLogWakeups, isLogAppended, LOG_WAKEUP_CHANNEL, logWakeups, type LogAppended } from '../../../src/connectors/log/log-wakeups.js';
import type { BroadcastChannelLike } from '../../../src/connectors/notice-hub.js';
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
    const timers: (() => void)[] = [];
    const hub = createLogWakeups(() => channel, (_ms, action) => timers.push(action));
    const heard: number[] = [];
    hub.subscribe('a', () => {
      throw new Error('a broken listener');
    });
    const unsubscribe = hub.subscribe('a', (n) => heard.push(n.next));
    hub.subscribe('b', () => heard.push(-1));
    channel.onmessage!({ data: { kind: 'weir.listening', topic: 'a' } }); // another context reads log 'a'
    hub.publish({ kind: 'weir.log-appended', log: 'a', partition: 0, next: 1 });
    assert.deepEqual(heard, [1], 'delivered in the realm, to the listeners of that log only');
    while (timers.length > 0) timers.shift()!();
    assert.equal(notices(posted).length, 1, 'and posted for the other contexts');
    for (const data of MALFORMED) channel.onmessage!({ data });
    assert.equal(hub.malformed, MALFORMED.length);
    assert.deepEqual(heard, [1], 'no malformed message reached a listener');
    channel.onmessage!({ data: { kind: 'weir.log-appended', log: 'a', partition: 0, next: 2 } });
    assert.deepEqual(heard, [1, 2]);
    unsubscribe();
    hub.publish({ kind: 'weir.log-appended', log: 'a', partition: 0, next: 3 });
    assert.deepEqual(heard, [1, 2]);
  });

  it('posts to other contexts at most once per interval and partition, the newest end last, each in a task after the append; its own realm hears every append at once', () => {
    const posted: unknown[] = [];
    const channel = { onmessage: null as ((event: { data: unknown }) => void) | null, postMessage: (m: unknown) => posted.push(m), close() {} };
    const timers: { ms: number; action: () => void }[] = [];
    const hub = createLogWakeups(() => channel, (ms, action) => timers.push({ ms, action }));
    const heard: number[] = [];
    hub.subscribe('a', (n) => heard.push(n.next));
    channel.onmessage!({ data: { kind: 'weir.listening', topic: 'a' } });
    const sent = () => notices(posted).map((p) => `${p.partition}:${p.next}`);
    const fire = (ms: number) => {
      const timer = timers.shift()!;
      assert.equal(timer.ms, ms);
      timer.action();
    };
    const appended = (log: string, partition: number, next: number) => hub.publish({ kind: 'weir.log-appended', log, partition, next });
    for (let next = 1; next <= 5; next++) appended('a', 0, next);
    appended('a', 1, 7);
    appended('a', 0, 3); // another handle's older end, published late: the newest end still wins
    assert.deepEqual(heard, [1, 2, 3, 4, 5, 7, 3], 'the realm hears each at once');
    assert.deepEqual(sent(), [], 'nothing posted during the publisher\'s task (its append resolves first)');
    fire(0); // partition 0's first: the newest end so far
    fire(0); // partition 1's
    assert.deepEqual(sent(), ['0:5', '1:7']);
    appended('a', 0, 6);
    appended('a', 0, 8);
    fire(16); // partition 0's interval ends: the newest end of what came meanwhile
    assert.deepEqual(sent(), ['0:5', '1:7', '0:8']);
    fire(16); // partition 1's: nothing came meanwhile; its interval closes
    fire(16); // partition 0's next: nothing came meanwhile; its interval closes
    assert.equal(timers.length, 0, 'no timer left once nothing waits');
    appended('a', 0, 9);
    fire(0);
    assert.deepEqual(sent(), ['0:5', '1:7', '0:8', '0:9'], 'after a quiet interval, posted in the next task again');
    assert.equal(timers.length, 1);
  });

  it('posts a log\'s wake-ups only once another context listens to it: the newest kept end at once, then as usual; a hub that opens later asks who listens', () => {
    const bus = fakeBus();
    const timers: (() => void)[] = [];
    const later = (_ms: number, action: () => void) => void timers.push(action);
    const settle = () => {
      while (timers.length > 0 || bus.queued() > 0) {
        bus.flush();
        timers.shift()?.();
      }
    };
    const publisher = createLogWakeups(bus.open, later);
    const appended = (hub: typeof publisher, log: string, next: number) => hub.publish({ kind: 'weir.log-appended', log, partition: 0, next });
    appended(publisher, 'a', 1);
    appended(publisher, 'a', 2);
    appended(publisher, 'b', 1);
    settle();
    assert.deepEqual(notices(bus.sent), [], 'no context listens: nothing posted');

    const reader = createLogWakeups(bus.open, later);
    const heard: string[] = [];
    reader.subscribe('a', (n) => heard.push(`a:${n.next}`));
    settle();
    assert.deepEqual(heard, ['a:2'], 'the listener announced itself and was told of the newest end kept for its log');
    appended(publisher, 'a', 3);
    appended(publisher, 'b', 2);
    settle();
    assert.deepEqual(heard, ['a:2', 'a:3']);
    assert.deepEqual(notices(bus.sent).filter((n) => n.log === 'b'), [], 'log b has no listener elsewhere: never posted');

    const late = createLogWakeups(bus.open, later); // a hub that opens after the reader announced itself
    appended(late, 'a', 4);
    settle();
    assert.deepEqual(heard, ['a:2', 'a:3', 'a:4'], 'it asked who listens, heard the reader, and posted');
    assert.equal(reader.malformed + publisher.malformed + late.malformed, 0);
  });

  it('over real BroadcastChannels: a reader that subscribed first is woken by a hub that opens after it and appends', async () => {
    const name = `weir-test-listeners-${process.pid}-${Math.random()}`;
    const channels: BroadcastChannel[] = [];
    const open = () => {
      const channel = new BroadcastChannel(name);
      channels.push(channel);
      return channel as unknown as BroadcastChannelLike;
    };
    const reader = createLogWakeups(open);
    const heard: number[] = [];
    reader.subscribe('a', (n) => heard.push(n.next));
    const publisher = createLogWakeups(open);
    publisher.publish({ kind: 'weir.log-appended', log: 'a', partition: 0, next: 1 });
    await waitUntil(() => heard.length > 0, 'the reader was woken');
    assert.deepEqual(heard, [1]);
    for (const channel of channels) channel.close();
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

/** The log wake-ups among `messages` (beside the hubs' own "listening" and "who listens" messages). */
function notices(messages: readonly unknown[]): LogAppended[] {
  return messages.filter(isLogAppended);
}

/** Channels that deliver to every other channel of the bus, in order, when flushed (as a BroadcastChannel does, asynchronously). */
function fakeBus() {
  const channels: BroadcastChannelLike[] = [];
  const queue: { from: BroadcastChannelLike; data: unknown }[] = [];
  const sent: unknown[] = [];
  return {
    sent,
    open: (): BroadcastChannelLike => {
      const channel: BroadcastChannelLike = {
        onmessage: null,
        postMessage: (data) => {
          sent.push(data);
          queue.push({ from: channel, data: structuredClone(data) });
        },
        close() {},
      };
      channels.push(channel);
      return channel;
    },
    queued: () => queue.length,
    flush: () => {
      for (const { from, data } of queue.splice(0)) for (const to of channels) if (to !== from) to.onmessage?.({ data });
    },
  };
}
