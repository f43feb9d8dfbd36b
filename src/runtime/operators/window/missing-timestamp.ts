import { WeirError } from '../../../errors/index.js';

/** What an event-time window operator throws for a record without a timestamp: the user's job lacks a timestamp assigner. */
export function missingTimestampError(uid: string): WeirError {
  return new WeirError('USER_FUNCTION_FAILED', `operator '${uid}': an event-time window got a record without a timestamp; give fromSource(…) a watermarks strategy with a timestamp assigner, or use { time: 'processing' }`, {
    domain: 'user', retryable: false, details: { operator: uid },
  });
}
