// Notices that say "look again" to listeners in this realm directly and, through one
// BroadcastChannel, in every other page, tab and worker of the origin (thread of the process):
// log appends wake log readers, table commits wake table watchers. A notice never carries data,
// so a lost or forged one costs a read at most, never a record.
//
// Messages from other contexts are untrusted: anything the hub's check does not accept is
// ignored and counted (issue 17: a malformed message never crashes a tab).

export interface BroadcastChannelLike {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
  unref?(): void;
}

export interface NoticeHub<N> {
  /** Calls `listener` for every notice about `topic`; returns the unsubscribe. */
  subscribe(topic: string, listener: (notice: N) => void): () => void;
  publish(notice: N): void;
  /** Messages on the channel that were not well-formed notices, since this realm started. */
  readonly malformed: number;
}

export interface NoticeKind<N> {
  /** Must accept only a well-formed notice: own fields of the right types, bounded lengths. */
  readonly isNotice: (data: unknown) => data is N;
  readonly topicOf: (notice: N) => string;
  /**
   * Posts on the channel at most once per `everyMs` per `keyOf` (the first in a task of its own,
   * right after the publisher's, then the `merge` of those published meanwhile when the interval
   * ends); listeners in the realm still hear every notice at once. A post costs ~0.1–0.6 ms of
   * the publisher's thread in Chromium (measured): one per durable append was a fifth of an
   * append's time, and one made before an append resolved delayed it.
   */
  readonly coalesce?: { readonly everyMs: number; keyOf(notice: N): string; merge(older: N, newer: N): N };
  /**
   * With `coalesce`: posts a topic's notices only once another context said it listens to that
   * topic (a hub announces its listeners' topics, and answers a hub that opens and asks). Until
   * then it keeps the newest notice per `keyOf` and posts it when a listener is announced, so a
   * listener that subscribed before it looked is still told of what came meanwhile. A page that
   * appends to a log nobody elsewhere reads posts nothing (a post cost more than the rest of an
   * append's own work together: docs/decisions.md).
   */
  readonly postOnlyToListeners?: boolean;
}

/** A hub's own messages (kinds that post only to listeners): "this context listens to `topic`", and "who listens?". */
interface Listening {
  readonly kind: 'weir.listening';
  readonly topic: string;
}
const WHO_LISTENS = { kind: 'weir.who-listens' } as const;

function isListening(data: unknown): data is Listening {
  return hasOwnFields(data, ['kind', 'topic']) && data.kind === 'weir.listening' && isName(data.topic);
}

function isWhoListens(data: unknown): boolean {
  return hasOwnFields(data, ['kind']) && data.kind === WHO_LISTENS.kind;
}

/** Runs `action` after `ms` (a timer that does not keep a Node process alive). */
export type Later = (ms: number, action: () => void) => void;

const laterByTimer: Later = (ms, action) => {
  const timer = setTimeout(action, ms) as { unref?: () => void };
  timer.unref?.();
};

/** The realm's one hub for a channel name (shared by every copy of the bundle in it, like the memory storage). */
export function realmNoticeHub<N>(channelName: string, kind: NoticeKind<N>): NoticeHub<N> {
  const holder = globalThis as unknown as Record<symbol, NoticeHub<N> | undefined>;
  const key = Symbol.for(`weir.notices:${channelName}`);
  return (holder[key] ??= createNoticeHub(kind, () => {
    const Channel = (globalThis as { BroadcastChannel?: new (name: string) => BroadcastChannelLike }).BroadcastChannel;
    return Channel === undefined ? undefined : new Channel(channelName);
  }));
}

