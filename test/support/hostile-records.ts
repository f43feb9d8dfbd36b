// Records an attacker would send to pollute prototypes (issue 17), as JSON.parse makes them: the
// keys '__proto__', 'constructor' and 'prototype' are own data properties. Browser-safe.

export interface HostileRecord {
  id: number;
  n: number;
  count: number;
  pollutedInWorker?: unknown;
  kept?: HostileRecord;
}

/** `count` records over `keys` ids, parsed from JSON text. */
export function hostileRecords(from: number, count: number, keys: number): HostileRecord[] {
  const text = Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return `{"id":${n % keys},"n":${n},"count":1,"__proto__":{"polluted":"proto-${n}"},"constructor":{"prototype":{"polluted":"ctor-${n}"}},"prototype":{"polluted":"prototype-${n}"},"toString":"not a function"}`;
  });
  return JSON.parse(`[${text.join(',')}]`) as HostileRecord[];
}

/** The job's reduce: a spread keeps the hostile keys as own data; `kept` nests the previous reduction (depth grows per key). */
export function reduceHostile(a: HostileRecord, b: HostileRecord): HostileRecord {
  return { ...b, count: a.count + b.count, kept: { ...a, kept: undefined } };
}
