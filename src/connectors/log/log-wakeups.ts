// Wake-ups for log readers: an append tells every reader of that log, in this realm and in every
// other page, tab and worker of the origin (notice-hub.ts), so a reader that caught up waits
// without polling. A wake-up only says "look again": a lost or forged one costs a read at most.
import { createNoticeHub, hasOwnFields, isName, realmNoticeHub, type BroadcastChannelLike, type NoticeHub, type NoticeKind } from '../notice-hub.js';

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

const LOG_APPENDED: NoticeKind<LogAppended> = { isNotice: isLogAppended, topicOf: (notice) => notice.log };

/** The realm's one hub for log wake-ups. */
export function logWakeups(): LogWakeups {
  return realmNoticeHub(LOG_WAKEUP_CHANNEL, LOG_APPENDED);
}

/** A hub over the given channel factory (tests pass their own). */
export function createLogWakeups(openChannel: () => BroadcastChannelLike | undefined): LogWakeups {
  return createNoticeHub(LOG_APPENDED, openChannel);
}
