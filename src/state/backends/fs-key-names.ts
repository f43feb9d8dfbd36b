// Storage keys as file names: reversible, portable, and safe on case-insensitive file systems
// (macOS, Windows). Platform-free, so it is tested on its own.
//
// Per UTF-16 code unit (so lone surrogates survive):
//   a-z 0-9 - _        themselves
//   A-Z                '^' + the lower-case letter  (no two names differ only in case)
//   '/'                '+'
//   '.'                itself, except first or last in the key (no '.', '..', hidden or trailing-dot names)
//   other < 0x100      '%' + 2 lower-case hex digits
//   other              '%u' + 4 lower-case hex digits
// An encoded name longer than SEGMENT_LENGTH is cut into segments of that length: every segment
// but the last is a directory whose name ends in '~' (which no encoded name contains), so file
// names stay under the usual 255-byte limit. The key is the concatenation, decoded.

export const SEGMENT_LENGTH = 200;

export function encodeKeyName(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f) out += key[i];
    else if (c >= 0x41 && c <= 0x5a) out += '^' + String.fromCharCode(c + 0x20);
    else if (c === 0x2f) out += '+';
    else if (c === 0x2e && i > 0 && i < key.length - 1) out += '.';
    else if (c < 0x100) out += '%' + c.toString(16).padStart(2, '0');
    else out += '%u' + c.toString(16).padStart(4, '0');
  }
  return out;
}

/** The key of an encoded name, or undefined for a name this encoding never produces (a stray file). */
export function decodeKeyName(name: string): string | undefined {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '^') {
      const next = name.charCodeAt(++i);
      if (!(next >= 0x61 && next <= 0x7a)) return undefined;
      out += String.fromCharCode(next - 0x20);
    } else if (ch === '+') {
      out += '/';
    } else if (ch === '%') {
      const wide = name[i + 1] === 'u';
      const digits = wide ? name.slice(i + 2, i + 6) : name.slice(i + 1, i + 3);
      if (!/^[0-9a-f]+$/.test(digits) || digits.length !== (wide ? 4 : 2)) return undefined;
      out += String.fromCharCode(parseInt(digits, 16));
      i += wide ? 5 : 2;
    } else if (/^[a-z0-9_.-]$/.test(ch)) {
      out += ch;
    } else {
      return undefined;
    }
  }
  return out.length > 0 && encodeKeyName(out) === name ? out : undefined;
}

/** The path of a key's file below its namespace directory, as segments (one unless the name is long). */
export function keyPathSegments(key: string): string[] {
  const name = encodeKeyName(key);
  if (name.length <= SEGMENT_LENGTH) return [name];
  const segments: string[] = [];
  for (let at = 0; at < name.length; at += SEGMENT_LENGTH) segments.push(name.slice(at, at + SEGMENT_LENGTH));
  for (let i = 0; i < segments.length - 1; i++) segments[i] += '~';
  return segments;
}

/** The key of a file at `segments` below a namespace directory, or undefined for a stray entry. */
export function keyFromPathSegments(segments: readonly string[]): string | undefined {
  if (segments.length === 0) return undefined;
  for (let i = 0; i < segments.length - 1; i++) if (!segments[i].endsWith('~')) return undefined;
  const key = decodeKeyName(segments.map((s, i) => (i < segments.length - 1 ? s.slice(0, -1) : s)).join(''));
  return key !== undefined && keyPathSegments(key).join('/') === segments.join('/') ? key : undefined;
}

/** Whether a directory entry continues a long name (a directory to descend into when listing). */
export const isContinuation = (entry: string) => entry.endsWith('~');
