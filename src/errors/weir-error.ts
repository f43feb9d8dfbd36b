/** Where a failure comes from: the user's code or input, the environment, or Weir itself. */
export type ErrorDomain = 'user' | 'external' | 'internal';

/**
 * The closed list of failure codes. A caller matches on `error.code`, never on the message.
 */
export type WeirErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_GRAPH'
  | 'USER_FUNCTION_FAILED'
  | 'TASK_FAILED'
  | 'WORKER_LOST'
  | 'INJECTED_FAILURE'
  | 'CHECKPOINT_DECLINED'
  | 'CHECKPOINT_TIMEOUT'
  | 'CHECKPOINT_ABORTED'
  | 'CHECKPOINT_STORAGE_FAILED'
  /** A checkpoint completed, but a sink could not commit it yet: it commits with a later one. */
  | 'COMMIT_DEFERRED'
  | 'TOO_MANY_CHECKPOINT_FAILURES'
  | 'CORRUPT_DATA'
  | 'STORAGE_FENCED'
  | 'STATE_MISMATCH'
  /** An append to an input log after its end() (or to a closed InputLog handle). */
  | 'LOG_ENDED'
  | 'LOG_CLOSED'
  /** A reader's position in an input log was deleted (retention passed it): records are gone. */
  | 'LOG_TRUNCATED'
  /** Outside input that does not parse (a line of NDJSON or CSV, an SSE frame) or is too large. */
  | 'MALFORMED_INPUT'
  /** A source could not read its input (an HTTP status, a missing file). */
  | 'SOURCE_FAILED'
  /** A sink could not deliver its output (an HTTP status, a refused redirect, an endpoint down). */
  | 'SINK_FAILED'
  /** A function changed state it may only read (broadcast state outside processBroadcastElement). */
  | 'READ_ONLY_STATE';

export interface WeirErrorOptions {
  domain: ErrorDomain;
  retryable: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class WeirError extends Error {
  readonly code: WeirErrorCode;
  readonly domain: ErrorDomain;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: WeirErrorCode, message: string, options: WeirErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WeirError';
    this.code = code;
    this.domain = options.domain;
    this.retryable = options.retryable;
    this.details = options.details ?? {};
  }
}

/** A public function was called with an argument it cannot use. Names the argument. */
export class InvalidArgumentError extends WeirError {
  readonly argument: string;
  constructor(argument: string, message: string, options: { cause?: unknown } = {}) {
    super('INVALID_ARGUMENT', `${argument}: ${message}`, {
      domain: 'user',
      retryable: false,
      details: { argument },
      cause: options.cause,
    });
    this.name = 'InvalidArgumentError';
    this.argument = argument;
  }
}

/** Stored checkpoint data that fails its checksum, its version check or cannot be decoded. */
export class CorruptDataError extends WeirError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CORRUPT_DATA', message, { domain: 'external', retryable: false, details });
    this.name = 'CorruptDataError';
  }
}

/**
 * Whether `error` carries `code`, judged by the code and not the class: a storage the app passes
 * may come from another copy of Weir (a second bundle, a test's own build), whose WeirError is
 * another class. A fenced runner that took such an error for a mere storage failure kept running.
 */
export function hasErrorCode<C extends WeirErrorCode>(error: unknown, code: C): error is WeirError & { readonly code: C } {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
