import type { Sink } from '../connectors/sink.js';
import { WeirError } from '../errors/index.js';
import type { Source } from '../connectors/source.js';
import type { StateKey } from '../state/keyed-state.js';
import type { WatermarkSpec } from './watermarks.js';
import type { WindowSpec } from './windowing.js';
import type {
  FilterFunction,
  FlatMapFunction,
  KeyedProcessFunction,
  MapFunction,
  ProcessFunction,
  ReduceFunction,
} from './user-functions.js';
import type {
  AnyKeyedCoProcessFunction,
  BroadcastProcessFunction,
  CoProcessFunction,
  KeyedBroadcastProcessFunction,
  ProcessJoinFunction,
} from './two-input-functions.js';

/** How records of an edge are dealt to the downstream subtasks. */
export type PartitionerSpec =
  | { kind: 'forward' }
  | { kind: 'hash'; keySelector: (value: unknown) => StateKey }
  | { kind: 'rebalance' }
  | { kind: 'broadcast' };

export type OperatorSpec =
  | { kind: 'source'; source: Source<unknown>; watermarks?: WatermarkSpec }
  /** `deadLetters`: a side output's tag id; a record the function throws on goes there instead of failing the job. */
  | { kind: 'map'; fn: MapFunction<unknown, unknown>; deadLetters?: string }
  | { kind: 'filter'; fn: FilterFunction<unknown>; deadLetters?: string }
  | { kind: 'flat-map'; fn: FlatMapFunction<unknown, unknown>; deadLetters?: string }
  | { kind: 'process'; fn: ProcessFunction<unknown, unknown>; deadLetters?: string }
  /**
   * `firstValue` checks a key's first record (sum/min/max insist on a numeric field); `inPlace`
   * (sum/min/max) folds a record into an accumulator the operator owns, changing only `field`.
   */
  | { kind: 'keyed-reduce'; fn: ReduceFunction<unknown>; firstValue?: (value: unknown) => unknown; inPlace?: { field: string; update: (acc: unknown, value: unknown) => void } }
  | { kind: 'keyed-process'; fn: KeyedProcessFunction<StateKey, unknown, unknown> }
  | { kind: 'window'; window: WindowSpec }
  /** Two inputs (see inputSideOf): the node's first `firstInputs` edges are input 1, the others input 2. */
  | { kind: 'co-process'; fn: CoProcessFunction<unknown, unknown, unknown>; firstInputs: number }
  | { kind: 'keyed-co-process'; fn: AnyKeyedCoProcessFunction; firstInputs: number }
  /** Pairs with right.ts ∈ [left.ts + lowerMs, left.ts + upperMs], both sides buffered per key until the watermark passes. */
  | { kind: 'interval-join'; fn: ProcessJoinFunction<unknown, unknown, unknown>; lowerMs: number; upperMs: number; firstInputs: number }
  /** Input 2 is the broadcast side: it alone writes the broadcast states named by `descriptors`. */
  | { kind: 'broadcast-process'; fn: BroadcastProcessFunction<unknown, unknown, unknown>; keyed: false; descriptors: readonly string[]; firstInputs: number }
  | { kind: 'broadcast-process'; fn: KeyedBroadcastProcessFunction<StateKey, unknown, unknown, unknown>; keyed: true; descriptors: readonly string[]; firstInputs: number }
  | { kind: 'sink'; sink: Sink<unknown> };

export type OperatorKind = OperatorSpec['kind'];

/**
 * Which input of a two-input operator its `edge`-th input edge feeds (1 or 2); undefined for
 * one-input operators. A two-input operator always heads its chain, so its vertex's inputs are
 * its node's edges, in order.
 */
export function inputSideOf(spec: OperatorSpec, edge: number): 1 | 2 | undefined {
  if (!('firstInputs' in spec)) return undefined;
  return edge < spec.firstInputs ? 1 : 2;
}

export interface StreamEdge {
  readonly from: number;
  readonly partitioner: PartitionerSpec;
  /** Set when the edge carries a side output of `from` (an OutputTag's id), not its main stream. */
  readonly sideOutput?: string;
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
  /** How often sources ask their watermark generators for a watermark (Flink's autoWatermarkInterval); 0: after every batch. */
  autoWatermarkIntervalMs = 200;

  constructor(readonly jobName: string) {}

  addNode(spec: OperatorSpec, inputs: readonly StreamEdge[], name: string): StreamNode {
    const id = this.nodes.length;
    const node: StreamNode = { id, uid: `${spec.kind}-${id}`, uidSetByUser: false, name, parallelism: undefined, spec, inputs };
    this.nodes.push(node);
    return node;
  }

  node(id: number): StreamNode {
    const node = this.nodes[id];
    if (node === undefined) throw new WeirError('INVALID_GRAPH', `no node ${id} in job graph '${this.jobName}'`, { domain: 'internal', retryable: false });
    return node;
  }

  /** Whether any source assigns timestamps: then records carry them across the network. */
  get eventTime(): boolean {
    return this.nodes.some((n) => n.spec.kind === 'source' && n.spec.watermarks !== undefined);
  }

  /** A summary that two builds of the same job module must agree on (workers compare it with the runner's). */
  fingerprint(): string {
    return this.nodes
      .map((n) => `${n.id}:${n.spec.kind}:${n.uid}:${n.parallelism ?? ''}<${n.inputs.map((e) => `${e.from}/${e.partitioner.kind}${e.sideOutput === undefined ? '' : `/${e.sideOutput}`}`).join(',')}`)
      .join(';');
  }
}
