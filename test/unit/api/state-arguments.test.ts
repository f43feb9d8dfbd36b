import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { job, readTable, run, sinks, sources, type KeyedProcessContext, type NonKeyedProcessContext, type Sink } from 'weir';
import { bad, namesArgument, uniqueJobName } from './api-test-helpers.js';

// Bad arguments to the state accessors fail the job (restart: none) with an INVALID_ARGUMENT error
// naming the argument, and nothing is committed.

const sum = { create: () => 0, add: (a: number, v: number) => a + v, result: (a: number) => a };

async function failsWith(argument: string, use: (ctx: KeyedProcessContext<number>) => void): Promise<void> {
  const name = uniqueJobName('state-args');
  const handle = await run(job(name, (env) => {
    env.fromSource(sources.fromElements([1, 2, 3])).keyBy((n) => n).process<number>((n, ctx, out) => {
      use(ctx);
      out.collect(n);
    }).sinkTo(sinks.table('out'));
  }), { restart: { strategy: 'none' } });
  await assert.rejects(handle.done, namesArgument(argument));
  assert.deepEqual(await readTable(name, 'out'), []);
}

async function nonKeyedFailsWith(argument: string, use: (ctx: NonKeyedProcessContext) => void): Promise<void> {
  const handle = await run(job(uniqueJobName('op-state-args'), (env) => {
    env.fromSource(sources.fromElements([1])).process<number>((n, ctx, out) => {
      use(ctx);
      out.collect(n);
    }).sinkTo(sinks.table('out'));
  }), { restart: { strategy: 'none' } });
  await assert.rejects(handle.done, namesArgument(argument));
}

describe('state accessors refuse bad arguments, naming them', () => {
  it('a time-to-live that is not a positive number, an unknown update type or option, update without ttlMs', async () => {
    await failsWith('getState(options).ttlMs', (ctx) => ctx.getState('v', { ttlMs: 0 }));
    await failsWith('getState(options).ttlMs', (ctx) => ctx.getState('v', { ttlMs: bad('soon') }));
    await failsWith('getListState(options).ttlMs', (ctx) => ctx.getListState('l', { ttlMs: Number.POSITIVE_INFINITY }));
    await failsWith('getListState(options).update', (ctx) => ctx.getListState('l', { ttlMs: 10, update: bad('sometimes') }));
    await failsWith('getMapState(options).ttl', (ctx) => ctx.getMapState('m', bad({ ttl: 10 })));
    await failsWith('getMapState(options)', (ctx) => ctx.getMapState('m', bad(10)));
    await failsWith('getReducingState(options).update', (ctx) => ctx.getReducingState('r', (a: number, b: number) => a + b, { update: 'on-write' }));
    await failsWith('getAggregatingState(options).ttlMs', (ctx) => ctx.getAggregatingState('a', sum, { ttlMs: -5 }));
  });

  it('one state with two different time-to-lives', async () => {
    await failsWith('getState(options)', (ctx) => {
      ctx.getState('v', { ttlMs: 10 });
      ctx.getState('v', { ttlMs: 20 });
    });
  });

  it('state names that are not non-empty strings', async () => {
    await failsWith('getState(name)', (ctx) => ctx.getState(''));
    await failsWith('getListState(name)', (ctx) => ctx.getListState(bad(7)));
    await failsWith('getAggregatingState(name)', (ctx) => ctx.getAggregatingState(bad(undefined), sum));
  });

  it('getReducingState without a function, getAggregatingState without create, add and result functions', async () => {
    await failsWith('getReducingState(reduce)', (ctx) => ctx.getReducingState('r', bad(42)));
    await failsWith('getAggregatingState(aggregate)', (ctx) => ctx.getAggregatingState('a', bad(null)));
    await failsWith('getAggregatingState(aggregate).result', (ctx) => ctx.getAggregatingState('a', bad({ create: () => 0, add: (a: number) => a })));
    await failsWith('getAggregatingState(aggregate).merge', (ctx) => ctx.getAggregatingState('a', bad({ ...sum, merge: 'yes' })));
  });

  it('operator state: names that are not non-empty strings, one name as split and as union list', async () => {
    await nonKeyedFailsWith('getOperatorListState(name)', (ctx) => ctx.getOperatorListState(''));
    await nonKeyedFailsWith('getUnionListState(name)', (ctx) => ctx.getUnionListState(bad(3)));
    await nonKeyedFailsWith('getUnionListState(name)', (ctx) => {
      ctx.getOperatorListState('x');
      ctx.getUnionListState('x');
    });
  });

  it("a sink writer's operator state checks its names the same way", async () => {
    const sink: Sink<number> = {
      kind: 'weir.sink', name: 'bad-state', guarantee: 'at-least-once',
      createWriter: (ctx) => {
        ctx.getOperatorListState(bad(null));
        return { write() {}, prepareCommit: () => undefined };
      },
    };
    const handle = await run(job(uniqueJobName('sink-state-args'), (env) => {
      env.fromSource(sources.fromElements([1])).sinkTo(sink);
    }), { restart: { strategy: 'none' } });
    await assert.rejects(handle.done, namesArgument('getOperatorListState(name)'));
  });
});
