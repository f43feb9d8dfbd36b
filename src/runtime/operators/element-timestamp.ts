/**
 * The event-time timestamp of the record a task is processing, shared by every operator of its
 * chain and its record writers: a chained operator's output keeps its input's timestamp, as
 * Flink's StreamRecord does, unless an operator sets another (a window's end, a timer's time).
 * NaN means the record has none (no watermark strategy upstream, or processing time).
 */
export class ElementTimestamp {
  value = Number.NaN;
}
