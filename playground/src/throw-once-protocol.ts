// The messages between the page's "Throw once" button and failPoint() in the job's workers (hooks.ts).
export const THROW_ONCE_CHANNEL = 'weir-playground-throw-once';

export type ThrowOnceMessage =
  /** `worker`: the slot whose worker throws. */
  | { kind: 'arm'; id: string; worker: number }
  | { kind: 'thrown'; id: string; where: string; worker: string };
