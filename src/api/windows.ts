import { InvalidArgumentError, requireNumber, requireOneOf, requireOptions, requirePositiveInteger } from '../errors/index.js';
import type { TimeDomain, WindowAssignerSpec } from '../graph/windowing.js';

/** Which windows a record goes into: pass one to `keyBy(…).window(…)`. */
export interface WindowAssigner {
  readonly kind: 'weir.window-assigner';
  /** @internal */
  readonly spec: WindowAssignerSpec;
}

export interface TimeOption {
  /** 'event' (default): by the records' timestamps and the watermark; 'processing': by the clock. */
  time?: 'event' | 'processing';
}

const assigner = (spec: WindowAssignerSpec): WindowAssigner => ({ kind: 'weir.window-assigner', spec });

function timeOf(argument: string, time: unknown): TimeDomain {
  return time === undefined ? 'event' : requireOneOf(`${argument}.time`, time, ['event', 'processing']);
}

/** Fixed-size, non-overlapping windows [start, start + sizeMs), aligned to the epoch plus `offsetMs`. */
function tumbling(options: { sizeMs: number; offsetMs?: number } & TimeOption): WindowAssigner {
  const a = 'windows.tumbling(options)';
  const o = requireOptions<{ sizeMs: number; offsetMs?: number } & TimeOption>(a, options, ['sizeMs', 'offsetMs', 'time']);
  const sizeMs = requireNumber(`${a}.sizeMs`, o.sizeMs, { min: 0, minExclusive: true });
  const offsetMs = o.offsetMs === undefined ? 0 : requireNumber(`${a}.offsetMs`, o.offsetMs, { min: 0 });
  if (offsetMs >= sizeMs) throw new InvalidArgumentError(`${a}.offsetMs`, `must be smaller than sizeMs (${sizeMs}), got ${offsetMs}`);
  return assigner({ kind: 'tumbling', sizeMs, offsetMs, time: timeOf(a, o.time) });
}

/** Windows of `sizeMs` starting every `slideMs`: a record belongs to sizeMs / slideMs of them. */
function sliding(options: { sizeMs: number; slideMs: number; offsetMs?: number } & TimeOption): WindowAssigner {
  const a = 'windows.sliding(options)';
  const o = requireOptions<{ sizeMs: number; slideMs: number; offsetMs?: number } & TimeOption>(a, options, ['sizeMs', 'slideMs', 'offsetMs', 'time']);
  const sizeMs = requireNumber(`${a}.sizeMs`, o.sizeMs, { min: 0, minExclusive: true });
  const slideMs = requireNumber(`${a}.slideMs`, o.slideMs, { min: 0, minExclusive: true });
  if (slideMs > sizeMs) throw new InvalidArgumentError(`${a}.slideMs`, `must not exceed sizeMs (${sizeMs}), got ${slideMs} (use windows.tumbling for gaps-free fixed windows)`);
  const offsetMs = o.offsetMs === undefined ? 0 : requireNumber(`${a}.offsetMs`, o.offsetMs, { min: 0 });
  if (offsetMs >= slideMs) throw new InvalidArgumentError(`${a}.offsetMs`, `must be smaller than slideMs (${slideMs}), got ${offsetMs}`);
  return assigner({ kind: 'sliding', sizeMs, slideMs, offsetMs, time: timeOf(a, o.time) });
}

/** A window per burst of activity: it closes after `gapMs` without a record of its key. Sessions that meet merge. */
function session(options: { gapMs: number } & TimeOption): WindowAssigner {
  const a = 'windows.session(options)';
  const o = requireOptions<{ gapMs: number } & TimeOption>(a, options, ['gapMs', 'time']);
  const gapMs = requireNumber(`${a}.gapMs`, o.gapMs, { min: 0, minExclusive: true });
  return assigner({ kind: 'session', gapMs, time: timeOf(a, o.time) });
}

/** One window per key that fires, and starts over, every `count` records (Flink's countWindow: a global window with a count trigger). */
function global(options: { count: number }): WindowAssigner {
  const a = 'windows.global(options)';
  const o = requireOptions<{ count: number }>(a, options, ['count']);
  if (o.count === undefined) throw new InvalidArgumentError(`${a}.count`, 'is required: a global window fires every `count` records');
  return assigner({ kind: 'global', count: requirePositiveInteger(`${a}.count`, o.count) });
}

export const windows = { tumbling, sliding, session, global } as const;

export function isWindowAssigner(value: unknown): value is WindowAssigner {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'weir.window-assigner';
}
