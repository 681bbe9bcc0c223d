import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** A limit was hit: a result above the size cap, too many requests (HTTP 429), a full queue. */
export class ResourceError extends AzcoreError {
  readonly kind = 'resource' as const;

  constructor(problem: string, details: ErrorDetails = {}) {
    super(problem, details, { code: 'RESOURCE', retryable: true });
  }
}

/** True when `e` is a {@link ResourceError}. */
export function isResourceError(e: unknown): e is ResourceError {
  return e instanceof ResourceError;
}
