// The shapes the playground reads from Weir: handle.plan() and the 'metrics' event's subtasks.
// Declared here as the playground expects them, so that the page still builds (and says what is
// missing) against a Weir without them; every field beyond the fixed API is optional where read.

export type Partitioner = 'forward' | 'hash' | 'rebalance' | 'broadcast';

export interface PlanVertex {
  readonly id: number;
  readonly name: string;
  readonly parallelism: number;
  /** Several operators: a chain, run in one task. */
  readonly operators: readonly { readonly uid: string; readonly name: string; readonly kind: string }[];
  readonly inputs: readonly { readonly from: number; readonly partitioner: Partitioner }[];
}

export interface PlanDescription {
  readonly vertices: readonly PlanVertex[];
}

export interface SubtaskSample {
  readonly subtask: { readonly vertexId: number; readonly subtaskIndex: number };
  readonly name: string;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly backpressured: number;
  readonly watermark?: number;
  readonly aligning?: { readonly checkpointId: number; readonly blockedChannels: number; readonly channels: number };
}
