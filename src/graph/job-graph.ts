import type { Sink } from '../connectors/sink.js';
import type { Source } from '../connectors/source.js';
import type { StateKey } from '../state/keyed-state.js';
import type {
  FilterFunction,
  FlatMapFunction,
  KeyedProcessFunction,
  MapFunction,
  ProcessFunction,
  ReduceFunction,
} from './user-functions.js';

/** How records of an edge are dealt to the downstream subtasks. */
export type PartitionerSpec =
  | { kind: 'forward' }
  | { kind: 'hash'; keySelector: (value: unknown) => StateKey }
  | { kind: 'rebalance' }
  | { kind: 'broadcast' };

export type OperatorSpec =
  | { kind: 'source'; source: Source<unknown> }
  | { kind: 'map'; fn: MapFunction<unknown, unknown> }
  | { kind: 'filter'; fn: FilterFunction<unknown> }
  | { kind: 'flat-map'; fn: FlatMapFunction<unknown, unknown> }
  | { kind: 'process'; fn: ProcessFunction<unknown, unknown> }
  /** `firstValue` checks a key's first record (sum/min/max insist on a numeric field). */
  | { kind: 'keyed-reduce'; fn: ReduceFunction<unknown>; firstValue?: (value: unknown) => unknown }
  | { kind: 'keyed-process'; fn: KeyedProcessFunction<StateKey, unknown, unknown> }
  | { kind: 'sink'; sink: Sink<unknown> };

export type OperatorKind = OperatorSpec['kind'];

export interface StreamEdge {
  readonly from: number;
  readonly partitioner: PartitionerSpec;
}

/** One operator of the logical graph, as the API built it. */
export interface StreamNode {
  /** Construction order: the same in the runner and in every worker. */
  readonly id: number;
  uid: string;
  uidSetByUser: boolean;
  name: string;
  /** Set on the operator; otherwise the job's default applies. */
  parallelism: number | undefined;
  readonly spec: OperatorSpec;
  readonly inputs: readonly StreamEdge[];
}

export interface CheckpointingConfig {
  readonly intervalMs: number;
  readonly mode: 'exactly-once' | 'at-least-once';
}

/** The logical graph of a job: what the API built, before any placement. */
export class JobGraph {
  readonly nodes: StreamNode[] = [];
  parallelism: number | undefined;
  maxParallelism: number | undefined;
  checkpointing: CheckpointingConfig | undefined;

  constructor(readonly jobName: string) {}

  addNode(spec: OperatorSpec, inputs: readonly StreamEdge[], name: string): StreamNode {
    const id = this.nodes.length;
    const node: StreamNode = { id, uid: `${spec.kind}-${id}`, uidSetByUser: false, name, parallelism: undefined, spec, inputs };
    this.nodes.push(node);
    return node;
  }

  node(id: number): StreamNode {
    const node = this.nodes[id];
    if (node === undefined) throw new Error(`no node ${id} in job graph '${this.jobName}'`);
    return node;
  }

  /** A summary that two builds of the same job module must agree on (workers compare it with the runner's). */
  fingerprint(): string {
    return this.nodes
      .map((n) => `${n.id}:${n.spec.kind}:${n.uid}:${n.parallelism ?? ''}<${n.inputs.map((e) => `${e.from}/${e.partitioner.kind}`).join(',')}`)
      .join(';');
  }
}
