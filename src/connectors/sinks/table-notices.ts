// Table watchers are told to look again (notice-hub.ts) when a job's post-commit step ran (the
// settled checkpoint moved, a compaction landed) or its sinks were rolled back or cleared: in
// this realm directly, in every other tab and worker of the origin over a BroadcastChannel.
import { hasOwnFields, isName, realmNoticeHub, type NoticeHub, type NoticeKind } from '../notice-hub.js';

export interface TableChanged {
  readonly kind: 'weir.table-changed';
  readonly job: string;
  readonly table: string;
}

export const TABLE_NOTICE_CHANNEL = 'weir:tables';

export function isTableChanged(data: unknown): data is TableChanged {
  return hasOwnFields(data, ['kind', 'job', 'table']) && data.kind === 'weir.table-changed' && isName(data.job) && isName(data.table);
}

/** Topic of a table: its job and name (URI-encoded, so no two tables share one). */
export const tableTopic = (job: string, table: string) => `${encodeURIComponent(job)}/${encodeURIComponent(table)}`;

export const TABLE_CHANGED: NoticeKind<TableChanged> = { isNotice: isTableChanged, topicOf: (n) => tableTopic(n.job, n.table) };

export function tableNotices(): NoticeHub<TableChanged> {
  return realmNoticeHub(TABLE_NOTICE_CHANNEL, TABLE_CHANGED);
}
