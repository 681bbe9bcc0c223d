import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** Extra facts a fast rejection carries. */
export interface CircuitOpenDetails extends ErrorDetails {
  /** Breaker state that rejected the call. */
  breakerState: 'open' | 'halfOpen' | 'isolated';
  /** Epoch ms when the next probe call will be admitted; undefined while isolated by hand. */
  retryAt?: number | undefined;
}

/**
 * The circuit breaker rejected the call without sending it. Not retried by the retry policy: the
 * breaker already knows the server is failing. `retryAt` says when a probe will be let through.
 */
export class CircuitOpenError extends AzcoreError {
  readonly kind = 'circuitOpen' as const;
  readonly breakerState: 'open' | 'halfOpen' | 'isolated';
  readonly retryAt: number | undefined;

  constructor(problem: string, details: CircuitOpenDetails) {
    super(problem, details, { code: 'CIRCUIT_OPEN', retryable: false });
    this.breakerState = details.breakerState;
    this.retryAt = details.retryAt;
  }
}

/**
 * A {@link CircuitOpenError} without a captured stack. A rejection always comes from the same place
 * (the breaker's admission) and its message names the breaker, so the stack says nothing new, while
 * capturing one is most of the cost of failing fast (measured in bench/, failFast). The error is
 * otherwise the same: class, `kind`, `code`, `breakerState`, `retryAt`, `server`, message.
 */
export function circuitOpenError(problem: string, details: CircuitOpenDetails): CircuitOpenError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CircuitOpenError(problem, details);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** True when `e` is a {@link CircuitOpenError}. */
export function isCircuitOpenError(e: unknown): e is CircuitOpenError {
  return e instanceof CircuitOpenError;
}
