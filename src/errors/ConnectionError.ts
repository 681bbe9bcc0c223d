import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** The server could not be reached, the transport closed, or the process exited. Retryable unless the cause is permanent (a missing binary). */
export class ConnectionError extends AzcoreError {
  readonly kind = 'connection' as const;

  constructor(problem: string, details: ErrorDetails = {}) {
    super(problem, details, { code: 'CONNECTION', retryable: true });
  }
}

/** True when `e` is a {@link ConnectionError}. */
export function isConnectionError(e: unknown): e is ConnectionError {
  return e instanceof ConnectionError;
}
