import type { StreamEnvironment } from './stream-environment.js';

/** A job: a name and a function that describes its graph. A job module's default export. */
export interface JobDefinition {
  readonly kind: 'weir.job';
  readonly name: string;
  readonly build: (env: StreamEnvironment) => void;
}

export function isJobDefinition(value: unknown): value is JobDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'weir.job';
}
