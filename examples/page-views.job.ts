// The job of the Cloudflare and Deno examples: page views POSTed by writers, counted per page,
// exactly once. Every event also lands, by id, in an append table, so a check can see that
// none was lost or counted twice across restarts.
import { job, sinks, sources } from 'weir';

export interface PageView {
  /** Unique per event: the writer's own id for it. */
  readonly id: string;
  readonly page: string;
}

export default job('page-views', (env) => {
  const views = env.fromSource(sources.log<PageView>('events'), { uid: 'events' });
  views.map((v) => v.id).uid('ids').sinkTo(sinks.table('seen'), { uid: 'seen' });
  views
    .map((v) => ({ page: v.page, views: 1 }))
    .uid('one-view')
    .keyBy((v) => v.page)
    .sum('views')
    .uid('views-per-page')
    .sinkTo(sinks.table('views', { key: 'page' }), { uid: 'views' });
});
