import type { AzcoreError } from '../errors/AzcoreError.js';
import { type Clock, systemClock } from '../resilience/Clock.js';
import { FallbackFailedError } from './FallbackFailedError.js';
import { fallsBackByDefault } from './FallbackOptions.js';
import type { FallbackResult } from './FallbackResult.js';
import { recordStep } from './runAttempt.js';

/** Options of {@link withStaticFallback}. */
export interface StaticFallbackOptions {
  /** Whether a failure gets the fallback value. Default: every failure except a cancellation. */
  shouldFallback?: ((error: AzcoreError) => boolean) | undefined;
  /** Time source of attempt durations. Default: wall clock. */
  clock?: Clock | undefined;
}

/** What a function wrapped by {@link withStaticFallback} returns. */
export type StaticFallbackResult<T> = FallbackResult<T, 'primary' | 'static'>;

/**
 * Wraps an async function so a failure answers a fixed value (or one computed from the typed
 * error) instead of throwing. The result says whether the value is the function's own
 * (`success`, source `primary`) or the fallback (`degraded`, source `static`, with the `reason`).
 * A function fallback is called with the error; to fall back to a function value, return it from one.
 *
 * @example
 * const fetchUser = withStaticFallback(
 *   (id: string) => api.user(id),
 *   (error) => ({ name: 'unknown', note: `Unable to fetch data (${error.kind}). Please try again later.` }),
 * );
 * const { value, status } = await fetchUser('42'); // never throws
 */
export function withStaticFallback<A extends unknown[], T>(
  fn: (...args: A) => Promise<T>,
  fallback: T | ((error: AzcoreError) => T),
  options: StaticFallbackOptions = {},
): (...args: A) => Promise<StaticFallbackResult<T>> {
  const clock = options.clock ?? systemClock;
  const shouldFallback = options.shouldFallback ?? fallsBackByDefault;
  const valueFor =
    typeof fallback === 'function' ? (fallback as (error: AzcoreError) => T) : () => fallback as T;
  return async (...args: A) => {
    const live = await recordStep('primary', clock, () => fn(...args));
    if (live.ok) return { status: 'success', source: 'primary', value: live.value, attempts: [live.attempt] };
    const error = live.error;
    if (!shouldFallback(error)) {
      const attempts = [live.attempt];
      return {
        status: 'failed',
        reason: error.kind,
        error: new FallbackFailedError(attempts, ['static']),
        attempts,
      };
    }
    const stat = await recordStep('static', clock, () => valueFor(error));
    const attempts = [live.attempt, stat.attempt];
    if (stat.ok)
      return { status: 'degraded', source: 'static', value: stat.value, reason: error.kind, error, attempts };
    return { status: 'failed', reason: error.kind, error: new FallbackFailedError(attempts), attempts };
  };
}
