import type { StateKey } from '../state/keyed-state.js';

/**
 * What travels on a data channel: batches of records and in-band events, in order.
 * Plain serialisable data only, so the same messages cross a MessagePort, an in-memory
 * queue, or (later) a Durable Object RPC.
 */
export interface RecordBatch {
  readonly kind: 'records';
  readonly records: unknown[];
  /** On a keyed edge: each record's key and key group, computed once by the sender. */
  readonly keys?: StateKey[];
  readonly keyGroups?: number[];
}

export interface BarrierEvent {
  readonly kind: 'barrier';
  readonly checkpointId: number;
  readonly timestamp: number;
}

/** An upstream task gave up checkpoint n: downstream tasks stop aligning it. */
export interface CancelBarrierEvent {
  readonly kind: 'cancel-barrier';
  readonly checkpointId: number;
}

export interface EndOfInputEvent {
  readonly kind: 'end-of-input';
}

export type ChannelEvent = BarrierEvent | CancelBarrierEvent | EndOfInputEvent;
export type ChannelMessage = RecordBatch | ChannelEvent;
