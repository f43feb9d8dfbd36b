import type { StateKey } from '../state/keyed-state.js';
import type { DictionaryHint } from './batch-dictionary.js';

/**
 * What travels on a data channel: batches of records and in-band events, in order.
 * Plain serialisable data only, so the same messages cross a MessagePort, an in-memory
 * queue, or (later) a Durable Object RPC.
 */
export interface RecordBatch {
  readonly kind: 'records';
  readonly records: unknown[];
  /**
   * On a keyed edge: each record's key and key group, computed once by the sender. An edge with
   * one downstream subtask sends keys without groups (the receiver computes a group where it needs
   * one); across workers a batch carries groups without keys (the receiver recomputes the keys).
   */
  readonly keys?: StateKey[];
  readonly keyGroups?: number[];
  /**
   * With key groups, where the writer had them: each string key's id in the dictionary of the
   * channel it goes to, if known (batch-dictionary.ts). Must not travel or be stored: the port
   * hands them to the encoder only.
   */
  readonly dictionaryHints?: (DictionaryHint | undefined)[];
  /** In a job with event time: each record's timestamp (NaN for none), carried beside the value as Flink's StreamRecord does. */
  readonly timestamps?: number[];
}

export interface BarrierEvent {
  readonly kind: 'barrier';
  readonly checkpointId: number;
  readonly timestamp: number;
  /** A savepoint's barrier (Flink's SnapshotType in the barrier's options): every task snapshots in full. */
  readonly savepoint?: true;
}

/** An upstream task gave up checkpoint n: downstream tasks stop aligning it. */
export interface CancelBarrierEvent {
  readonly kind: 'cancel-barrier';
  readonly checkpointId: number;
}

/** Event time has reached `timestamp` on this channel: no record with a smaller timestamp is expected. */
export interface WatermarkEvent {
  readonly kind: 'watermark';
  readonly timestamp: number;
}

/** The channel's producer went idle (its watermark should not hold others back) or active again. */
export interface WatermarkStatusEvent {
  readonly kind: 'watermark-status';
  readonly idle: boolean;
}

export interface EndOfInputEvent {
  readonly kind: 'end-of-input';
}

export type ChannelEvent = BarrierEvent | CancelBarrierEvent | WatermarkEvent | WatermarkStatusEvent | EndOfInputEvent;
export type ChannelMessage = RecordBatch | ChannelEvent;
