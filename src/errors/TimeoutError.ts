import { AzcoreError, type ErrorDetails } from './AzcoreError.js';

/** Extra facts a timeout carries. */
export interface TimeoutDetails extends ErrorDetails {
  /** The budget that ran out, in milliseconds. */
  timeoutMs?: number | undefined;
  /** The named step of a Deadline that was running when the budget ran out. */
  step?: string | undefined;
}

/** A call or a step ran past its timeout or its Deadline. Retryable: the next attempt may be faster. */
export class TimeoutError extends AzcoreError {
  readonly kind = 'timeout' as const;
  readonly timeoutMs: number | undefined;
  readonly step: string | undefined;

  constructor(problem: string, details: TimeoutDetails = {}) {
    super(problem, details, { code: 'TIMEOUT', retryable: true });
    this.timeoutMs = details.timeoutMs;
    this.step = details.step;
  }
}

/** True when `e` is a {@link TimeoutError}. */
export function isTimeoutError(e: unknown): e is TimeoutError {
  return e instanceof TimeoutError;
}
