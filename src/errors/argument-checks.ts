import { InvalidArgumentError } from './weir-error.js';

// Small guards shared by every public entry point. Each names the argument it rejects,
// and says what it expected and what it got, in words a user understands.

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return `${typeof value}`;
}

export function requireString(argument: string, value: unknown, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(argument, `expected a string, got ${describeValue(value)}`);
  if (!allowEmpty && value.trim() === '') throw new InvalidArgumentError(argument, 'must not be empty');
  return value;
}

export function requireFunction<F>(argument: string, value: unknown): F {
  if (typeof value !== 'function') throw new InvalidArgumentError(argument, `expected a function, got ${describeValue(value)}`);
  return value as F;
}

export function requireInteger(argument: string, value: unknown, { min = -Infinity, max = Infinity } = {}): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new InvalidArgumentError(argument, `expected an integer, got ${describeValue(value)}`);
  }
  if (value < min) throw new InvalidArgumentError(argument, `must be at least ${min}, got ${value}`);
  if (value > max) throw new InvalidArgumentError(argument, `must be at most ${max}, got ${value}`);
  return value;
}

export function requirePositiveInteger(argument: string, value: unknown, max = Infinity): number {
  return requireInteger(argument, value, { min: 1, max });
}

/** A finite number ≥ min (durations, rates). */
export function requireNumber(argument: string, value: unknown, { min = -Infinity, minExclusive = false } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(argument, `expected a finite number, got ${describeValue(value)}`);
  }
  if (minExclusive ? value <= min : value < min) {
    throw new InvalidArgumentError(argument, `must be ${minExclusive ? 'greater than' : 'at least'} ${min}, got ${value}`);
  }
  return value;
}

export function requireOneOf<T extends string>(argument: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new InvalidArgumentError(argument, `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}`);
  }
  return value as T;
}

/**
 * An options object: a plain object (or undefined) whose keys are all known.
 * A typo such as `{ parralelism: 2 }` is refused rather than silently ignored.
 */
export function requireOptions<T extends object>(argument: string, value: unknown, knownKeys: readonly string[]): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(argument, `expected an options object, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!knownKeys.includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown option; known options are ${knownKeys.join(', ')}`);
    }
  }
  return value as Partial<T>;
}
