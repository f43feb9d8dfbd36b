/**
 * A plain record's fields, in the order a spread copies them: sum/min/max keep a window's first
 * record as one value per field in the group's columns instead of the object (kept objects lived
 * as long as their windows, so scavenges copied and promoted them: ≈ 30 ns an event of the
 * tumbling bench). A record matches when it is a plain object (prototype Object.prototype) whose
 * own enumerable fields are exactly these names, in this order, with no symbol keys (a spread
 * would copy those), and the combined field among them. Read once, when a key's window gets its
 * first record (a getter is read then, as a copy of the record would read it).
 */
export type RecordShape = readonly string[];

/** The shape of `value` if it is a plain record holding `field`, else null (its windows keep the object). */
export function shapeOf(value: unknown, field: string): RecordShape | null {
  if (!isPlain(value)) return null;
  const names: string[] = [];
  for (const name in value) {
    if (!Object.hasOwn(value, name) || name === '__proto__') return null; // an own __proto__ set by assignment would be the prototype
    names.push(name);
  }
  return names.includes(field) ? names : null;
}

/** `value` has shape `p` (see RecordShape). */
export function hasShape(value: unknown, p: RecordShape): value is Record<string, unknown> {
  if (!isPlain(value)) return false;
  let j = 0;
  for (const name in value) {
    if (j === p.length || name !== p[j] || !Object.hasOwn(value, name)) return false;
    j++;
  }
  return j === p.length;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
    && Object.getOwnPropertySymbols(value).length === 0;
}

/** Writes the fields of `value` (of shape `p`) into slot `i` of columns `c` (one per name of `p`). */
export function toColumns(value: Record<string, unknown>, p: RecordShape, c: unknown[][], i: number): void {
  for (let j = 0; j < p.length; j++) c[j]![i] = value[p[j]!];
}

/** The record slot `i` of columns `c` holds (shape `p`), with `field` set to `x`: what a spread of it and the field gives. */
export function fromColumns(p: RecordShape, c: readonly (readonly unknown[])[], i: number, field: string, x: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let j = 0; j < p.length; j++) out[p[j]!] = c[j]![i];
  out[field] = x;
  return out;
}
