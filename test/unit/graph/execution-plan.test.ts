import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildJobGraph, job } from '../../../src/api/job.js';
import type { StreamEnvironment } from '../../../src/api/stream-environment.js';
import { print } from '../../../src/connectors/sinks/print-sink.js';
import { table } from '../../../src/connectors/sinks/table-sink.js';
import { fromElements } from '../../../src/connectors/sources/elements-source.js';
import { sequence } from '../../../src/connectors/sources/sequence-source.js';
import { WeirError } from '../../../src/errors/index.js';
import {
  buildExecutionPlan,
  keyGroupRangeOfSubtask,
  upstreamSubtasksOf,
  type ExecutionPlan,
} from '../../../src/graph/execution-plan.js';

type Event = { user: string; n: number };
const events = () => fromElements<Event>([{ user: 'a', n: 1 }, { user: 'b', n: 2 }]);
const quiet = () => print<unknown>({ log: () => {} });

function planOf(build: (env: StreamEnvironment) => void, defaultParallelism = 2): ExecutionPlan {
  return buildExecutionPlan(buildJobGraph(job('plan-test', build)), defaultParallelism);
}

/** The plan as plain data, without the user functions: what a test compares whole. */
function shape(plan: ExecutionPlan) {
  return {
    jobName: plan.jobName,
    maxParallelism: plan.maxParallelism,
    vertices: plan.vertices.map((v) => ({
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      isSource: v.isSource,
      operators: v.operators.map((o) => ({ uid: o.uid, kind: o.spec.kind, chained: o.chainedOutputs, network: o.networkOutputs })),
      inputs: v.inputs.map((i) => `${i.fromVertex}/${i.partitioner.kind}`),
      outputs: v.outputs.map((o) => `${o.toVertex}.${o.targetInput}/${o.partitioner.kind}`),
    })),
  };
}

function throwsInvalidGraph(fn: () => unknown, operator: string, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof WeirError);
    assert.equal(error.code, 'INVALID_GRAPH');
    assert.equal(error.domain, 'user');
    assert.equal(error.retryable, false);
    assert.deepEqual(error.details, { operator });
    assert.match(error.message, message);
    return true;
  });
}

