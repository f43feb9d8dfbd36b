import type { TimeWindow, WindowAssignerSpec } from '../../../graph/windowing.js';

/** The start of the window of `size` (every `step`, shifted by `offset`) that holds `timestamp`; exact for negative times too. */
export function windowStartOf(timestamp: number, offset: number, step: number): number {
  // A division and a floor instead of two floating-point remainders (a library call each), then
  // corrected by a step where the division rounded across a multiple.
  let start = offset + Math.floor((timestamp - offset) / step) * step;
  if (start > timestamp) start -= step;
  else if (start + step <= timestamp) start += step;
  return start;
}

/** The windows a record at `timestamp` belongs to, earliest start last (as Flink lists sliding windows). */
export function assignWindows(assigner: Exclude<WindowAssignerSpec, { kind: 'global' }>, timestamp: number): TimeWindow[] {
  switch (assigner.kind) {
    case 'tumbling': {
      const start = windowStartOf(timestamp, assigner.offsetMs, assigner.sizeMs);
      return [{ start, end: start + assigner.sizeMs }];
    }
    case 'sliding': {
      const windows: TimeWindow[] = [];
      const last = windowStartOf(timestamp, assigner.offsetMs, assigner.slideMs);
      for (let start = last; start > timestamp - assigner.sizeMs; start -= assigner.slideMs) windows.push({ start, end: start + assigner.sizeMs });
      return windows;
    }
    case 'session':
      return [{ start: timestamp, end: timestamp + assigner.gapMs }];
  }
}

/** Session windows merge when they overlap or touch, as Flink's TimeWindow.intersects decides. */
export function windowsIntersect(a: TimeWindow, b: TimeWindow): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** The last timestamp a window holds: when it fires (Flink's maxTimestamp). */
export const maxTimestampOf = (w: TimeWindow) => w.end - 1;
