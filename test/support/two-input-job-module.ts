import { job, type JobDefinition } from 'weir';
import { buildBalances, buildIntervalJoin, buildRuleTotals, expectedBalances, expectedIntervalJoin, expectedRuleTotals, seededEvents, seededRules } from './two-input-jobs.js';

// The two-input jobs as a job module reads them from its URL's query (every worker imports the same
// URL, so builds the same inputs): name, kind ('balances' | 'interval' | 'rules'), seed, events (per
// input), keys, holdAfter and holdCheckpoints (test/support/held-source.ts). Browser-safe.

export interface TwoInputParams {
  readonly name: string;
  readonly kind: 'balances' | 'interval' | 'rules';
  readonly seed: number;
  readonly events: number;
  readonly keys: number;
  readonly holdAfter?: number;
  readonly holdCheckpoints?: number;
}

function inputs(p: TwoInputParams) {
  return { a: seededEvents(p.seed, 'a', p.events, p.keys), b: seededEvents(p.seed + 1, 'b', p.events, p.keys), rules: seededRules(p.seed + 2, 10, Math.ceil(5 * p.events / 10)) };
}

export function twoInputJob(p: TwoInputParams): JobDefinition {
  const { a, b, rules } = inputs(p);
  const hold = p.holdAfter === undefined ? undefined : { after: p.holdAfter, checkpoints: p.holdCheckpoints ?? 2 };
  return job(p.name, (env) => {
    if (p.kind === 'balances') buildBalances(env, a, b, hold);
    else if (p.kind === 'interval') buildIntervalJoin(env, a, b, -25, 40, hold);
    else buildRuleTotals(env, a, rules, hold);
  });
}

/** The table the job writes, and what it must hold at the end. */
export function twoInputExpected(p: TwoInputParams): { table: string; rows: unknown[] } {
  const { a, b, rules } = inputs(p);
  if (p.kind === 'balances') return { table: 'balances', rows: expectedBalances(a, b) };
  if (p.kind === 'interval') return { table: 'pairs', rows: expectedIntervalJoin(a, b, -25, 40) };
  return { table: 'totals', rows: expectedRuleTotals(a, rules) };
}

export function paramsOf(url: URL): TwoInputParams {
  const q = url.searchParams;
  const n = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
  return {
    name: q.get('name') ?? 'two-inputs', kind: (q.get('kind') ?? 'balances') as TwoInputParams['kind'], seed: n('seed') ?? 1,
    events: n('events') ?? 2000, keys: n('keys') ?? 31,
    ...(q.has('holdAfter') ? { holdAfter: n('holdAfter')!, holdCheckpoints: n('holdCheckpoints') ?? 2 } : {}),
  };
}

export function urlOf(base: URL, p: TwoInputParams): URL {
  const url = new URL(base);
  for (const [k, v] of Object.entries(p)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}