describe('buildExecutionPlan', () => {
  it('chains source → map → filter → sink over forward edges of equal parallelism into one vertex', () => {
    const plan = planOf((env) => {
      env.fromSource(events()).map((e) => e.n).filter((n) => n > 0).sinkTo(quiet());
    });
    assert.deepEqual(shape(plan), {
      jobName: 'plan-test',
      maxParallelism: 128,
      vertices: [{
        id: 0,
        name: 'fromElements(2) → Map → Filter → Sink: print',
        parallelism: 2,
        isSource: true,
        operators: [
          { uid: 'source-0', kind: 'source', chained: [1], network: [] },
          { uid: 'map-1', kind: 'map', chained: [2], network: [] },
          { uid: 'filter-2', kind: 'filter', chained: [3], network: [] },
          { uid: 'sink-3', kind: 'sink', chained: [], network: [] },
        ],
        inputs: [],
        outputs: [],
      }],
    });
  });

  it('breaks the chain at keyBy with a hash edge, and chains the sink after a keyed sum with the sum', () => {
    const plan = planOf((env) => {
      env.fromSource(events()).map((e) => e).keyBy((e) => e.user).sum('n').sinkTo(table('totals'));
    });
    assert.deepEqual(shape(plan).vertices, [
      {
        id: 0, name: 'fromElements(2) → Map', parallelism: 2, isSource: true,
        operators: [
          { uid: 'source-0', kind: 'source', chained: [1], network: [] },
          { uid: 'map-1', kind: 'map', chained: [], network: [0] },
        ],
        inputs: [],
        outputs: ['1.0/hash'],
      },
      {
        id: 1, name: 'Sum(n) → Sink: table(totals)', parallelism: 2, isSource: false,
        operators: [
          { uid: 'keyed-reduce-2', kind: 'keyed-reduce', chained: [1], network: [] },
          { uid: 'sink-3', kind: 'sink', chained: [], network: [] },
        ],
        inputs: ['0/hash'],
        outputs: [],
      },
    ]);
    const edge = plan.vertices[1]!.inputs[0]!.partitioner;
    assert.equal(edge.kind === 'hash' ? edge.keySelector({ user: 'z', n: 0 }) : undefined, 'z');
  });

  it('turns a forward edge between different parallelisms into a rebalance and does not chain across it', () => {
    const plan = planOf((env) => {
      env.fromSource(sequence({ from: 0, to: 10 }), { parallelism: 1 }).map((n) => n * 2).setParallelism(3).sinkTo(quiet());
    }, 3);
    assert.deepEqual(shape(plan).vertices.map(({ name, parallelism, inputs, outputs }) => ({ name, parallelism, inputs, outputs })), [
      { name: 'sequence(0..10)', parallelism: 1, inputs: [], outputs: ['1.0/rebalance'] },
      { name: 'Map → Sink: print', parallelism: 3, inputs: ['0/rebalance'], outputs: [] },
    ]);
  });

  it('does not chain over an explicit rebalance or broadcast edge even at equal parallelism', () => {
    const plan = planOf((env) => {
      const s = env.fromSource(events());
      s.rebalance().map((e) => e).sinkTo(quiet());
      s.broadcast().filter(() => true).sinkTo(quiet());
    });
    assert.deepEqual(shape(plan).vertices.map(({ name, inputs, outputs }) => ({ name, inputs, outputs })), [
      { name: 'fromElements(2)', inputs: [], outputs: ['1.0/rebalance', '2.0/broadcast'] },
      { name: 'Map → Sink: print', inputs: ['0/rebalance'], outputs: [] },
      { name: 'Filter → Sink: print', inputs: ['0/broadcast'], outputs: [] },
    ]);
    assert.deepEqual(plan.vertices[0]!.operators[0]!.networkOutputs, [0, 1]);
  });

  it('gives a union a vertex of its own with one input per unioned stream', () => {
    const plan = planOf((env) => {
      const a = env.fromSource(sequence({ from: 0, to: 5 }));
      const b = env.fromSource(sequence({ from: 5, to: 9 }));
      a.union(b).map((n) => n + 1).sinkTo(quiet());
    });
    assert.deepEqual(shape(plan).vertices.map(({ name, isSource, operators, inputs, outputs }) => ({ name, isSource, ops: operators.map((o) => o.uid), inputs, outputs })), [
      { name: 'sequence(0..5)', isSource: true, ops: ['source-0'], inputs: [], outputs: ['2.0/forward'] },
      { name: 'sequence(5..9)', isSource: true, ops: ['source-1'], inputs: [], outputs: ['2.1/forward'] },
      { name: 'Map → Sink: print', isSource: false, ops: ['map-2', 'sink-3'], inputs: ['0/forward', '1/forward'], outputs: [] },
    ]);
  });

  it('chains two forward consumers of one operator into its vertex as two chained outputs', () => {
    const plan = planOf((env) => {
      const s = env.fromSource(events());
      s.map((e) => e.n).sinkTo(quiet());
      s.filter((e) => e.n > 1).sinkTo(quiet());
    });
    assert.deepEqual(shape(plan).vertices.map((v) => v.operators.map((o) => `${o.uid}->${o.chained.join('+')}`)), [
      ['source-0->1+3', 'map-1->2', 'sink-2->', 'filter-3->4', 'sink-4->'],
    ]);
  });

  it('resolves parallelism from the operator first, then env.setParallelism, then the run default', () => {
    const build = (envParallelism: number | undefined) => (env: StreamEnvironment) => {
      if (envParallelism !== undefined) env.setParallelism(envParallelism);
      env.fromSource(events()).map((e) => e).setParallelism(5).sinkTo(quiet());
    };
    const parallelisms = (plan: ExecutionPlan) => plan.vertices.map((v) => [v.name, v.parallelism]);
    assert.deepEqual(parallelisms(planOf(build(3), 2)), [['fromElements(2)', 3], ['Map', 5], ['Sink: print', 3]]);
    assert.deepEqual(parallelisms(planOf(build(undefined), 2)), [['fromElements(2)', 2], ['Map', 5], ['Sink: print', 2]]);
    assert.deepEqual(parallelisms(planOf(build(undefined), 5)), [['fromElements(2) → Map → Sink: print', 5]]);
  });

  it('uses the job maxParallelism and derives each subtask key group range from it', () => {
    const plan = planOf((env) => {
      env.setMaxParallelism(10).fromSource(events()).keyBy((e) => e.user).sum('n').setParallelism(3).sinkTo(quiet());
    });
    assert.equal(plan.maxParallelism, 10);
    const keyed = plan.vertices.find((v) => v.operators[0]!.spec.kind === 'keyed-reduce')!;
    assert.deepEqual([0, 1, 2].map((i) => keyGroupRangeOfSubtask(plan, { vertexId: keyed.id, subtaskIndex: i })), [
      { start: 0, end: 3 },
      { start: 4, end: 6 },
      { start: 7, end: 9 },
    ]);
  });

  it('refuses an operator parallelism above maxParallelism with INVALID_GRAPH naming the operator', () => {
    const graph = buildJobGraph(job('too-wide', (env) => {
      env.setMaxParallelism(4).fromSource(events()).map((e) => e).uid('wide-map').setParallelism(5).sinkTo(quiet());
    }));
    throwsInvalidGraph(() => buildExecutionPlan(graph, 2), 'wide-map', /^operator 'wide-map' has parallelism 5, above the job's maxParallelism 4$/);
  });

  it('refuses a run default above the default maxParallelism, naming the first operator it applies to', () => {
    const graph = buildJobGraph(job('too-wide', (env) => {
      env.fromSource(events(), { uid: 'events' }).sinkTo(quiet());
    }));
    throwsInvalidGraph(() => buildExecutionPlan(graph, 129), 'events', /^operator 'events' has parallelism 129, above the job's maxParallelism 128$/);
    assert.equal(buildExecutionPlan(graph, 128).vertices[0]!.parallelism, 128);
  });
});

describe('upstreamSubtasksOf', () => {
  it('feeds a subtask from its own index over a forward edge and from every upstream subtask otherwise', () => {
    const plan = planOf((env) => {
      env.fromSource(events(), { parallelism: 3 }).keyBy((e) => e.user).sum('n').setParallelism(2).rebalance().map((e) => e).setParallelism(2).sinkTo(quiet());
    });
    const keyed = plan.vertices[1]!;
    const mapped = plan.vertices[2]!;
    assert.deepEqual([0, 1].map((d) => upstreamSubtasksOf(plan, keyed.inputs[0]!, d)), [[0, 1, 2], [0, 1, 2]]);
    assert.deepEqual([0, 1].map((d) => upstreamSubtasksOf(plan, mapped.inputs[0]!, d)), [[0, 1], [0, 1]]);
    assert.deepEqual(upstreamSubtasksOf(plan, { fromVertex: 0, partitioner: { kind: 'forward' } }, 1), [1]);
  });
});

describe('JobGraph.fingerprint', () => {
  const build = (mapUid: string) => (env: StreamEnvironment) => {
    env.enableCheckpointing(100);
    const s = env.fromSource(events(), { uid: 'events', parallelism: 2 });
    s.union(env.fromSource(sequence({ from: 0, to: 3 })).map((n) => ({ user: String(n), n })))
      .map((e) => e).uid(mapUid)
      .keyBy((e) => e.user).sum('n')
      .sinkTo(table('out'), { uid: 'out' });
  };

  it('is identical for two builds of the same job, and so is the plan built from each', () => {
    const definition = job('fp', build('normalise'));
    const a = buildJobGraph(definition);
    const b = buildJobGraph(definition);
    assert.equal(a.fingerprint(), b.fingerprint());
    assert.equal(
      a.fingerprint(),
      '0:source:events:2<;1:source:source-1:<;2:map:map-2:<1/forward;3:map:normalise:<0/forward,2/forward;4:keyed-reduce:keyed-reduce-4:<3/hash;5:sink:out:<4/forward',
    );
    assert.deepEqual(shape(buildExecutionPlan(a, 2)), shape(buildExecutionPlan(b, 2)));
  });

  it('differs when an operator uid differs', () => {
    assert.notEqual(buildJobGraph(job('fp', build('normalise'))).fingerprint(), buildJobGraph(job('fp', build('renamed'))).fingerprint());
  });
});
