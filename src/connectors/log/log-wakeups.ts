// Wake-ups for log readers: an append tells every reader of that log, in this realm directly
// and in every other page, tab and worker of the origin (thread of the process) through one
// BroadcastChannel, so a reader that caught up waits without polling. A wake-up only says
// "look again": a lost or forged one costs a read at most, never a record.
//
// Messages from other contexts are untrusted: anything but a well-formed notice is ignored and
// counted (issue 17: a malformed message never crashes a tab's job).

export interface LogAppended {
  readonly kind: 'weir.log-appended';
  readonly log: string;
  readonly partition: number;
  /** The partition's head after the append (or its end). */
  readonly next: number;
}

type Listener = (notice: LogAppended) => void;

interface BroadcastChannelLike {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
  unref?(): void;
}

export interface LogWakeups {
  /** Calls `listener` for every notice about `log`; returns the unsubscribe. */
  subscribe(log: string, listener: Listener): () => void;
  publish(notice: LogAppended): void;
  /** Messages on the channel that were not well-formed notices, since this realm started. */
  readonly malformed: number;
}

export const LOG_WAKEUP_CHANNEL = 'weir:logs';
const MAX_NAME_LENGTH = 10_000;

export function isLogAppended(data: unknown): data is LogAppended {
  if (typeof data !== 'object' || data === null) return false;
  const n = data as Record<string, unknown>;
  if (!['kind', 'log', 'partition', 'next'].every((key) => Object.hasOwn(n, key))) return false; // inherited fields are not the sender's
  return n.kind === 'weir.log-appended' && typeof n.log === 'string' && n.log.length > 0 && n.log.length <= MAX_NAME_LENGTH &&
    Number.isSafeInteger(n.partition) && (n.partition as number) >= 0 && Number.isSafeInteger(n.next) && (n.next as number) >= 0;
}

/** The realm's one hub (shared by every copy of the bundle in it, like the memory storage). */
export function logWakeups(): LogWakeups {
  const holder = globalThis as unknown as Record<symbol, LogWakeups | undefined>;
  const key = Symbol.for('weir.log-wakeups');
  return (holder[key] ??= createLogWakeups(() => {
    const Channel = (globalThis as { BroadcastChannel?: new (name: string) => BroadcastChannelLike }).BroadcastChannel;
    return Channel === undefined ? undefined : new Channel(LOG_WAKEUP_CHANNEL);
  }));
}

/** A hub over the given channel factory (tests pass their own). */
export function createLogWakeups(openChannel: () => BroadcastChannelLike | undefined): LogWakeups {
  const listeners = new Map<string, Set<Listener>>();
  let channel: BroadcastChannelLike | undefined;
  let opened = false;
  let malformed = 0;

  const deliver = (notice: LogAppended) => {
    for (const listener of listeners.get(notice.log) ?? []) {
      try {
        listener(notice);
      } catch {
        // a reader's wake-up must not stop the others from hearing it
      }
    }
  };
  const ensureChannel = () => {
    if (opened) return channel;
    opened = true;
    try {
      channel = openChannel();
    } catch {
      channel = undefined; // no cross-context wake-ups here: readers fall back to their re-check
    }
    if (channel !== undefined) {
      channel.onmessage = (event) => {
        if (isLogAppended(event.data)) deliver(event.data);
        else malformed++;
      };
      channel.unref?.(); // Node: an idle channel must not keep the process alive
    }
    return channel;
  };

  return {
    subscribe(log, listener) {
      ensureChannel();
      let set = listeners.get(log);
      if (set === undefined) listeners.set(log, (set = new Set()));
      set.add(listener);
      return () => {
        set!.delete(listener);
        if (set!.size === 0 && listeners.get(log) === set) listeners.delete(log);
      };
    },
    publish(notice) {
      deliver(notice);
      try {
        ensureChannel()?.postMessage(notice);
      } catch {
        // a closed or failing channel: readers elsewhere find the records at their next re-check
      }
    },
    get malformed() {
      return malformed;
    },
  };
}
