// Wake-ups for log readers: an append tells every reader of that log, in this realm and in every
// other page, tab and worker of the origin (notice-hub.ts), so a reader that caught up waits
// without polling. A wake-up only says "look again": a lost or forged one costs a read at most.
import { createNoticeHub, hasOwnFields, isName, realmNoticeHub, type BroadcastChannelLike, type Later, type NoticeHub, type NoticeKind } from '../notice-hub.js';

export interface LogAppended {
  readonly kind: 'weir.log-appended';
  readonly log: string;
  readonly partition: number;
  /** The partition's head after the append (or its end). */
  readonly next: number;
}

export type LogWakeups = NoticeHub<LogAppended>;

export const LOG_WAKEUP_CHANNEL = 'weir:logs';

export function isLogAppended(data: unknown): data is LogAppended {
  if (!hasOwnFields(data, ['kind', 'log', 'partition', 'next'])) return false;
  return data.kind === 'weir.log-appended' && isName(data.log) &&
    Number.isSafeInteger(data.partition) && (data.partition as number) >= 0 && Number.isSafeInteger(data.next) && (data.next as number) >= 0;
}

/**
 * Other contexts hear of a partition's appends at most every 16 ms (the newest end), so a page
 * appending one record after another does not post once per append; its own realm hears each.
 * And only once a reader there listens to that log: a page whose log nobody reads elsewhere posts nothing.
 */
const LOG_APPENDED: NoticeKind<LogAppended> = {
  isNotice: isLogAppended,
  topicOf: (notice) => notice.log,
  coalesce: { everyMs: 16, keyOf: (n) => `${n.partition}/${n.log}`, merge: (older, newer) => (newer.next >= older.next ? newer : older) },
  postOnlyToListeners: true,
};

/**
 * The hub for a log in `storage`: the storage's own when it is context-bound, else the realm's. A storage
 * bound to one context of a realm that hosts several (a Durable Object: the objects of an isolate
 * share its globals) brings its own, so an append wakes only readers of that object: a wake-up
 * from another object's context would resolve a promise across contexts, which workerd never
 * lets settle (the reader would hang).
 */
export function logWakeupsFor(storage: { readonly contextBound?: boolean }): LogWakeups {
  if (storage.contextBound !== true) return logWakeups();
  let hub = contextHubs.get(storage);
  if (hub === undefined) contextHubs.set(storage, (hub = createLogWakeups(() => undefined)));
  return hub;
}

const contextHubs = new WeakMap<object, LogWakeups>();

/** The realm's one hub (shared by every copy of the bundle in it, like the memory storage). */
export function logWakeups(): LogWakeups {
  return realmNoticeHub(LOG_WAKEUP_CHANNEL, LOG_APPENDED);
}

/** A hub over the given channel factory and timer (tests pass their own). */
export function createLogWakeups(openChannel: () => BroadcastChannelLike | undefined, later?: Later): LogWakeups {
  return createNoticeHub(LOG_APPENDED, openChannel, later);
}