/** A hub over the given channel factory and timer (tests pass their own). */
export function createNoticeHub<N>(kind: NoticeKind<N>, openChannel: () => BroadcastChannelLike | undefined, later: Later = laterByTimer): NoticeHub<N> {
  const listeners = new Map<string, Set<(notice: N) => void>>();
  let channel: BroadcastChannelLike | undefined;
  let opened = false;
  let malformed = 0;
  const coalesce = kind.coalesce;
  const onlyToListeners = kind.postOnlyToListeners === true && coalesce !== undefined;
  /** Per coalescing key whose interval runs: the notice waiting for its end (null: none yet). */
  const intervals = new Map<string, N | null>();
  /** Topics another context listens to (postOnlyToListeners); and per key, the newest notice of a topic nobody elsewhere listened to yet. */
  const heard = new Set<string>();
  const unheard = new Map<string, N>();

  const deliver = (notice: N) => {
    for (const listener of listeners.get(kind.topicOf(notice)) ?? []) {
      try {
        listener(notice);
      } catch {
        // one listener's failure must not stop the others from hearing it
      }
    }
  };
  const post = (message: unknown) => {
    try {
      ensureChannel()?.postMessage(message);
    } catch {
      // a closed or failing channel: listeners elsewhere find the change at their next re-check
    }
  };
  const announce = (topic: string) => post({ kind: 'weir.listening', topic } satisfies Listening);
  const listenerHeard = (topic: string) => {
    if (heard.has(topic)) return;
    heard.add(topic);
    for (const [key, notice] of unheard) {
      if (kind.topicOf(notice) !== topic) continue;
      unheard.delete(key);
      postCoalesced(key, notice);
    }
  };
  const ensureChannel = () => {
    if (opened) return channel;
    opened = true;
    try {
      channel = openChannel();
    } catch {
      channel = undefined; // no cross-context notices here: listeners fall back to their re-check
    }
    if (channel !== undefined) {
      channel.onmessage = (event) => {
        if (kind.isNotice(event.data)) deliver(event.data);
        else if (onlyToListeners && isListening(event.data)) listenerHeard(event.data.topic);
        else if (onlyToListeners && isWhoListens(event.data)) for (const topic of listeners.keys()) announce(topic);
        else malformed++;
      };
      channel.unref?.(); // Node: an idle channel must not keep the process alive
      if (onlyToListeners) post(WHO_LISTENS); // the contexts that listen already answer
    }
    return channel;
  };

  const postCoalesced = (key: string, notice: N) => {
    const waiting = intervals.get(key);
    if (waiting !== undefined) {
      intervals.set(key, waiting === null ? notice : coalesce!.merge(waiting, notice));
      return;
    }
    const end = () => {
      const waiting = intervals.get(key);
      if (waiting == null) {
        intervals.delete(key);
        return;
      }
      intervals.set(key, null);
      post(waiting);
      later(coalesce!.everyMs, end);
    };
    // Even the first goes out in a task of its own: after the publisher's current one (a
    // durable append resolves, its caller issues the next write), so the post's cost is paid
    // while that write is in flight, not before the append resolves.
    intervals.set(key, notice);
    later(0, end);
  };

  return {
    subscribe(topic, listener) {
      ensureChannel();
      let set = listeners.get(topic);
      if (set === undefined) {
        listeners.set(topic, (set = new Set()));
        if (onlyToListeners && channel !== undefined) announce(topic);
      }
      set.add(listener);
      return () => {
        set!.delete(listener);
        if (set!.size === 0 && listeners.get(topic) === set) listeners.delete(topic);
      };
    },
    publish(notice) {
      deliver(notice);
      if (coalesce === undefined || ensureChannel() === undefined) {
        post(notice);
        return;
      }
      const key = coalesce.keyOf(notice);
      if (onlyToListeners && !heard.has(kind.topicOf(notice))) {
        const older = unheard.get(key);
        unheard.set(key, older === undefined ? notice : coalesce.merge(older, notice));
        return;
      }
      postCoalesced(key, notice);
    },
    get malformed() {
      return malformed;
    },
  };
}

/** Whether `data` is a plain object with exactly these own fields (inherited ones are not the sender's). */
export function hasOwnFields(data: unknown, fields: readonly string[]): data is Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  return fields.every((key) => Object.hasOwn(data, key));
}

export const MAX_NOTICE_NAME_LENGTH = 10_000;

export const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_NOTICE_NAME_LENGTH;
