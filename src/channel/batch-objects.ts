// The decoded records of an object-shaped batch (batch-codec.ts).

const objectPrototype = Object.prototype;

/** Whether `o[name] = v` would not simply create an own data property (an accessor or a read-only property up the chain). */
function assignable(name: string): boolean {
  for (let p: object | null = objectPrototype; p !== null; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d !== undefined) return d.set === undefined && d.get === undefined && d.writable === true;
  }
  return true;
}

/**
 * One empty object per record, then one store per field, each store its own line: each sees one
 * name, so its inline cache stays monomorphic and V8 follows one map transition chain. Measured
 * (Node 20, 3 fields): ~10–20 ns per record, where an object literal with computed keys
 * (`{ [a]: A[i], … }`) took 300–1500 ns (each computed key defines its property through the
 * runtime), and a loop of `o[names[j]] = value` is slower still (its one store sees every name).
 * (`new Function` would be faster still; a strict CSP forbids it.)
 * A store is a [[Set]]: a name Object.prototype has as an accessor or read-only property takes
 * the defining path instead, which never calls anything.
 */
export function buildObjects(n: number, names: string[], values: ArrayLike<unknown>[]): unknown[] {
  const out: unknown[] = new Array(n);
  if (!names.every(assignable)) return defineObjects(n, names, values);
  const [a, b, c, d, e, f, g, h] = names;
  const [A, B, C, D, E, F, G, H] = values;
  switch (names.length) {
    case 0: for (let i = 0; i < n; i++) out[i] = {}; break;
    case 1: for (let i = 0; i < n; i++) { const o: Record<string, unknown> = {}; o[a] = A[i]; out[i] = o; } break;
    case 2: for (let i = 0; i < n; i++) { const o: Record<string, unknown> = {}; o[a] = A[i]; o[b] = B[i]; out[i] = o; } break;
    case 3: for (let i = 0; i < n; i++) { const o: Record<string, unknown> = {}; o[a] = A[i]; o[b] = B[i]; o[c] = C[i]; out[i] = o; } break;
    case 4: for (let i = 0; i < n; i++) { const o: Record<string, unknown> = {}; o[a] = A[i]; o[b] = B[i]; o[c] = C[i]; o[d] = D[i]; out[i] = o; } break;
    case 5: for (let i = 0; i < n; i++) { const o: Record<string, unknown> = {}; o[a] = A[i]; o[b] = B[i]; o[c] = C[i]; o[d] = D[i]; o[e] = E[i]; out[i] = o; } break;
    case 6: for (let i = 0; i < n; i++) { const o: Record<string, unknown> = {}; o[a] = A[i]; o[b] = B[i]; o[c] = C[i]; o[d] = D[i]; o[e] = E[i]; o[f] = F[i]; out[i] = o; } break;
    case 7: for (let i = 0; i < n; i++) { const o: Record<string, unknown> = {}; o[a] = A[i]; o[b] = B[i]; o[c] = C[i]; o[d] = D[i]; o[e] = E[i]; o[f] = F[i]; o[g] = G[i]; out[i] = o; } break;
    default:
      for (let i = 0; i < n; i++) {
        const o: Record<string, unknown> = {};
        o[a] = A[i]; o[b] = B[i]; o[c] = C[i]; o[d] = D[i]; o[e] = E[i]; o[f] = F[i]; o[g] = G[i]; o[h] = H[i];
        for (let j = 8; j < names.length; j++) o[names[j]!] = values[j]![i];
        out[i] = o;
      }
  }
  return out;
}

function defineObjects(n: number, names: string[], values: ArrayLike<unknown>[]): unknown[] {
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = {};
    for (let j = 0; j < names.length; j++) Object.defineProperty(o, names[j]!, { value: values[j]![i], writable: true, enumerable: true, configurable: true });
    out[i] = o;
  }
  return out;
}
