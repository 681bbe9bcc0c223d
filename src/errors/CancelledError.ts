import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** The caller aborted the operation through its AbortSignal. */
export class CancelledError extends AzcoreError {
  readonly kind = 'cancelled' as const;

  constructor(problem: string, details: ErrorDetails = {}) {
    super(problem, details, { code: 'CANCELLED', retryable: false });
  }
}

/** True when `e` is a {@link CancelledError}. */
export function isCancelledError(e: unknown): e is CancelledError {
  return e instanceof CancelledError;
}
