import { WeirError } from '../../errors/index.js';

/** Wraps what a user function threw, naming the operator; an error already wrapped passes through. */
export function userFunctionFailed(operatorUid: string, what: string, error: unknown): WeirError {
  if (error instanceof WeirError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new WeirError('USER_FUNCTION_FAILED', `operator '${operatorUid}': ${what} threw: ${message}`, {
    domain: 'user', retryable: true, cause: error, details: { operator: operatorUid },
  });
}
