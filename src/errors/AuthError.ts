import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** The server rejected the credentials (HTTP 401/403). Never retried blindly: fix the token or authProvider. */
export class AuthError extends AzcoreError {
  readonly kind = 'auth' as const;

  constructor(problem: string, details: ErrorDetails = {}) {
    super(problem, details, { code: 'AUTH', retryable: false });
  }
}

/** True when `e` is a {@link AuthError}. */
export function isAuthError(e: unknown): e is AuthError {
  return e instanceof AuthError;
}
