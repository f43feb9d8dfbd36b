import { MAX_VALUE_DEPTH } from '../state/value-codec.js';

// JSON from outside as a record. JSON.parse makes '__proto__' and 'constructor' keys own data
// properties, so nothing is polluted. Nesting is bounded: a record nested deeper than the value
// codec stores could be neither checkpointed nor sent to another worker (structured clone
// recurses: a 1 MiB line of '[' overflows its stack, and the job would fail on it forever).

/** The value, or why the text is not a JSON record. */
export function parseJsonRecord(text: string): { value: unknown } | { error: string } {
  if (nestsDeeperThan(text, MAX_VALUE_DEPTH)) return { error: `nested deeper than ${MAX_VALUE_DEPTH} levels` };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Whether arrays and objects in `text` nest deeper than `max` (brackets inside strings do not count). */
function nestsDeeperThan(text: string, max: number): boolean {
  if (text.length <= max) return false; // each level takes a bracket: too short to be deeper
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
