import type { CheckpointStorage } from '../state/checkpoint-storage.js';
import { defaultPlatform } from './default-platform.js';
import type { RuntimePlatform } from './runtime-platform.js';

/**
 * Cloudflare Workers (workerd): one isolate, no Worker, so jobs run in-process; memory storage
 * by default, a Durable Object's SQLite storage with { durableObject: ctx.storage }.
 * The task scheduler yields through setTimeout(0), not a MessageChannel: workerd runs posted
 * messages before any due timer, so a job yielding through a MessageChannel starved every
 * setTimeout (periodic checkpoint triggers, processing-time timers, restart delays) until its
 * input ran out. workerd does not clamp setTimeout(0) (2,000 hops: 32 ms; through a MessageChannel: 26 ms).
 */
export function workerdPlatform(openDurableObject?: (storage: unknown, argument: string) => CheckpointStorage): RuntimePlatform {
  return {
    ...defaultPlatform('workerd'),
    scheduleMacrotask: (callback) => void setTimeout(callback, 0),
    durableStorage: openDurableObject === undefined ? {} : { durableObject: openDurableObject },
  };
}
